package compose_test

import (
	"context"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/core"
)

// localProbe is a probe that is also a tier.LocalGetter (an in-process tier).
type localProbe struct{ *probe }

func (l localProbe) GetLocal(ctx context.Context, key string) (core.Entry, bool, error) {
	return l.Get(ctx, key)
}

func getLocal(t *testing.T, b *compose.Backend, key string) (string, bool) {
	t.Helper()
	e, found, err := b.GetLocal(context.Background(), key)
	if err != nil {
		t.Fatalf("GetLocal %q: %v", key, err)
	}
	return string(e.Value), found
}

func TestGetLocal(t *testing.T) {
	up, low := localProbe{newProbe("up", nil)}, newProbe("low", nil)
	b := mustNew(t, up, low)
	up.put(t, "both", "u", time.Minute)
	low.put(t, "both", "l", time.Minute)
	low.put(t, "low-only", "l", time.Minute)

	if v, found := getLocal(t, b, "both"); !found || v != "u" {
		t.Fatalf("upper hit: %q %v", v, found)
	}
	if _, found := getLocal(t, b, "low-only"); found {
		t.Fatal("GetLocal reached the lower tier")
	}
	if low.gets.Load() != 0 {
		t.Fatalf("GetLocal read the lower tier %d times", low.gets.Load())
	}
	if st := b.Stats(); st[0].Hits != 1 || st[0].Misses != 0 || st[1].Hits+st[1].Misses != 0 {
		t.Fatalf("stats %+v: a local hit counts once on the upper tier, a local miss not at all", st)
	}

	// A stale upper copy is not a local answer.
	up.fresh = func(core.Freshness) core.Freshness { return core.Freshness{Known: true, Stale: true} }
	if _, found := getLocal(t, b, "both"); found {
		t.Fatal("GetLocal served a stale upper copy")
	}
	up.fresh = nil

	// Nested: the composition over a composition reaches the innermost L1.
	outer := mustNew(t, b, newProbe("l3", nil))
	if v, found := getLocal(t, outer, "both"); !found || v != "u" {
		t.Fatalf("nested: %q %v", v, found)
	}

	// No local answer when the upper tier is not in process, or when the
	// read policy must consult the lower tier.
	remote := mustNew(t, newProbe("remote", nil), low)
	if _, found := getLocal(t, remote, "low-only"); found {
		t.Fatal("GetLocal answered without an in-process upper tier")
	}
	for _, p := range []compose.ReadPolicy{compose.ReadRace, compose.ReadParallelFreshest} {
		rb := mustNew(t, up, low, compose.WithReadPolicy(p))
		if _, found := getLocal(t, rb, "both"); found {
			t.Fatalf("read policy %v: GetLocal short-circuited the lower tier", p)
		}
	}
}
