package compose_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
)

// tracked is a lower tier that reports invalidations the way the test says:
// a probe (which logs and counts the required port) plus GetValue and
// WatchInvalidations. The test calls the watcher itself.
type tracked struct {
	*probe
	watchErr error

	mu       sync.Mutex
	watchers []tier.InvalidationWatcher
	ended    []bool // ended[i]: watchers[i]'s stop was called
	stopped  int

	// valueGets counts GetValue calls: a composition must not use them (a
	// value without its remaining lifetime cannot bound a copy).
	valueGets atomic.Int64
}

func newTracked(name string, log *opLog) *tracked { return &tracked{probe: newProbe(name, log)} }

func (tr *tracked) GetValue(ctx context.Context, key string) ([]byte, bool, error) {
	tr.valueGets.Add(1)
	tr.log.add(tr.name + ".getvalue " + key)
	e, found, err := tr.inner.Get(ctx, key)
	return e.Value, found, err
}

func (tr *tracked) WatchInvalidations(w tier.InvalidationWatcher) (func(), error) {
	if tr.watchErr != nil {
		return nil, tr.watchErr
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	i := len(tr.watchers)
	tr.watchers = append(tr.watchers, w)
	tr.ended = append(tr.ended, false)
	return func() {
		tr.mu.Lock()
		tr.stopped++
		tr.ended[i] = true
		tr.mu.Unlock()
	}, nil
}

// notify reports keys to every watcher whose watch was not stopped, as a
// real Invalidator does when another process writes them.
func (tr *tracked) notify(keys ...string) {
	tr.mu.Lock()
	var ws []tier.InvalidationWatcher
	for i, w := range tr.watchers {
		if !tr.ended[i] {
			ws = append(ws, w)
		}
	}
	tr.mu.Unlock()
	for _, w := range ws {
		w.Invalidated(keys)
	}
}

// watcher returns the only watcher.
func (tr *tracked) watcher(t *testing.T) tier.InvalidationWatcher {
	t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.watchers) != 1 {
		t.Fatalf("%d watchers, want 1", len(tr.watchers))
	}
	return tr.watchers[0]
}

// readValue reads key through b and returns its value.
func readValue(t *testing.T, b core.Backend, key string) (string, bool) {
	t.Helper()
	e, found, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get %q: %v", key, err)
	}
	return string(e.Value), found
}

// upperTTL is the remaining lifetime of key's copy in the upper tier.
func upperTTL(t *testing.T, upper *memory.Backend, key string) (time.Duration, bool) {
	t.Helper()
	d, found, err := upper.TTL(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return d, found
}

// TestInvalidationLiveReads: following invalidations changes what becomes
// of copies, not how they are read: a read still asks the lower tier for
// the value's remaining lifetime (Get, never the lower tier's GetValue),
// and the copy is bounded by it, since expiries are reported late; a
// report deletes the copy, and a Reset drops them all.
func TestInvalidationLiveReads(t *testing.T) {
	upper, lower := memory.New(), newTracked("lower", nil)
	b := mustNew(t, upper, lower)
	w := lower.watcher(t)
	if st := b.Invalidations(); !st.Watching || st.Live {
		t.Fatalf("before Reset(true): %+v, want watching, not live", st)
	}
	lower.put(t, "a", "1", 2*time.Second)
	if v, ok := readValue(t, b, "a"); !ok || v != "1" {
		t.Fatalf("read = %q, %v", v, ok)
	}
	w.Reset(true)
	if st := b.Invalidations(); !st.Live || st.Resets != 1 {
		t.Fatalf("after Reset(true): %+v", st)
	}
	if _, ok := upperTTL(t, upper, "a"); ok {
		t.Fatal("Reset(true) kept a copy made before invalidations flowed")
	}

	// Live: the copy is bounded by the lower tier's remaining freshness.
	if v, ok := readValue(t, b, "a"); !ok || v != "1" {
		t.Fatalf("read = %q, %v", v, ok)
	}
	if lower.valueGets.Load() != 0 || lower.gets.Load() != 2 {
		t.Fatalf("live: %d GetValue, %d Get of the lower tier; want 0, 2", lower.valueGets.Load(), lower.gets.Load())
	}
	if d, ok := upperTTL(t, upper, "a"); !ok || d > 2*time.Second {
		t.Fatalf("copy TTL %v (found %v), want ≤ 2s: a copy must not outlive the key", d, ok)
	}
	if v, ok := readValue(t, b, "a"); !ok || v != "1" || lower.gets.Load() != 2 {
		t.Fatalf("second read = %q, %v with %d lower reads; want an upper hit", v, ok, lower.gets.Load())
	}

	// Another process writes; its report deletes the copy.
	lower.put(t, "a", "2", time.Minute)
	w.Invalidated([]string{"a", "unrelated"})
	if v, ok := readValue(t, b, "a"); !ok || v != "2" {
		t.Fatalf("after the invalidation read = %q, %v; want 2", v, ok)
	}
	if st := b.Invalidations(); st.Keys != 2 {
		t.Fatalf("Keys = %d, want 2", st.Keys)
	}

	// Losing track drops every copy.
	w.Reset(false)
	if st := b.Invalidations(); st.Live || st.Resets != 2 {
		t.Fatalf("after Reset(false): %+v", st)
	}
	if keys := upper.Keys(); len(keys) != 0 {
		t.Fatalf("upper tier kept %v after Reset(false)", keys)
	}
	if v, ok := readValue(t, b, "a"); !ok || v != "2" || lower.valueGets.Load() != 0 {
		t.Fatalf("read after Reset(false) = %q, %v, %d lower GetValue", v, ok, lower.valueGets.Load())
	}
}

// An invalidation or a reset that arrives while a lower-tier value is being
// read must not leave the value's copy in the upper tier: it may be older
// than the change reported.
func TestInvalidationDuringBackfill(t *testing.T) {
	for _, tc := range []struct {
		name   string
		report func(w tier.InvalidationWatcher, key string)
	}{
		{"key", func(w tier.InvalidationWatcher, key string) { w.Invalidated([]string{key}) }},
		{"reset", func(w tier.InvalidationWatcher, _ string) { w.Reset(false); w.Reset(true) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			upper, lower := memory.New(), newTracked("lower", nil)
			b := mustNew(t, upper, lower)
			w := lower.watcher(t)
			w.Reset(true)
			lower.put(t, "k", "old", time.Minute)
			lower.afterGet = func(_ context.Context, key string, _ core.Entry, _ bool) {
				lower.put(t, key, "new", time.Minute) // written elsewhere after our read
				tc.report(w, key)
			}
			if v, ok := readValue(t, b, "k"); !ok || v != "old" {
				t.Fatalf("read = %q, %v", v, ok)
			}
			lower.afterGet = nil
			if _, ok := upperTTL(t, upper, "k"); ok {
				t.Fatal("the copy of a value read before the reported change was kept")
			}
			if st := b.BackfillStats(); st.Raced != 1 {
				t.Fatalf("BackfillStats %+v, want one raced", st)
			}
			if v, _ := readValue(t, b, "k"); v != "new" {
				t.Fatalf("next read = %q, want new", v)
			}
		})
	}
}

// A change reported between a Set's lower-tier and upper-tier writes may be
// a later write by another process: the Set's copy must not stay.
func TestInvalidationDuringSet(t *testing.T) {
	// The watch is not live yet (no Reset(true)): Set writes the upper tier,
	// and a report that arrives during that write must not leave its copy.
	upper := newProbe("upper", nil)
	upperMem := upper.inner.(*memory.Backend)
	lower := newTracked("lower", nil)
	// A probe upper tier hides InMemory and Clear; give them back.
	b := mustNew(t, clearable{upper}, lower)
	w := lower.watcher(t)
	upper.beforeSet = func(_ context.Context, key string, _ []byte) {
		lower.put(t, key, "theirs", time.Minute)
		w.Invalidated([]string{key})
	}
	set(t, b, "k", "ours", time.Minute)
	upper.beforeSet = nil
	if keys := upperMem.Keys(); len(keys) != 0 {
		t.Fatalf("upper tier holds %v after a change was reported during the Set", keys)
	}
	if v, ok := readValue(t, b, "k"); !ok || v != "theirs" {
		t.Fatalf("read = %q, %v; want theirs", v, ok)
	}

	// Without a report in between, the Set's copy stays.
	set(t, b, "j", "ours", time.Minute)
	if v, _, ok := upper.peek(t, "j"); !ok || v != "ours" {
		t.Fatalf("upper copy of j = %q, %v", v, ok)
	}

	// So does a copy written while a Reset(true) runs concurrently with the
	// Set: the Reset advances every generation and clears the upper tier;
	// the Set's recheck deletes a copy that landed after the clear.
	upper.beforeSet = func(context.Context, string, []byte) { w.Reset(true) }
	set(t, b, "i", "ours", time.Minute)
	upper.beforeSet = nil
	if keys := upperMem.Keys(); len(keys) != 0 {
		t.Fatalf("upper tier holds %v after a Reset during the Set", keys)
	}
}

// TestInvalidationWriteAround: while live, Set and SetMany write the lower
// tier and delete the upper copy instead of rewriting it (the lower tier's
// report of the write would delete it); the next read refills it.
func TestInvalidationWriteAround(t *testing.T) {
	ctx := context.Background()
	log := &opLog{}
	upper := newProbe("upper", log)
	lower := newTracked("lower", log)
	b := mustNew(t, clearable{upper}, lower)
	w := lower.watcher(t)
	w.Reset(true)
	upper.put(t, "k", "old", time.Minute)
	upper.put(t, "m", "old", time.Minute)
	log.ops = nil

	set(t, b, "k", "new", time.Minute)
	if got, want := log.get(), []string{"lower.set k", "upper.delete k"}; !slices.Equal(got, want) {
		t.Fatalf("Set while live did %q, want %q", got, want)
	}
	if v, ttl, ok := lower.peek(t, "k"); !ok || v != "new" || ttl <= 0 {
		t.Fatalf("lower copy of k = %q, %v, %v", v, ttl, ok)
	}
	if _, _, ok := upper.peek(t, "k"); ok {
		t.Fatal("the upper tier still holds k after a Set while live")
	}
	if v, ok := readValue(t, b, "k"); !ok || v != "new" {
		t.Fatalf("read = %q, %v; want new", v, ok)
	}
	if v, _, ok := upper.peek(t, "k"); !ok || v != "new" {
		t.Fatalf("the read after the Set did not refill the upper tier: %q, %v", v, ok)
	}

	log.ops = nil
	items := []core.BatchItem{{Key: "m", Value: []byte("new"), TTL: time.Minute}, {Key: "n", Value: []byte("new"), TTL: time.Minute}}
	if err := b.SetMany(ctx, items); err != nil {
		t.Fatal(err)
	}
	if got, want := log.get(), []string{"lower.set m", "lower.set n", "upper.delete m", "upper.delete n"}; !slices.Equal(got, want) {
		t.Fatalf("SetMany while live did %q, want %q", got, want)
	}
	for _, k := range []string{"m", "n"} {
		if _, _, ok := upper.peek(t, k); ok {
			t.Fatalf("the upper tier still holds %s after a SetMany while live", k)
		}
		if v, _, ok := lower.peek(t, k); !ok || v != "new" {
			t.Fatalf("lower copy of %s = %q, %v", k, v, ok)
		}
	}

	// An upper copy that cannot be deleted may shadow the new value: the
	// write fails (the lower tier has the value).
	upper.put(t, "k", "old", time.Minute)
	upper.delErr = &core.Error{Kind: core.KindTransient, Op: "test", Msg: "delete refused"}
	if err := b.Set(ctx, "k", []byte("newer"), time.Minute); core.KindOf(err) != core.KindTransient {
		t.Fatalf("Set with a failing upper delete: %v, want the delete's error", err)
	}
	if err := b.SetMany(ctx, items); core.KindOf(err) != core.KindTransient {
		t.Fatalf("SetMany with a failing upper delete: %v, want the delete's error", err)
	}
	upper.delErr = nil

	// Once the watch is lost, writes go through both tiers again.
	w.Reset(false)
	set(t, b, "k", "newest", time.Minute)
	if v, _, ok := upper.peek(t, "k"); !ok || v != "newest" {
		t.Fatalf("upper copy after a Set while not live = %q, %v", v, ok)
	}
}

// clearable gives a probe back the capabilities a watching composition
// needs of its upper tier.
type clearable struct{ *probe }

func (c clearable) InMemory() bool { return true }
func (c clearable) Clear(ctx context.Context) error {
	return c.inner.(*memory.Backend).Clear(ctx)
}

func TestInvalidationNotWatched(t *testing.T) {
	notSupported := &core.Error{Kind: core.KindNotSupported, Op: "test"}
	for _, tc := range []struct {
		name  string
		upper core.Backend
		opts  []compose.Option
		err   error
	}{
		{"turned off", memory.New(), []compose.Option{compose.WithInvalidation(false)}, nil},
		{"upper tier not in memory", newProbe("upper", nil), nil, nil},
		{"upper tier cannot be cleared", inMemoryOnly{newProbe("upper", nil)}, nil, nil},
		{"lower tier cannot report", memory.New(), nil, notSupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lower := newTracked("lower", nil)
			lower.watchErr = tc.err
			b := mustNew(t, tc.upper, lower, tc.opts...)
			if st := b.Invalidations(); st.Watching {
				t.Fatalf("Invalidations() = %+v, want not watching", st)
			}
			lower.mu.Lock()
			n := len(lower.watchers)
			lower.mu.Unlock()
			if n != 0 {
				t.Fatalf("%d watches started", n)
			}
			lower.put(t, "k", "v", time.Minute)
			if v, ok := readValue(t, b, "k"); !ok || v != "v" || lower.valueGets.Load() != 0 {
				t.Fatalf("read = %q, %v with %d lower GetValue; want Get", v, ok, lower.valueGets.Load())
			}
		})
	}
	t.Run("plain lower tier", func(t *testing.T) {
		b := mustNew(t, memory.New(), newProbe("lower", nil))
		if st := b.Invalidations(); st.Watching {
			t.Fatalf("Invalidations() = %+v", st)
		}
		_, err := b.WatchInvalidations(nopWatcher{})
		if core.KindOf(err) != core.KindNotSupported {
			t.Fatalf("WatchInvalidations over a tier without them: %v, want KindNotSupported", err)
		}
	})
}

type inMemoryOnly struct{ *probe }

func (inMemoryOnly) InMemory() bool { return true }

type nopWatcher struct{}

func (nopWatcher) Invalidated([]string) {}
func (nopWatcher) Reset(bool)           {}

func TestInvalidationClearFails(t *testing.T) {
	var failing atomic.Bool
	upper := memory.New(memory.WithFault(func(op, _ string) error {
		if op == "clear" && failing.Load() {
			return errTier(core.KindTransient, "clear failed")
		}
		return nil
	}))
	lower := newTracked("lower", nil)
	b := mustNew(t, upper, lower)
	w := lower.watcher(t)
	failing.Store(true)
	w.Reset(true)
	if st := b.Invalidations(); st.Live {
		t.Fatal("live although the upper tier could not be cleared")
	}
	failing.Store(false)
	w.Reset(true)
	if st := b.Invalidations(); !st.Live {
		t.Fatal("not live after a Reset(true) whose clear succeeded")
	}
}

func TestInvalidationStackAndClose(t *testing.T) {
	lower := newTracked("l3", nil)
	l1, l2 := memory.New(), memory.New()
	b, err := compose.Tiers(l1, l2, lower)
	if err != nil {
		t.Fatal(err)
	}
	lower.mu.Lock()
	ws := append([]tier.InvalidationWatcher(nil), lower.watchers...)
	lower.mu.Unlock()
	if len(ws) != 2 {
		t.Fatalf("%d watches, want one per composition (2)", len(ws))
	}
	for _, w := range ws {
		w.Reset(true)
	}
	lower.put(t, "k", "v", time.Minute)
	if v, ok := readValue(t, b, "k"); !ok || v != "v" {
		t.Fatalf("read = %q, %v", v, ok)
	}
	for i, m := range []*memory.Backend{l1, l2} {
		if keys := m.Keys(); len(keys) != 1 {
			t.Fatalf("l%d holds %v, want the copy", i+1, keys)
		}
	}
	for _, w := range ws {
		w.Invalidated([]string{"k"})
	}
	for i, m := range []*memory.Backend{l1, l2} {
		if keys := m.Keys(); len(keys) != 0 {
			t.Fatalf("l%d holds %v after the invalidation", i+1, keys)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	lower.mu.Lock()
	defer lower.mu.Unlock()
	if lower.stopped != 2 {
		t.Fatalf("Close stopped %d watches, want 2", lower.stopped)
	}
}

// A client never changes the stack it is given: a client with the minimal
// preset and a production client over one stack both leave its
// invalidations on, so the production client still sees another process's
// write at once. (core.New used to stop a stack's invalidations for the
// minimal preset, for every client of the stack.) The minimal preset's "no
// cross-process invalidation" is chosen where its stack is built.
func TestClientsSharingAStackKeepItsInvalidations(t *testing.T) {
	lower := newTracked("lower", nil)
	stack := mustNew(t, memory.New(), lower)
	lower.watcher(t).Reset(true)
	ctx := context.Background()

	minimal, err := core.New(stack, core.WithCodec(textCodec{}), core.WithPreset(core.PresetMinimal))
	if err != nil {
		t.Fatal(err)
	}
	prod, err := core.New(stack, core.WithCodec(textCodec{}), core.WithPreset(core.PresetProduction))
	if err != nil {
		t.Fatal(err)
	}
	if st := stack.Invalidations(); !st.Watching || !st.Live {
		t.Fatalf("after a minimal client's New: %+v, want the stack still watching, live", st)
	}

	sk, err := prod.StorageKey("k")
	if err != nil {
		t.Fatal(err)
	}
	lower.put(t, sk, "1", time.Hour)
	for _, c := range []*core.Client{minimal, prod} {
		if v, ok, err := core.Get[string](ctx, c, "k"); err != nil || !ok || v != "1" {
			t.Fatalf("first read = %q, %v, %v; want 1", v, ok, err)
		}
	}
	// Another process writes the key; the lower tier reports it.
	lower.put(t, sk, "2", time.Hour)
	lower.notify(sk)
	if v, ok, err := core.Get[string](ctx, prod, "k"); err != nil || !ok || v != "2" {
		t.Fatalf("production client read %q, %v, %v after another writer's change; want 2 (its L1 copy should be gone)", v, ok, err)
	}

	// The minimal preset's intent, chosen where the stack is built.
	off := newTracked("off", nil)
	mustNew(t, memory.New(), off, compose.WithInvalidation(false))
	off.mu.Lock()
	defer off.mu.Unlock()
	if len(off.watchers) != 0 {
		t.Fatalf("a stack built with WithInvalidation(false) watches %d times", len(off.watchers))
	}
}
