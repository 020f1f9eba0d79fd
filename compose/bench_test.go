package compose_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
)

// leanL1 is a minimal in-process tier (an RWMutex over a map, no expiry) so
// that the benchmarks measure the composition's own overhead against the
// cheapest possible tier.
type leanL1 struct {
	mu sync.RWMutex
	m  map[string][]byte
}

func newLeanL1() *leanL1 { return &leanL1{m: make(map[string][]byte)} }

func (l *leanL1) Get(_ context.Context, key string) (core.Entry, bool, error) {
	l.mu.RLock()
	v, ok := l.m[key]
	l.mu.RUnlock()
	return core.Entry{Value: v, Freshness: core.UnknownFreshness}, ok, nil
}

func (l *leanL1) Set(_ context.Context, key string, value []byte, _ time.Duration) error {
	l.mu.Lock()
	l.m[key] = append([]byte(nil), value...)
	l.mu.Unlock()
	return nil
}

func (l *leanL1) Delete(_ context.Context, key string) error {
	l.mu.Lock()
	delete(l.m, key)
	l.mu.Unlock()
	return nil
}

func (l *leanL1) Exists(_ context.Context, key string) (bool, error) {
	l.mu.RLock()
	_, ok := l.m[key]
	l.mu.RUnlock()
	return ok, nil
}

func (l *leanL1) Health(context.Context) error { return nil }

// benchTiers are the L1s the hit benchmarks run on.
var benchTiers = []struct {
	name string
	new  func() core.Backend
}{
	{"lean", func() core.Backend { return newLeanL1() }},
	{"memory", func() core.Backend { return memory.New() }},
}

// BenchmarkL1Hit compares an L1 hit through a two-tier stack with the same
// L1 alone; the goal is a ratio of at most 1.1 (compare with benchstat).
func BenchmarkL1Hit(b *testing.B) {
	for _, tier := range benchTiers {
		for _, stacked := range []bool{false, true} {
			name := tier.name + "/alone"
			if stacked {
				name = tier.name + "/two-tier"
			}
			b.Run(name, func(b *testing.B) {
				be := benchBackend(b, tier.new(), stacked)
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if _, found, err := be.Get(ctx, "key"); !found || err != nil {
						b.Fatal("miss")
					}
				}
			})
		}
	}
}

// BenchmarkL1HitParallel is BenchmarkL1Hit under b.RunParallel.
func BenchmarkL1HitParallel(b *testing.B) {
	for _, tier := range benchTiers {
		for _, stacked := range []bool{false, true} {
			name := tier.name + "/alone"
			if stacked {
				name = tier.name + "/two-tier"
			}
			b.Run(name, func(b *testing.B) {
				be := benchBackend(b, tier.new(), stacked)
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					ctx := context.Background()
					for pb.Next() {
						if _, found, err := be.Get(ctx, "key"); !found || err != nil {
							b.Error("miss")
							return
						}
					}
				})
			})
		}
	}
}

// BenchmarkL2HitBackfill measures the miss path: an L1 miss, an L2 hit and a
// backfill handed to the offloader (then undone, so every read misses L1).
func BenchmarkL2HitBackfill(b *testing.B) {
	l1, l2 := newLeanL1(), memory.New()
	be, err := compose.New(l1, l2)
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	ctx := context.Background()
	_ = l2.Set(ctx, "key", []byte("value-of-a-typical-size-0123456789"), time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, found, err := be.Get(ctx, "key"); !found || err != nil {
			b.Fatal("miss")
		}
		_ = be.Wait(ctx)
		_ = l1.Delete(ctx, "key")
	}
}

func benchBackend(b *testing.B, l1 core.Backend, stacked bool) core.Backend {
	b.Helper()
	ctx := context.Background()
	if err := l1.Set(ctx, "key", []byte("value-of-a-typical-size-0123456789"), time.Hour); err != nil {
		b.Fatal(err)
	}
	if !stacked {
		return l1
	}
	be, err := compose.New(l1, memory.New())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = be.Close() })
	return be
}
