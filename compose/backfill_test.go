package compose_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/core"
)

// inBothModes runs test once with backfills on the offloader and once
// inline on the reader's goroutine; opts carries the mode.
func inBothModes(t *testing.T, test func(t *testing.T, opts ...compose.Option)) {
	for _, m := range []compose.BackfillMode{compose.BackfillOffloaded, compose.BackfillInline} {
		t.Run(m.String(), func(t *testing.T) { test(t, compose.WithBackfillMode(m)) })
	}
}

// getAsync reads key through b on another goroutine (an inline backfill
// held by a gate blocks the reader) and returns the value it got.
func getAsync(b core.Backend, key string) <-chan string {
	got := make(chan string, 1)
	go func() {
		e, _, _ := b.Get(context.Background(), key)
		got <- string(e.Value)
	}()
	return got
}

func TestBackfillBound(t *testing.T) { inBothModes(t, testBackfillBound) }

func testBackfillBound(t *testing.T, opts ...compose.Option) {
	cases := []struct {
		name      string
		lowerTTL  time.Duration
		fresh     func(core.Freshness) core.Freshness
		wantFill  bool
		wantAbove time.Duration // the copy's TTL is above this...
		wantAtMax time.Duration // ...and at most this
	}{
		{name: "capped", lowerTTL: time.Hour, wantFill: true, wantAbove: 1500 * time.Millisecond, wantAtMax: 2 * time.Second},
		{name: "lower promise", lowerTTL: 800 * time.Millisecond, wantFill: true, wantAbove: 300 * time.Millisecond, wantAtMax: 800 * time.Millisecond},
		{name: "no expiry", lowerTTL: core.NoExpiry, wantFill: true, wantAbove: 1500 * time.Millisecond, wantAtMax: 2 * time.Second},
		{
			name: "unknown freshness", lowerTTL: time.Hour, wantFill: true, wantAbove: 1500 * time.Millisecond, wantAtMax: 2 * time.Second,
			fresh: func(core.Freshness) core.Freshness { return core.UnknownFreshness },
		},
		{
			name: "stale", lowerTTL: time.Hour,
			fresh: func(f core.Freshness) core.Freshness { f.Stale = true; return f },
		},
		{
			name: "no freshness left", lowerTTL: time.Hour,
			fresh: func(core.Freshness) core.Freshness { return core.FreshFor(0) },
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			up, low := newProbe("up", nil), newProbe("low", nil)
			low.fresh = c.fresh
			b := mustNew(t, up, low, append(opts, compose.WithBackfillCap(2*time.Second))...)
			low.put(t, "k", "v", c.lowerTTL)
			v, f, found := get(t, b, "k")
			if !found || v != "v" {
				t.Fatalf("Get = %q %v", v, found)
			}
			if c.fresh != nil && f != c.fresh(f) {
				t.Errorf("freshness %+v is not the lower tier's", f)
			}
			wait(t, b)
			_, ttl, ok := up.peek(t, "k")
			if ok != c.wantFill {
				t.Fatalf("backfilled = %v, want %v", ok, c.wantFill)
			}
			if !ok {
				if bs := b.BackfillStats(); bs.Skipped != 1 {
					t.Errorf("backfill stats %+v, want 1 skipped", bs)
				}
				return
			}
			if ttl <= c.wantAbove || ttl > c.wantAtMax {
				t.Errorf("backfilled TTL %v, want in (%v, %v]", ttl, c.wantAbove, c.wantAtMax)
			}
		})
	}
}

// A lower-tier read that returns an old value while a write completes must
// not put the old value back into the upper tier.
func TestBackfillLosesToAWriteDuringTheLowerRead(t *testing.T) {
	inBothModes(t, testBackfillLosesToAWriteDuringTheLowerRead)
}

func testBackfillLosesToAWriteDuringTheLowerRead(t *testing.T, opts ...compose.Option) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	b := mustNew(t, up, low, opts...)
	low.put(t, "k", "old", time.Minute)
	g := newGate()
	var once sync.Once
	low.afterGet = func(context.Context, string, core.Entry, bool) { once.Do(g.hold) }
	got := getAsync(b, "k")
	<-g.entered // the reader has read "old" from the lower tier
	set(t, b, "k", "new", time.Minute)
	close(g.release)
	if v := <-got; v != "old" {
		t.Fatalf("reader got %q", v)
	}
	wait(t, b)
	if v, _, ok := up.peek(t, "k"); ok && v != "new" {
		t.Fatalf("upper holds %q after the write of %q", v, "new")
	}
	if bs := b.BackfillStats(); bs.Raced+bs.Skipped != 1 || bs.Applied != 0 {
		t.Errorf("backfill stats %+v", bs)
	}
}

// A backfill whose upper-tier write is overtaken by a newer write must not
// leave its older copy behind.
func TestBackfillLosesToAWriteDuringTheUpperWrite(t *testing.T) {
	inBothModes(t, testBackfillLosesToAWriteDuringTheUpperWrite)
}

func testBackfillLosesToAWriteDuringTheUpperWrite(t *testing.T, opts ...compose.Option) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	b := mustNew(t, up, low, opts...)
	low.put(t, "k", "old", time.Minute)
	g := newGate()
	up.beforeSet = func(_ context.Context, _ string, v []byte) {
		if string(v) == "old" {
			g.hold()
		}
	}
	got := getAsync(b, "k")
	<-g.entered // the backfill is about to write "old" to the upper tier
	set(t, b, "k", "new", time.Minute)
	close(g.release)
	if v := <-got; v != "old" {
		t.Fatalf("Get = %q", v)
	}
	wait(t, b)
	if v, _, ok := up.peek(t, "k"); ok && v != "new" {
		t.Fatalf("upper holds %q after the write of %q", v, "new")
	}
	if v, _, _ := get(t, b, "k"); v != "new" {
		t.Fatalf("Get after the write = %q", v)
	}
	if bs := b.BackfillStats(); bs.Raced != 1 {
		t.Errorf("backfill stats %+v, want 1 raced", bs)
	}
}

// A delete that runs while a backfill is on its way must win too.
func TestBackfillLosesToADelete(t *testing.T) { inBothModes(t, testBackfillLosesToADelete) }

func testBackfillLosesToADelete(t *testing.T, opts ...compose.Option) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	b := mustNew(t, up, low, opts...)
	low.put(t, "k", "old", time.Minute)
	g := newGate()
	var once sync.Once
	up.beforeSet = func(context.Context, string, []byte) { once.Do(g.hold) }
	got := getAsync(b, "k")
	<-g.entered
	if err := b.Delete(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	close(g.release)
	<-got
	wait(t, b)
	if _, _, found := get(t, b, "k"); found {
		t.Fatal("a deleted key came back through a backfill")
	}
	if _, _, ok := up.peek(t, "k"); ok {
		t.Fatal("the upper tier holds a deleted key")
	}
}

// Many readers and one writer per key, concurrently: once everything has
// settled, the upper tier never holds a value the lower tier does not.
func TestBackfillConcurrentWritesStress(t *testing.T) {
	inBothModes(t, testBackfillConcurrentWritesStress)
}

func testBackfillConcurrentWritesStress(t *testing.T, opts ...compose.Option) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	jitter := func(context.Context, string, core.Entry, bool) {
		time.Sleep(time.Duration(time.Now().UnixNano()%50) * time.Microsecond)
	}
	low.afterGet = jitter
	b := mustNew(t, up, low, opts...)
	const keys, writes, readers = 4, 200, 6
	var stop atomic.Bool
	var wg sync.WaitGroup
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				key := fmt.Sprintf("k%d", (r+i)%keys)
				if _, _, err := b.Get(context.Background(), key); err != nil {
					t.Error(err)
					return
				}
				if i%3 == 0 { // make the next read miss the upper tier
					_ = up.inner.Delete(context.Background(), key)
				}
			}
		}()
	}
	var writers sync.WaitGroup
	for k := range keys {
		writers.Add(1)
		go func() {
			defer writers.Done()
			key := fmt.Sprintf("k%d", k)
			for i := range writes {
				if i%10 == 9 {
					_ = b.Delete(context.Background(), key)
					continue
				}
				_ = b.Set(context.Background(), key, fmt.Appendf(nil, "%d", i), time.Minute)
			}
		}()
	}
	writers.Wait()
	stop.Store(true)
	wg.Wait()
	wait(t, b)
	for k := range keys {
		key := fmt.Sprintf("k%d", k)
		uv, _, uok := up.peek(t, key)
		lv, _, lok := low.peek(t, key)
		if uok && (!lok || uv != lv) {
			t.Errorf("%s: upper holds %q, lower %q (found %v)", key, uv, lv, lok)
		}
	}
	t.Logf("backfills: %+v", b.BackfillStats())
}

func TestBackfillDroppedWhenOffloaderIsFull(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	off := newFullOffloader(t)
	b := mustNew(t, up, low, compose.WithOffloader(off.o))
	low.put(t, "k", "v", time.Minute)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 3 {
			get(t, b, "k")
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Get blocked on a full offloader")
	}
	if bs := b.BackfillStats(); bs.Dropped != 3 {
		t.Errorf("backfill stats %+v, want 3 dropped", bs)
	}
	if st := b.Stats(); len(st) != 2 || st[0].BackfillsDropped != 3 || st[1].BackfillsDropped != 0 {
		t.Errorf("tier stats %+v, want 3 backfills dropped on the upper tier only", st)
	}
}

func TestBackfillDeduplicatesPerKey(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	g := newGate()
	up.beforeSet = func(context.Context, string, []byte) { g.hold() }
	b := mustNew(t, up, low)
	low.put(t, "k", "v", time.Minute)
	get(t, b, "k")
	<-g.entered
	get(t, b, "k") // the first backfill of k is still running
	close(g.release)
	wait(t, b)
	if bs := b.BackfillStats(); bs.Submitted != 1 || bs.Dropped != 1 || bs.Applied != 1 {
		t.Errorf("backfill stats %+v", bs)
	}
}

func TestCloseDrainsBackfills(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	g := newGate()
	up.beforeSet = func(context.Context, string, []byte) { g.hold() }
	b, err := compose.New(up, low)
	if err != nil {
		t.Fatal(err)
	}
	low.put(t, "k", "v", time.Minute)
	get(t, b, "k")
	<-g.entered
	closed := make(chan error)
	go func() { closed <- b.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned while a backfill was running")
	case <-time.After(30 * time.Millisecond):
	}
	close(g.release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if st := b.Offloader().Stats(); st.Running != 0 || st.Completed != 1 {
		t.Fatalf("offloader after Close: %+v", st)
	}
	// After Close, reads still work but backfill nothing.
	low.put(t, "k2", "v", time.Minute)
	get(t, b, "k2")
	if bs := b.BackfillStats(); bs.Dropped != 1 {
		t.Errorf("backfill stats %+v, want 1 dropped after Close", bs)
	}
	if err := b.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

// The caller owns the slice Get returns (core.Backend), and may overwrite
// it at once: the client decrypts a sealed value in place. A backfill still
// waiting on the offloader must have its own copy, or the upper tier would
// store whatever the caller wrote (plaintext, for a secure client).
func TestOffloadedBackfillOwnsItsCopy(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	release := make(chan struct{})
	up.beforeSet = func(context.Context, string, []byte) { <-release }
	b := mustNew(t, up, low, compose.WithBackfillMode(compose.BackfillOffloaded))
	low.put(t, "k", "sealed bytes", time.Hour)
	e, found, err := b.Get(context.Background(), "k")
	if err != nil || !found {
		t.Fatalf("Get: %v %v", found, err)
	}
	for i := range e.Value {
		e.Value[i] = 'P'
	}
	close(release) // the backfill's Set goes on
	wait(t, b)
	if v, _, ok := up.peek(t, "k"); !ok || v != "sealed bytes" {
		t.Fatalf("upper copy = %q (found %v), want the lower tier's bytes", v, ok)
	}
}
