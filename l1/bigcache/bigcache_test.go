package bigcache_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bc "github.com/allegro/bigcache/v3"

	"github.com/cachekit-io/cachekit-go/conformance"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
	"github.com/cachekit-io/cachekit-go/l1/bigcache"
)

func newBackend(t testing.TB, opts ...bigcache.Option) *bigcache.Backend {
	t.Helper()
	b, err := bigcache.New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestConformance(t *testing.T) {
	conformance.RunBackend(t, conformance.Harness{
		New:           func(t *testing.T) core.Backend { return newBackend(t) },
		TTLResolution: time.Millisecond,
	})
}

// TestConformanceBounded runs the suite on a bounded, few-shard backend with
// room for the suite's large values.
func TestConformanceBounded(t *testing.T) {
	conformance.RunBackend(t, conformance.Harness{
		New: func(t *testing.T) core.Backend {
			return newBackend(t, bigcache.WithMaxBytes(64<<20), bigcache.WithShards(4), bigcache.WithMaxEntries(10000))
		},
		MaxValueSize: 4 << 20,
	})
}

// clock is a manual clock for tests.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func TestExpiryWithClock(t *testing.T) {
	clk := newClock()
	b := newBackend(t, bigcache.WithClock(clk.now))
	ctx := context.Background()
	if err := b.Set(ctx, "k", []byte("v"), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, "forever", []byte("f"), core.NoExpiry); err != nil {
		t.Fatal(err)
	}
	clk.advance(4 * time.Second)
	e, found, err := b.Get(ctx, "k")
	if err != nil || !found || string(e.Value) != "v" {
		t.Fatalf("Get = %v %v %v", e, found, err)
	}
	if want := (core.Freshness{Known: true, FreshFor: 6 * time.Second}); e.Freshness != want {
		t.Errorf("Freshness = %+v, want %+v", e.Freshness, want)
	}
	if ttl, found, _ := b.TTL(ctx, "k"); !found || ttl != 6*time.Second {
		t.Errorf("TTL = %v %v, want 6s", ttl, found)
	}
	if ok, err := b.Expire(ctx, "k", 20*time.Second); !ok || err != nil {
		t.Errorf("Expire = %v %v", ok, err)
	}
	clk.advance(19 * time.Second)
	if _, found, _ := b.Get(ctx, "k"); !found {
		t.Errorf("entry gone before its refreshed TTL")
	}
	clk.advance(time.Second) // exactly at expiry: gone
	if _, found, _ := b.Get(ctx, "k"); found {
		t.Errorf("entry returned at its expiry instant")
	}
	if ok, _ := b.Exists(ctx, "k"); ok {
		t.Errorf("Exists true after expiry")
	}
	if st := b.Stats()[0]; st.Entries != 1 {
		t.Errorf("expired entry not deleted on read: Entries = %d, want 1", st.Entries)
	}
	e, found, _ = b.Get(ctx, "forever")
	if !found || e.Freshness != core.ForeverFresh() {
		t.Errorf("no-expiry entry: found %v freshness %+v", found, e.Freshness)
	}
	if ttl, found, _ := b.TTL(ctx, "forever"); !found || ttl != core.NoExpiry {
		t.Errorf("TTL(forever) = %v %v", ttl, found)
	}
}

func TestStats(t *testing.T) {
	clk := newClock()
	b := newBackend(t, bigcache.WithClock(clk.now))
	ctx := context.Background()
	_ = b.Set(ctx, "a", []byte("1"), time.Second)
	_ = b.Set(ctx, "b", []byte("2"), time.Minute)
	_, _, _ = b.Get(ctx, "a")            // hit
	_, _, _ = b.Get(ctx, "b")            // hit
	_, _, _ = b.Get(ctx, "missing")      // miss
	_, _, _ = b.TTL(ctx, "a")            // not counted
	_, _ = b.Exists(ctx, "missing")      // not counted
	_, _ = b.Expire(ctx, "b", time.Hour) // not counted
	clk.advance(2 * time.Second)
	_, _, _ = b.Get(ctx, "a") // expired: miss
	st := b.Stats()
	if len(st) != 1 {
		t.Fatalf("Stats() = %d tiers", len(st))
	}
	s := st[0]
	if s.Name != "bigcache" || s.Hits != 2 || s.Misses != 2 || s.Entries != 1 || s.SizeBytes <= 0 {
		t.Errorf("Stats = %+v; want name bigcache, 2 hits, 2 misses, 1 entry, SizeBytes > 0", s)
	}
}

func TestMaxBytesEvicts(t *testing.T) {
	b := newBackend(t, bigcache.WithMaxBytes(1<<20), bigcache.WithShards(1))
	ctx := context.Background()
	v := bytes.Repeat([]byte{1}, 10<<10)
	for i := range 300 { // ~3 MiB into 1 MiB
		if err := b.Set(ctx, fmt.Sprintf("k%d", i), v, time.Hour); err != nil {
			t.Fatalf("Set %d: %v", i, err)
		}
	}
	s := b.Stats()[0]
	if s.Evictions == 0 || s.Entries >= 300 || s.SizeBytes > 1<<20 {
		t.Errorf("Stats = %+v; want evictions, fewer than 300 entries, <= 1 MiB", s)
	}
	if _, found, _ := b.Get(ctx, "k299"); !found {
		t.Errorf("newest entry evicted")
	}
	if _, found, _ := b.Get(ctx, "k0"); found {
		t.Errorf("oldest entry survived")
	}
	// An entry larger than a shard is rejected with KindPayloadTooLarge.
	err := b.Set(ctx, "huge", make([]byte, 2<<20), time.Hour)
	if core.KindOf(err) != core.KindPayloadTooLarge || !errors.Is(err, core.ErrPayloadTooLarge) {
		t.Errorf("Set(2 MiB into 1 MiB) = %v, want KindPayloadTooLarge", err)
	}
	if _, found, _ := b.Get(ctx, "huge"); found {
		t.Errorf("rejected entry stored")
	}
}

func TestMaxEntries(t *testing.T) {
	const max = 100
	b := newBackend(t, bigcache.WithMaxEntries(max))
	ctx := context.Background()
	for i := range 1000 {
		key := fmt.Sprintf("k%d", i)
		if err := b.Set(ctx, key, []byte("v"), time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := b.Get(ctx, key); !found {
			t.Fatalf("key %s evicted right after being written", key)
		}
		if n := b.Stats()[0].Entries; n > max {
			t.Fatalf("after %d writes: %d entries, want <= %d", i+1, n, max)
		}
	}
	if s := b.Stats()[0]; s.Evictions < 900 {
		t.Errorf("Evictions = %d, want >= 900", s.Evictions)
	}
}

func TestConcurrentExpireAndSet(t *testing.T) {
	// Expire must never resurrect a value replaced or deleted meanwhile.
	b := newBackend(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 200 {
		k := fmt.Sprintf("k%d", i%8)
		_ = b.Set(ctx, k, []byte("old"), time.Hour)
		wg.Add(2)
		go func() { defer wg.Done(); _, _ = b.Expire(ctx, k, time.Hour) }()
		go func() { defer wg.Done(); _ = b.Set(ctx, k, []byte("new"), time.Hour) }()
		wg.Wait()
		if e, _, _ := b.Get(ctx, k); string(e.Value) != "new" {
			t.Fatalf("iteration %d: Get = %q after Set(new) raced with Expire", i, e.Value)
		}
	}
}

func TestOptionsAndClose(t *testing.T) {
	for _, n := range []int{0, -1, 3, 100} {
		_, err := bigcache.New(bigcache.WithShards(n))
		if core.KindOf(err) != core.KindConfig {
			t.Errorf("New(WithShards(%d)) = %v, want KindConfig", n, err)
		}
	}
	b := newBackend(t)
	var _ io.Closer = b
	if _, ok := any(b).(core.Locker); ok {
		t.Errorf("Backend implements core.Locker; an in-process lock is not a distributed one")
	}
	ctx := context.Background()
	_ = b.Set(ctx, "k", []byte("v"), time.Hour)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Get(ctx, "k"); core.KindOf(err) != core.KindPermanent {
		t.Errorf("Get after Close = %v, want KindPermanent", err)
	}
	if err := b.Health(ctx); err == nil {
		t.Errorf("Health after Close = nil")
	}
}

// newRaw returns the baseline: a plain bigcache with the same shards.
func newRaw(b testing.TB) *bc.BigCache {
	c, err := bc.New(context.Background(), bc.Config{
		Shards: bigcache.DefaultShards, LifeWindow: time.Hour, MaxEntriesInWindow: 64 * bigcache.DefaultShards, MaxEntrySize: 128,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	return c
}

var sink []byte

func BenchmarkGet(b *testing.B) {
	for _, size := range []int{64, 1024, 16 << 10} {
		v := bytes.Repeat([]byte{7}, size)
		b.Run(fmt.Sprintf("backend/%d", size), func(b *testing.B) {
			be := newBackend(b)
			ctx := context.Background()
			_ = be.Set(ctx, "key", v, time.Hour)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				e, _, _ := be.Get(ctx, "key")
				sink = e.Value
			}
		})
		b.Run(fmt.Sprintf("raw/%d", size), func(b *testing.B) {
			c := newRaw(b)
			_ = c.Set("key", v)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				sink, _ = c.Get("key")
			}
		})
	}
}

func BenchmarkSet(b *testing.B) {
	for _, size := range []int{64, 1024, 16 << 10} {
		v := bytes.Repeat([]byte{7}, size)
		b.Run(fmt.Sprintf("backend/%d", size), func(b *testing.B) {
			be := newBackend(b)
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				_ = be.Set(ctx, "key", v, time.Hour)
			}
		})
		b.Run(fmt.Sprintf("raw/%d", size), func(b *testing.B) {
			c := newRaw(b)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				_ = c.Set("key", v)
			}
		})
	}
}

func BenchmarkGetParallel(b *testing.B) {
	be := newBackend(b)
	ctx := context.Background()
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("key%d", i)
		_ = be.Set(ctx, keys[i], []byte("a small cached value"), time.Hour)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			_, _, _ = be.Get(ctx, keys[i&1023])
			i++
		}
	})
}

// The backend declares itself in memory, so that a composition over
// another tier writes its backfills into it inline (compose.BackfillAuto).
func TestInMemory(t *testing.T) {
	var be core.Backend = newBackend(t)
	m, ok := be.(tier.InMemory)
	if !ok || !m.InMemory() {
		t.Fatalf("l1/bigcache does not report tier.InMemory (ok=%v)", ok)
	}
}
