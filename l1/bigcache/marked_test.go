package bigcache_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/l1/bigcache"
)

// The marks themselves (every mark kept with its copy, dropped by any
// other write, copies and values expiring on time under the coarse clock)
// are checked by the conformance suite (conformance_test.go).

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
		if _, _, _, found := b.GetLocalMarked(ctx, "k"); !found {
			t.Fatal("GetLocalMarked found nothing")
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
