package compose_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/core"
)

func TestSequentialReadUpperHitSkipsLower(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	b := mustNew(t, up, low)
	up.put(t, "k", "from-up", time.Minute)
	low.put(t, "k", "from-low", time.Minute)
	v, f, found := get(t, b, "k")
	if !found || v != "from-up" {
		t.Fatalf("Get = %q %v, want from-up", v, found)
	}
	if !f.Known || f.FreshFor <= 0 || f.FreshFor > time.Minute {
		t.Errorf("freshness %+v, want the upper tier's", f)
	}
	if low.gets.Load() != 0 {
		t.Errorf("an upper hit read the lower tier %d times", low.gets.Load())
	}
	if s := tierStats(t, b, "compose.up"); s.Hits != 1 {
		t.Errorf("upper stats %+v", s)
	}
}

func TestSequentialReadFallsThroughOnMissAndBackfills(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	b := mustNew(t, up, low)
	low.put(t, "k", "v", time.Minute)
	v, f, found := get(t, b, "k")
	if !found || v != "v" {
		t.Fatalf("Get = %q %v", v, found)
	}
	if !f.Known || f.FreshFor <= 30*time.Second {
		t.Errorf("freshness %+v, want the lower tier's (about a minute)", f)
	}
	wait(t, b)
	uv, ttl, ok := up.peek(t, "k")
	if !ok || uv != "v" {
		t.Fatalf("upper after backfill: %q %v", uv, ok)
	}
	if ttl > compose.DefaultBackfillCap || ttl < compose.DefaultBackfillCap-5*time.Second {
		t.Errorf("backfilled TTL %v, want about the cap %v", ttl, compose.DefaultBackfillCap)
	}
	if s := tierStats(t, b, "compose.up"); s.Misses != 1 || s.Backfills != 1 {
		t.Errorf("upper stats %+v", s)
	}
	if s := tierStats(t, b, "compose.low"); s.Hits != 1 {
		t.Errorf("lower stats %+v", s)
	}
	if bs := b.BackfillStats(); bs.Submitted != 1 || bs.Applied != 1 {
		t.Errorf("backfill stats %+v", bs)
	}
}

func TestSequentialReadFallsThroughOnError(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	up.getErr = errTier(core.KindTransient, "upper down")
	b := mustNew(t, up, low)
	low.put(t, "k", "v", time.Minute)
	if v, _, found := get(t, b, "k"); !found || v != "v" {
		t.Fatalf("Get = %q %v", v, found)
	}
	if s := tierStats(t, b, "compose.up"); s.Errors != 1 {
		t.Errorf("upper stats %+v, want 1 error", s)
	}
	// Upper error and lower miss: a miss, not an error.
	if _, _, found := get(t, b, "absent"); found {
		t.Fatal("found an absent key")
	}
}

func TestSequentialReadLowerError(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	low.getErr = errTier(core.KindTimeout, "lower slow")
	b := mustNew(t, up, low)
	_, _, err := b.Get(context.Background(), "k")
	if !errors.Is(err, core.ErrTimeout) || !isCoreError(err) {
		t.Fatalf("Get error %v, want the lower tier's timeout", err)
	}
	// An upper hit hides the lower tier's trouble.
	up.put(t, "k", "v", time.Minute)
	if v, _, found := get(t, b, "k"); !found || v != "v" {
		t.Fatalf("Get = %q %v", v, found)
	}
}

func TestSequentialReadStaleUpper(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	up.fresh = func(f core.Freshness) core.Freshness { f.Stale = true; return f }
	b := mustNew(t, up, low)
	up.put(t, "k", "old", time.Minute)
	low.put(t, "k", "new", time.Minute)
	if v, _, _ := get(t, b, "k"); v != "new" {
		t.Fatalf("a stale upper value won over a fresh lower one: %q", v)
	}
	if s := tierStats(t, b, "compose.up"); s.StaleHits != 1 {
		t.Errorf("upper stats %+v, want a stale hit", s)
	}
	// The lower tier fails: the stale upper value is better than nothing.
	wait(t, b)
	up.put(t, "k", "old", time.Minute)
	low.getErr = errTier(core.KindTransient, "down")
	v, f, found := get(t, b, "k")
	if !found || v != "old" || !f.Stale {
		t.Fatalf("Get = %q %v %+v, want the stale upper value", v, found, f)
	}
}

func TestRefillNever(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	b := mustNew(t, up, low, compose.WithRefill(compose.RefillNever))
	low.put(t, "k", "v", time.Minute)
	get(t, b, "k")
	wait(t, b)
	if _, _, ok := up.peek(t, "k"); ok {
		t.Fatal("RefillNever backfilled")
	}
	if bs := b.BackfillStats(); bs.Skipped != 1 || bs.Submitted != 0 {
		t.Errorf("backfill stats %+v", bs)
	}
}

// gate is a channel pair that holds a goroutine until released.
type gate struct{ entered, release chan struct{} }

func newGate() gate { return gate{make(chan struct{}, 16), make(chan struct{})} }

func (g gate) hold() {
	g.entered <- struct{}{}
	<-g.release
}

func TestRaceReadFirstHitWins(t *testing.T) {
	for _, slow := range []string{"up", "low"} {
		t.Run("slow "+slow, func(t *testing.T) {
			up, low := newProbe("up", nil), newProbe("low", nil)
			up.put(t, "k", "from-up", time.Minute)
			low.put(t, "k", "from-low", time.Minute)
			g := newGate()
			slowTier, want := up, "from-low"
			if slow == "low" {
				slowTier, want = low, "from-up"
			}
			slowTier.afterGet = func(context.Context, string, core.Entry, bool) { g.hold() }
			b := mustNew(t, up, low, compose.WithReadPolicy(compose.ReadRace))
			v, _, found := get(t, b, "k")
			if !found || v != want {
				t.Fatalf("Get = %q %v, want %q", v, found, want)
			}
			<-g.entered // the loser is still running, in the background
			close(g.release)
			wait(t, b)
		})
	}
}

func TestRaceReadMissWaitsForTheOther(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	low.put(t, "k", "v", time.Minute)
	low.afterGet = func(context.Context, string, core.Entry, bool) { time.Sleep(20 * time.Millisecond) }
	b := mustNew(t, up, low, compose.WithReadPolicy(compose.ReadRace))
	if v, _, found := get(t, b, "k"); !found || v != "v" {
		t.Fatalf("Get = %q %v", v, found)
	}
	wait(t, b)
	if v, _, ok := up.peek(t, "k"); !ok || v != "v" {
		t.Fatalf("race read did not backfill: %q %v", v, ok)
	}
	if _, _, found := get(t, b, "absent"); found {
		t.Fatal("found an absent key")
	}
	low.getErr = errTier(core.KindTransient, "down")
	if _, _, err := b.Get(context.Background(), "absent"); !errors.Is(err, core.ErrTransient) {
		t.Fatalf("upper miss + lower error = %v, want the lower error", err)
	}
	wait(t, b)
}

func TestRaceReadHonoursContext(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	g := newGate()
	up.afterGet = func(context.Context, string, core.Entry, bool) { g.hold() }
	low.afterGet = up.afterGet
	b := mustNew(t, up, low, compose.WithReadPolicy(compose.ReadRace))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, _, err := b.Get(ctx, "k")
	if core.KindOf(err) != core.KindTimeout {
		t.Fatalf("Get with an expiring context = %v", err)
	}
	close(g.release)
	wait(t, b)
}

func TestParallelFreshestRead(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	b := mustNew(t, up, low, compose.WithReadPolicy(compose.ReadParallelFreshest))

	// The lower tier promises more: it wins, and refreshes the upper copy.
	up.put(t, "a", "up-a", 10*time.Second)
	low.put(t, "a", "low-a", time.Hour)
	if v, _, _ := get(t, b, "a"); v != "low-a" {
		t.Errorf("Get a = %q, want the fresher lower value", v)
	}
	wait(t, b)
	if v, _, _ := up.peek(t, "a"); v != "low-a" {
		t.Errorf("upper copy of a = %q, want refreshed", v)
	}

	// The upper tier promises more (it never expires): it wins.
	up.put(t, "b", "up-b", core.NoExpiry)
	low.put(t, "b", "low-b", time.Hour)
	if v, _, _ := get(t, b, "b"); v != "up-b" {
		t.Errorf("Get b = %q, want the fresher upper value", v)
	}

	// Only the upper tier has it.
	up.put(t, "c", "up-c", time.Hour)
	if v, _, _ := get(t, b, "c"); v != "up-c" {
		t.Errorf("Get c = %q", v)
	}

	// A stale lower hit loses to a fresh upper one.
	low.fresh = func(f core.Freshness) core.Freshness { f.Stale = true; return f }
	up.put(t, "d", "up-d", time.Second)
	low.put(t, "d", "low-d", time.Hour)
	if v, _, _ := get(t, b, "d"); v != "up-d" {
		t.Errorf("Get d = %q, want the fresh upper value", v)
	}
	low.fresh = nil

	// Lower error, upper hit: the hit.
	low.getErr = errTier(core.KindTransient, "down")
	if v, _, _ := get(t, b, "c"); v != "up-c" {
		t.Errorf("Get c with the lower tier down = %q", v)
	}
	if _, _, err := b.Get(context.Background(), "none"); !errors.Is(err, core.ErrTransient) {
		t.Errorf("upper miss + lower error = %v", err)
	}
	wait(t, b)
}

func TestConcurrentReadsFallBackWhenOffloaderIsFull(t *testing.T) {
	for _, p := range []compose.ReadPolicy{compose.ReadRace, compose.ReadParallelFreshest} {
		t.Run(p.String(), func(t *testing.T) {
			up, low := newProbe("up", nil), newProbe("low", nil)
			low.put(t, "k", "v", time.Minute)
			off := newFullOffloader(t)
			b := mustNew(t, up, low, compose.WithReadPolicy(p), compose.WithOffloader(off.o))
			if v, _, found := get(t, b, "k"); !found || v != "v" {
				t.Fatalf("Get = %q %v", v, found)
			}
			if bs := b.BackfillStats(); bs.Dropped != 1 {
				t.Errorf("backfill stats %+v, want the backfill dropped", bs)
			}
			off.release()
		})
	}
}
