package redis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	redis "github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
	goredis "github.com/redis/go-redis/v9"
)

// benchServer is one Redis container shared by the benchmarks of a run.
var benchServer *rig.Redis

func benchBackend(b *testing.B, useScript bool) (*redis.Backend, goredis.UniversalClient) {
	b.Helper()
	if benchServer == nil {
		// The container lives as long as the first benchmark that asked;
		// later ones start their own.
		benchServer = rig.StartRedis(b)
		b.Cleanup(func() { benchServer = nil })
	}
	var opts []redis.Option
	if useScript {
		opts = append(opts, redis.WithGetScript())
	}
	be, err := redis.New(redis.Options{URL: benchServer.URL()}, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = be.Close() })
	return be, be.Client()
}

const benchValueSize = 512

// The adapter's GET (value plus remaining TTL) versus raw go-redis doing
// the same work, and versus a bare GET.
func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	value := make([]byte, benchValueSize)
	for _, mode := range []struct {
		name   string
		script bool
	}{{"pipeline", false}, {"script", true}} {
		be, c := benchBackend(b, mode.script)
		if err := be.Set(ctx, "bench:get", value, time.Hour); err != nil {
			b.Fatal(err)
		}
		b.Run("adapter/"+mode.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, found, err := be.Get(ctx, "bench:get"); err != nil || !found {
					b.Fatal(found, err)
				}
			}
		})
		if !mode.script {
			b.Run("raw/pipeline-GET+PTTL", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					p := c.Pipeline()
					g := p.Get(ctx, "bench:get")
					t := p.PTTL(ctx, "bench:get")
					if _, err := p.Exec(ctx); err != nil {
						b.Fatal(err)
					}
					if _, err := g.Bytes(); err != nil {
						b.Fatal(err)
					}
					_ = t.Val()
				}
			})
		} else {
			script := goredis.NewScript(`local v = redis.call('GET', KEYS[1])
if not v then return false end
return {v, redis.call('PTTL', KEYS[1])}`)
			b.Run("raw/EVALSHA", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := script.Run(ctx, c, []string{"bench:get"}).Err(); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("raw/GET", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := c.Get(ctx, "bench:get").Bytes(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// The adapter's SET ... PX versus go-redis's Set with the same TTL.
func BenchmarkSet(b *testing.B) {
	ctx := context.Background()
	value := make([]byte, benchValueSize)
	be, c := benchBackend(b, false)
	b.Run("adapter", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := be.Set(ctx, "bench:set", value, 90*time.Second); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Set(ctx, "bench:set", value, 90*time.Second).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A batch get of 100 keys: one pipeline.
func BenchmarkGetMany100(b *testing.B) {
	ctx := context.Background()
	value := make([]byte, benchValueSize)
	keys := make([]string, 100)
	items := make([]core.BatchItem, len(keys))
	for i := range keys {
		keys[i] = fmt.Sprintf("bench:many:%03d", i)
		items[i] = core.BatchItem{Key: keys[i], Value: value, TTL: time.Hour}
	}
	for _, mode := range []struct {
		name   string
		script bool
	}{{"pipeline", false}, {"script", true}} {
		be, c := benchBackend(b, mode.script)
		if err := be.SetMany(ctx, items); err != nil {
			b.Fatal(err)
		}
		b.Run("adapter/"+mode.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := be.GetMany(ctx, keys)
				if err != nil || !res[99].Found {
					b.Fatal(err)
				}
			}
		})
		if !mode.script {
			b.Run("raw/pipeline-100-GET", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					p := c.Pipeline()
					for _, k := range keys {
						p.Get(ctx, k)
					}
					if _, err := p.Exec(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("raw/pipeline-100-GET+PTTL", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					p := c.Pipeline()
					for _, k := range keys {
						p.Get(ctx, k)
						p.PTTL(ctx, k)
					}
					if _, err := p.Exec(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("raw/MGET", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := c.MGet(ctx, keys...).Err(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// Paired measurement of the adapter's overhead: each iteration makes one
// call through the adapter and the same call through raw go-redis, timed
// separately, so that both see the same load (this machine is shared, and
// unpaired runs vary by ±20%). Reported: adapter-µs, raw-µs and
// overhead-% (adapter/raw - 1).
func BenchmarkOverhead(b *testing.B) {
	ctx := context.Background()
	value := make([]byte, benchValueSize)
	be, c := benchBackend(b, false)
	if err := be.Set(ctx, "bench:ovh", value, time.Hour); err != nil {
		b.Fatal(err)
	}
	paired := func(b *testing.B, adapter, raw func() error) {
		var ta, tr time.Duration
		n := 0
		for b.Loop() {
			t0 := time.Now()
			if err := adapter(); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if err := raw(); err != nil {
				b.Fatal(err)
			}
			tr += time.Since(t1)
			ta += t1.Sub(t0)
			n++
		}
		b.ReportMetric(float64(ta.Microseconds())/float64(n), "adapter-µs")
		b.ReportMetric(float64(tr.Microseconds())/float64(n), "raw-µs")
		b.ReportMetric(100*(float64(ta)/float64(tr)-1), "overhead-%")
	}
	b.Run("Get", func(b *testing.B) {
		paired(b, func() error {
			_, _, err := be.Get(ctx, "bench:ovh")
			return err
		}, func() error {
			p := c.Pipeline()
			g := p.Get(ctx, "bench:ovh")
			p.PTTL(ctx, "bench:ovh")
			if _, err := p.Exec(ctx); err != nil {
				return err
			}
			_, err := g.Bytes()
			return err
		})
	})
	b.Run("Set", func(b *testing.B) {
		paired(b, func() error {
			return be.Set(ctx, "bench:ovh-set", value, 90*time.Second)
		}, func() error {
			return c.Set(ctx, "bench:ovh-set", value, 90*time.Second).Err()
		})
	})
}
