package compose_test

import (
	"sync/atomic"
	"testing"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
)

// closeCounting is a tier that counts its Close calls.
type closeCounting struct {
	core.Backend
	closed atomic.Int32
}

func (c *closeCounting) Close() error { c.closed.Add(1); return nil }

// watchedCloser is a lower tier with invalidations that counts Close.
type watchedCloser struct {
	*tracked
	closed atomic.Int32
}

func (w *watchedCloser) Close() error { w.closed.Add(1); return nil }

// TestBorrowedBottomStaysOpen: with WithBorrowedBottom, Close closes
// every tier above the bottom one but not the bottom tier itself; without
// it, Close closes them all.
func TestBorrowedBottomStaysOpen(t *testing.T) {
	for _, borrowed := range []bool{false, true} {
		l1 := &closeCounting{Backend: memory.New()}
		l2 := &closeCounting{Backend: memory.New()}
		bottom := &closeCounting{Backend: memory.New()}
		var opts []compose.Option
		if borrowed {
			opts = append(opts, compose.WithBorrowedBottom())
		}
		b, err := compose.TiersWith(opts, l1, l2, bottom)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if l1.closed.Load() != 1 || l2.closed.Load() != 1 {
			t.Errorf("borrowed=%v: upper tiers closed %d and %d times, want once each", borrowed, l1.closed.Load(), l2.closed.Load())
		}
		want := int32(1)
		if borrowed {
			want = 0
		}
		if got := bottom.closed.Load(); got != want {
			t.Errorf("borrowed=%v: bottom tier closed %d times, want %d", borrowed, got, want)
		}
	}
}

// TestBorrowedBottomWatchEndsWithClose: the watch on a borrowed bottom
// tier's invalidations ends with the composition's Close, though the tier
// stays open.
func TestBorrowedBottomWatchEndsWithClose(t *testing.T) {
	bottom := &watchedCloser{tracked: newTracked("bottom", &opLog{})}
	b, err := compose.New(memory.New(), bottom, compose.WithBorrowedBottom())
	if err != nil {
		t.Fatal(err)
	}
	bottom.tracked.mu.Lock()
	started := len(bottom.tracked.watchers)
	bottom.tracked.mu.Unlock()
	if started != 1 {
		t.Fatalf("%d watches started, want 1", started)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	bottom.tracked.mu.Lock()
	stopped := bottom.tracked.stopped
	bottom.tracked.mu.Unlock()
	if stopped != 1 || bottom.closed.Load() != 0 {
		t.Errorf("after Close: %d watches stopped (want 1), bottom closed %d times (want 0)", stopped, bottom.closed.Load())
	}
}
