package conformance

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachekit-io/cachekit-go/core/tier"
)

// invalidationWait bounds how long the suite waits for an invalidation
// watch to go live and for a change to be reported (an expiry included).
const invalidationWait = 5 * time.Second

// watchRecorder is the suite's tier.InvalidationWatcher: it records what it
// is told and notices calls that overlap or come after stop.
type watchRecorder struct {
	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every call
	keys    map[string]int
	resets  int
	live    bool

	inCall     atomic.Int32
	overlapped atomic.Bool
	stopped    atomic.Bool
	late       atomic.Bool
}

func newWatchRecorder() *watchRecorder {
	return &watchRecorder{changed: make(chan struct{}), keys: make(map[string]int)}
}

func (r *watchRecorder) enter() {
	if r.inCall.Add(1) > 1 {
		r.overlapped.Store(true)
	}
	if r.stopped.Load() {
		r.late.Store(true)
	}
}

func (r *watchRecorder) leave() {
	r.mu.Lock()
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	r.inCall.Add(-1)
}

func (r *watchRecorder) Invalidated(keys []string) {
	r.enter()
	defer r.leave()
	r.mu.Lock()
	for _, k := range keys {
		r.keys[k]++
	}
	r.mu.Unlock()
}

func (r *watchRecorder) Reset(live bool) {
	r.enter()
	defer r.leave()
	r.mu.Lock()
	r.resets++
	r.live = live
	r.mu.Unlock()
}

// mark is what has been reported so far about one key.
type mark struct{ key, resets int }

func (r *watchRecorder) mark(key string) mark {
	r.mu.Lock()
	defer r.mu.Unlock()
	return mark{r.keys[key], r.resets}
}

// await waits until cond holds (it is called with r.mu held) or the wait
// is over, and reports whether it held.
func (r *watchRecorder) await(t tester, cond func() bool) bool {
	deadline := time.NewTimer(invalidationWait)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok, ch := cond(), r.changed
		r.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		case <-t.Context().Done():
			return false
		}
	}
}

// reported waits until key has been reported since m (by name, or covered
// by a reset).
func (r *watchRecorder) reported(t tester, key string, m mark) bool {
	return r.await(t, func() bool { return r.keys[key] > m.key || r.resets > m.resets })
}

func (s *suite) testInvalidator(t tester) {
	b, x, ok := capability[tier.Invalidator](s, t)
	if !ok {
		return
	}
	r := newWatchRecorder()
	stop, err := x.WatchInvalidations(r)
	if !supported(t, err, "tier.Invalidator") || !noErr(t, err, "WatchInvalidations") {
		return
	}
	defer func() {
		if !r.stopped.Load() {
			stop()
		}
	}()
	if !r.await(t, func() bool { return r.live }) {
		t.Fatalf("WatchInvalidations: no Reset(true) within %v", invalidationWait)
	}
	k := s.key(t, "k")
	change := func(what string, do func() bool) {
		t.Helper()
		m := r.mark(k)
		if do() && !r.reported(t, k, m) {
			t.Errorf("%s of %q was not reported within %v", what, k, invalidationWait)
		}
	}
	change("a write", func() bool { return set(t, b, k, []byte("v1"), s.long) })
	change("an overwrite", func() bool { return set(t, b, k, []byte("v2"), s.long) })
	change("a delete", func() bool { return noErr(t, b.Delete(t.Context(), k), "Delete") })
	// A write with a short TTL is two changes: the write, then the expiry.
	// A store may report an expiry only when it reclaims the entry (Redis:
	// when the key is next touched, or when its sampling expiry cycle finds
	// it, which on a busy keyspace can take long), so the key is read once
	// its TTL has passed.
	m := r.mark(k)
	if set(t, b, k, []byte("v3"), s.short) {
		time.Sleep(s.short + s.slack)
		if _, found, err := b.Get(t.Context(), k); noErr(t, err, "Get after expiry") && found {
			t.Errorf("Get(%q) found the value %v after a write with TTL %v", k, s.short+s.slack, s.short)
		}
		if !r.await(t, func() bool { return r.keys[k] >= m.key+2 || r.resets > m.resets }) {
			t.Errorf("the expiry of %q (TTL %v) was not reported within %v (%d reports since the write)", k, s.short, invalidationWait, r.mark(k).key-m.key)
		}
	}
	if r.overlapped.Load() {
		t.Errorf("the watcher was called concurrently")
	}

	stop()
	r.stopped.Store(true)
	if set(t, b, k, []byte("after stop"), s.long) {
		time.Sleep(100 * time.Millisecond) // time for a late report to arrive
	}
	if r.late.Load() {
		t.Errorf("the watcher was called after stop returned")
	}
	r.mu.Lock()
	live := r.live
	r.mu.Unlock()
	if live {
		t.Errorf("stop ended a live watch without Reset(false)")
	}
}
