package bigcache_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/l1/bigcache"
)

// TestMarkedCopies: SetCopyMarked stores the mark with the copy, and
// GetLocalMarked returns it with the value and the value's freshness, for
// every mark; Get returns the same value. Any other write of the key drops
// the mark, and Expire keeps the value.
func TestMarkedCopies(t *testing.T) {
	ctx := context.Background()
	b := newBackend(t)
	for m := 1; m <= 255; m++ {
		mark := core.GuardMark(m)
		if err := b.SetCopyMarked(ctx, "k", []byte("value"), time.Minute, core.FreshFor(time.Hour), mark); err != nil {
			t.Fatal(err)
		}
		e, got, found, err := b.GetLocalMarked(ctx, "k")
		if err != nil || !found || got != mark || string(e.Value) != "value" {
			t.Fatalf("mark %#x: GetLocalMarked = %q, %#x, %v, %v", mark, e.Value, got, found, err)
		}
		// The coarse clock may overstate what is left by its lag.
		if f := e.Freshness; !f.Known || f.FreshFor <= 59*time.Minute || f.FreshFor > time.Hour+time.Second {
			t.Fatalf("mark %#x: freshness %+v, want the value's hour", mark, f)
		}
		if e, found, err := b.Get(ctx, "k"); err != nil || !found || string(e.Value) != "value" {
			t.Fatalf("mark %#x: Get = %q, %v, %v", mark, e.Value, found, err)
		}
	}
	fresh := core.FreshFor(time.Hour)
	for name, write := range map[string]func() error{
		"Set":     func() error { return b.Set(ctx, "k", []byte("value"), time.Minute) },
		"SetCopy": func() error { return b.SetCopy(ctx, "k", []byte("value"), time.Minute, fresh) },
		"Expire": func() error {
			_, err := b.Expire(ctx, "k", time.Minute)
			return err
		},
	} {
		if err := b.SetCopyMarked(ctx, "k", []byte("value"), time.Minute, fresh, 0x5a); err != nil {
			t.Fatal(err)
		}
		if err := write(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		e, mark, found, err := b.GetLocalMarked(ctx, "k")
		if err != nil || !found || mark != 0 || string(e.Value) != "value" {
			t.Errorf("after %s: GetLocalMarked = %q, %#x, %v, %v; want the value without a mark", name, e.Value, mark, found, err)
		}
	}
}

// TestGetLocalMarkedExpires: the coarse clock's read still serves an entry
// only until it expires.
func TestGetLocalMarkedExpires(t *testing.T) {
	ctx := context.Background()
	b := newBackend(t)
	if err := b.SetCopyMarked(ctx, "k", []byte("v"), 20*time.Millisecond, core.FreshFor(time.Hour), 1); err != nil {
		t.Fatal(err)
	}
	w := time.Now()
	if err := b.Set(ctx, "p", []byte("v"), 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(w.Add(25 * time.Millisecond)))
	for _, k := range []string{"k", "p"} {
		if _, _, found, err := b.GetLocalMarked(ctx, k); found || err != nil {
			t.Errorf("GetLocalMarked(%s) after expiry = %v, %v; want a miss", k, found, err)
		}
	}
}

// TestCoarseClockStopsWithTheLastClose: the clock's goroutine runs while a
// backend is open and is gone once every backend is closed.
func TestCoarseClockStopsWithTheLastClose(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	ctx := context.Background()
	var bs []*bigcache.Backend
	for range 2 {
		b, err := bigcache.New()
		if err != nil {
			t.Fatal(err)
		}
		bs = append(bs, b)
		if err := b.SetCopyMarked(ctx, "k", []byte("v"), time.Minute, core.UnknownFreshness, 1); err != nil {
			t.Fatal(err)
		}
		if _, _, found, err := b.GetLocalMarked(ctx, "k"); !found || err != nil {
			t.Fatalf("GetLocalMarked = %v, %v", found, err)
		}
	}
	if err := goleak.Find(ignore); err == nil {
		t.Error("no clock goroutine while backends are open")
	}
	_ = bs[0].Close()
	_ = bs[0].Close() // a second Close releases nothing more
	if err := goleak.Find(ignore); err == nil {
		t.Error("the clock stopped while a backend is still open")
	}
	_ = bs[1].Close()
	if err := goleak.Find(ignore); err != nil {
		t.Error(err)
	}
}
