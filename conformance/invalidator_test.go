package conformance

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
)

// notifying is a memory backend that reports its own changes the way a
// shared store would: writes and deletes at once, expiries by timer, all
// from one goroutine per watch. Its flaws are switched on for the broken
// cases.
type notifying struct {
	*memory.Backend
	silentWrites  bool // never reports a write
	noExpiries    bool // never reports an expiry
	lateAfterStop bool // stop returns before the reports end
	neverLive     bool // never says Reset(true)

	mu      sync.Mutex
	watches map[*notifyWatch]struct{}
}

type notifyWatch struct {
	w    tier.InvalidationWatcher
	q    chan func(tier.InvalidationWatcher)
	done chan struct{}
}

func newNotifying(m *memory.Backend) *notifying {
	return &notifying{Backend: m, watches: make(map[*notifyWatch]struct{})}
}

func (n *notifying) WatchInvalidations(w tier.InvalidationWatcher) (func(), error) {
	wt := &notifyWatch{w: w, q: make(chan func(tier.InvalidationWatcher), 1024), done: make(chan struct{})}
	go func() {
		defer close(wt.done)
		for f := range wt.q {
			f(wt.w)
		}
	}()
	n.mu.Lock()
	n.watches[wt] = struct{}{}
	n.mu.Unlock()
	if !n.neverLive {
		wt.q <- func(w tier.InvalidationWatcher) { w.Reset(true) }
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			n.mu.Lock()
			delete(n.watches, wt)
			n.mu.Unlock()
			wt.q <- func(w tier.InvalidationWatcher) { w.Reset(false) }
			if n.lateAfterStop {
				go func() {
					time.Sleep(20 * time.Millisecond)
					w.Invalidated([]string{"late"})
					close(wt.q)
				}()
				return
			}
			close(wt.q)
			<-wt.done
		})
	}, nil
}

func (n *notifying) report(key string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for wt := range n.watches {
		wt.q <- func(w tier.InvalidationWatcher) { w.Invalidated([]string{key}) }
	}
}

func (n *notifying) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := n.Backend.Set(ctx, key, value, ttl); err != nil {
		return err
	}
	if !n.silentWrites {
		n.report(key)
	}
	if ttl > 0 && !n.noExpiries {
		time.AfterFunc(ttl, func() { n.report(key) })
	}
	return nil
}

func (n *notifying) Delete(ctx context.Context, key string) error {
	if err := n.Backend.Delete(ctx, key); err != nil {
		return err
	}
	n.report(key)
	return nil
}

// TestInvalidatorChecks: a backend that reports every change passes the
// Invalidator check; each flaw fails it.
func TestInvalidatorChecks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		flaw func(*notifying)
		fail bool
	}{
		{"Reports", func(*notifying) {}, false},
		{"SilentWrites", func(n *notifying) { n.silentWrites = true }, true},
		{"NoExpiries", func(n *notifying) { n.noExpiries = true }, true},
		{"LateAfterStop", func(n *notifying) { n.lateAfterStop = true }, true},
		{"NeverLive", func(n *notifying) { n.neverLive = true }, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := runRecorded(t, memoryHarness(func(m *memory.Backend) core.Backend {
				n := newNotifying(m)
				c.flaw(n)
				return n
			}))
			if failed := len(got["Invalidator"]) > 0; failed != c.fail {
				t.Errorf("Invalidator failed = %v, want %v: %v", failed, c.fail, got["Invalidator"])
			}
			t.Logf("failed checks: %v", keys(got))
		})
	}
}
