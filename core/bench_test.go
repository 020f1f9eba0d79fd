package core_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// BenchmarkStampede: 1000 goroutines ask for the same cold key at once; the
// loads/key metric must be exactly 1 (single-flight).
func BenchmarkStampede(b *testing.B) {
	ctx := context.Background()
	c, err := core.New(newMem(), core.WithCodec(jsonCodec{}))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var loads atomic.Int64
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		key := "cold:" + strconv.Itoa(i)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for g := 0; g < 1000; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := core.GetOrLoad(ctx, c, key, func(context.Context) (int, error) {
					loads.Add(1)
					time.Sleep(time.Millisecond) // a slow source keeps the flight open
					return 1, nil
				})
				if err != nil {
					b.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
	}
	b.ReportMetric(float64(loads.Load())/float64(b.N), "loads/key")
}

// BenchmarkGetHit is the client's own overhead on a hit over a map backend.
func BenchmarkGetHit(b *testing.B) {
	ctx := context.Background()
	c, err := core.New(newMem(), core.WithCodec(jsonCodec{}), core.WithNamespace("bench"))
	if err != nil {
		b.Fatal(err)
	}
	_ = c.Set(ctx, "k", 42, core.TTL(time.Hour))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := core.Get[int](ctx, c, "k"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkObjectCacheHit is a hit answered by the object cache
// (WithObjectCache): no backend, no codec, no allocation.
func BenchmarkObjectCacheHit(b *testing.B) {
	ctx := context.Background()
	for _, ns := range []string{"", "bench"} {
		b.Run("namespace="+ns, func(b *testing.B) {
			opts := []core.Option{core.WithCodec(jsonCodec{}), core.WithObjectCache(1024, time.Minute)}
			if ns != "" {
				opts = append(opts, core.WithNamespace(ns))
			}
			c, err := core.New(newMem(), opts...)
			if err != nil {
				b.Fatal(err)
			}
			_ = c.Set(ctx, "user:42", user{42, "Ada"}, core.TTL(time.Hour))
			if _, found, _ := core.Get[user](ctx, c, "user:42"); !found {
				b.Fatal("miss")
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, found, _ := core.Get[user](ctx, c, "user:42"); !found {
						b.Error("miss")
						return
					}
				}
			})
		})
	}
}

// BenchmarkGetHitStack is BenchmarkGetHit with the reliability stack off
// and on: what the stack adds to a hit answered in process (an L1 or a
// map backend), which must stay within 25 ns and allocate nothing.
func BenchmarkGetHitStack(b *testing.B) {
	ctx := context.Background()
	for _, on := range []bool{false, true} {
		name := "stack=off"
		opt := core.WithoutReliability()
		if on {
			name, opt = "stack=on", core.WithReliability(core.DefaultReliability())
		}
		b.Run(name, func(b *testing.B) {
			c, err := core.New(newMem(), core.WithCodec(jsonCodec{}), core.WithNamespace("bench"), opt)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			_ = c.Set(ctx, "k", 42, core.TTL(time.Hour))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := core.Get[int](ctx, c, "k"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
