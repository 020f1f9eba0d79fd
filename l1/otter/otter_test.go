package otter_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/conformance"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/l1/otter"
)

func newBackend(t *testing.T, opts ...otter.Option) *otter.Backend {
	t.Helper()
	b, err := otter.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestConformance(t *testing.T) {
	conformance.RunBackend(t, conformance.Harness{New: func(t *testing.T) core.Backend { return newBackend(t) }, TTLResolution: time.Millisecond})
}

func TestConformanceBounded(t *testing.T) {
	conformance.RunBackend(t, conformance.Harness{
		New:          func(t *testing.T) core.Backend { return newBackend(t, otter.WithMaxBytes(64<<20)) },
		MaxValueSize: 4 << 20,
	})
}

func TestNewRejectsBadBounds(t *testing.T) {
	for _, opts := range [][]otter.Option{
		{otter.WithMaxBytes(-1)},
		{otter.WithMaxEntries(-1)},
		{otter.WithMaxBytes(1 << 20), otter.WithMaxEntries(10)},
	} {
		if _, err := otter.New(opts...); core.KindOf(err) != core.KindConfig {
			t.Errorf("New: %v, want KindConfig", err)
		}
	}
}

// TestClockDrivesExpiry: with WithClock, entries expire by that clock, and
// a copy reports its value's freshness, aged.
func TestClockDrivesExpiry(t *testing.T) {
	ctx := t.Context()
	now := time.Unix(1_000_000, 0)
	b := newBackend(t, otter.WithClock(func() time.Time { return now }))
	if err := b.Set(ctx, "k", []byte("v"), time.Second); err != nil {
		t.Fatal(err)
	}
	if err := b.SetCopy(ctx, "c", []byte("w"), time.Second, core.Freshness{Known: true, FreshFor: time.Minute}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(500 * time.Millisecond)
	if d, ok, err := b.TTL(ctx, "k"); err != nil || !ok || d != 500*time.Millisecond {
		t.Fatalf("TTL = %v %v %v, want 500ms", d, ok, err)
	}
	if e, ok, err := b.Get(ctx, "c"); err != nil || !ok || e.Freshness.FreshFor != time.Minute-500*time.Millisecond {
		t.Fatalf("copy: %+v %v %v, want fresh for 59.5s", e, ok, err)
	}
	now = now.Add(time.Second)
	for _, k := range []string{"k", "c"} {
		if _, ok, err := b.Get(ctx, k); err != nil || ok {
			t.Fatalf("%s after its TTL: found %v, err %v", k, ok, err)
		}
	}
	if s := b.Stats()[0]; s.Hits != 1 || s.Misses != 2 {
		t.Fatalf("stats %+v, want 1 hit and 2 misses", s)
	}
}

// TestEvictionsObservedAndCounted: an entry otter drops to make room is
// counted in Stats and reported to the observer as a size eviction of tier
// "l1".
func TestEvictionsObservedAndCounted(t *testing.T) {
	var seen atomic.Uint64
	obs := &core.Observer{OnEviction: func(e core.EvictionEvent) {
		if e.Tier != "l1" || e.Reason != "size" || e.Count != 1 {
			t.Errorf("eviction event %+v", e)
		}
		seen.Add(1)
	}}
	b, err := otter.New(otter.WithMaxEntries(10), otter.WithObserver(obs))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	for i := range 200 {
		if err := b.Set(ctx, "k"+strconv.Itoa(i), []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	evicted := b.Stats()[0].Evictions
	if evicted == 0 || seen.Load() != evicted {
		t.Fatalf("Stats counts %d evictions, the observer saw %d; want the same, above 0", evicted, seen.Load())
	}
}
