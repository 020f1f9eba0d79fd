package memcached_test

import (
	"context"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/cachekit-io/cachekit-go/backend/memcached"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
)

// BenchmarkPaired alternates, call by call, a raw gomemcache call with the
// same call through the Backend, each timed on its own so that both see the
// same machine: ns/op is the Backend's time per call, raw-ns/op
// gomemcache's in the same loop, vs-raw-% the Backend's overhead.
func BenchmarkPaired(b *testing.B) {
	m := rig.StartMemcached(b)
	ctx := context.Background()
	be, err := memcached.New([]string{m.Addr})
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	raw := memcache.New(m.Addr)
	raw.Timeout, raw.MaxIdleConns = memcached.DefaultTimeout, memcached.DefaultMaxIdleConns
	defer raw.Close()
	for _, size := range []struct {
		name string
		n    int
	}{{"100B", 100}, {"1KiB", 1 << 10}, {"64KiB", 64 << 10}} {
		value := make([]byte, size.n)
		for i := range value {
			value[i] = byte(i)
		}
		if err := be.Set(ctx, "bench:a", value, time.Hour); err != nil {
			b.Fatal(err)
		}
		if err := be.Set(ctx, "bench:b", value, time.Hour); err != nil {
			b.Fatal(err)
		}
		ops := []struct {
			name    string
			raw, be func() error
		}{
			{"Get",
				func() error { _, err := raw.Get("bench:a"); return err },
				func() error { _, _, err := be.Get(ctx, "bench:b"); return err }},
			{"Set",
				func() error { return raw.Set(&memcache.Item{Key: "bench:a", Value: value, Expiration: 3600}) },
				func() error { return be.Set(ctx, "bench:b", value, time.Hour) }},
		}
		for _, op := range ops {
			b.Run(op.name+"/size="+size.name, func(b *testing.B) {
				var base, own time.Duration
				for i := range b.N {
					for k := range 2 {
						t0 := time.Now()
						var err error
						if (i+k)%2 == 0 {
							err = op.raw()
							base += time.Since(t0)
						} else {
							err = op.be()
							own += time.Since(t0)
						}
						if err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(own.Nanoseconds())/float64(b.N), "ns/op")
				b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "raw-ns/op")
				b.ReportMetric(100*(float64(own)/float64(base)-1), "vs-raw-%")
			})
		}
	}
}
