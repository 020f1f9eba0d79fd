package redis_test

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// BenchmarkGetPaired alternates, read by read, a bare go-redis GET with the
// ways of also learning the key's remaining TTL, each read timed on its own,
// so that all of them see the same machine. ns/op is the variant's time per
// read, GET-ns/op the bare GET's in the same loop, vs-GET-% the difference.
func BenchmarkGetPaired(b *testing.B) {
	ctx := context.Background()
	be, c := benchBackend(b, false)
	value := make([]byte, 100)
	for _, k := range []string{"bench:p:a", "bench:p:b"} {
		if err := be.Set(ctx, k, value, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	script := goredis.NewScript(`local v = redis.call('GET', KEYS[1])
if not v then return false end
return {v, redis.call('PTTL', KEYS[1])}`)
	variants := []struct {
		name string
		fn   func() error
	}{
		{"GET", func() error { return c.Get(ctx, "bench:p:b").Err() }},
		{"pipeline-GET+PTTL", func() error {
			p := c.Pipeline()
			p.Get(ctx, "bench:p:b")
			p.PTTL(ctx, "bench:p:b")
			_, err := p.Exec(ctx)
			return err
		}},
		{"pipeline-GET", func() error {
			p := c.Pipeline()
			p.Get(ctx, "bench:p:b")
			_, err := p.Exec(ctx)
			return err
		}},
		{"GET+GET", func() error {
			p := c.Pipeline()
			p.Get(ctx, "bench:p:b")
			p.Get(ctx, "bench:p:b")
			_, err := p.Exec(ctx)
			return err
		}},
		{"EVALSHA", func() error { return script.Run(ctx, c, []string{"bench:p:b"}).Err() }},
		{"adapter", func() error { _, _, err := be.Get(ctx, "bench:p:b"); return err }},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			var base, own time.Duration
			for i := range b.N {
				for k := range 2 {
					t0 := time.Now()
					var err error
					if (i+k)%2 == 0 {
						err = c.Get(ctx, "bench:p:a").Err()
						base += time.Since(t0)
					} else {
						err = v.fn()
						own += time.Since(t0)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(own.Nanoseconds())/float64(b.N), "ns/op")
			b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "GET-ns/op")
			b.ReportMetric(100*(float64(own)/float64(base)-1), "vs-GET-%")
		})
	}
}
