package compose_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
)

func TestThreeTiers(t *testing.T) {
	l1, l2, l3 := newProbe("l1", nil), newProbe("l2", nil), newProbe("l3", nil)
	b, err := compose.Tiers(l1, l2, l3)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	set(t, b, "k", "v", time.Minute)
	for _, p := range []*probe{l1, l2, l3} {
		if v, _, ok := p.peek(t, "k"); !ok || v != "v" {
			t.Errorf("%s after Set: %q %v", p.name, v, ok)
		}
	}
	if v, _, _ := get(t, b, "k"); v != "v" || l2.gets.Load() != 0 {
		t.Errorf("L1 hit: %q, L2 reads %d", v, l2.gets.Load())
	}

	// Only L3 has it: the read backfills L2 (inner pair) and L1 (outer pair).
	_ = l1.inner.Delete(context.Background(), "k")
	_ = l2.inner.Delete(context.Background(), "k")
	v, f, found := get(t, b, "k")
	if !found || v != "v" || !f.Known || f.FreshFor <= 30*time.Second {
		t.Fatalf("Get from L3 = %q %v %+v", v, found, f)
	}
	wait(t, b)
	for _, p := range []*probe{l1, l2} {
		_, ttl, ok := p.peek(t, "k")
		if !ok || ttl > compose.DefaultBackfillCap {
			t.Errorf("%s after the L3 hit: backfilled %v, TTL %v", p.name, ok, ttl)
		}
	}

	// A stale L3 hit backfills neither.
	l3.fresh = func(f core.Freshness) core.Freshness { f.Stale = true; return f }
	l3.put(t, "s", "stale", time.Minute)
	if _, f, _ := get(t, b, "s"); !f.Stale {
		t.Errorf("the stale flag was lost on the way up: %+v", f)
	}
	wait(t, b)
	for _, p := range []*probe{l1, l2} {
		if _, _, ok := p.peek(t, "s"); ok {
			t.Errorf("%s was backfilled with a stale value", p.name)
		}
	}
	l3.fresh = nil

	// Delete reaches every tier.
	if err := b.Delete(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*probe{l1, l2, l3} {
		if _, _, ok := p.peek(t, "k"); ok {
			t.Errorf("%s still has k after Delete", p.name)
		}
	}

	names := []string{}
	for _, s := range b.Stats() {
		names = append(names, s.Name)
	}
	if len(names) != 3 || names[0] != "compose.l1" || names[1] != "compose.l2" || names[2] != "compose.l3" {
		t.Errorf("stats names %q", names)
	}
	if s := tierStats(t, b, "compose.l2"); s.Backfills != 1 || s.Misses != 2 {
		t.Errorf("l2 stats %+v", s)
	}

	// One offloader for the whole stack, owned by the outermost pair.
	inner := b.Lower().(*compose.Backend)
	if inner.Offloader() != b.Offloader() {
		t.Error("the stack's pairs do not share one offloader")
	}
}

func TestNestingOnTheUpperSide(t *testing.T) {
	a, bb, c := newProbe("a", nil), newProbe("b", nil), newProbe("c", nil)
	top, err := compose.New(mustNew(t, a, bb), c)
	if err != nil {
		t.Fatal(err)
	}
	defer top.Close()
	c.put(t, "k", "v", time.Minute)
	if v, _, _ := get(t, top, "k"); v != "v" {
		t.Fatalf("Get = %q", v)
	}
	wait(t, top)
	wait(t, top.Upper().(*compose.Backend))
	for _, p := range []*probe{a, bb} {
		if v, _, ok := p.peek(t, "k"); !ok || v != "v" {
			t.Errorf("%s after backfill: %q %v", p.name, v, ok)
		}
	}
	if n := len(top.Stats()); n != 3 {
		t.Errorf("%d tier stats, want 3", n)
	}
}

func TestConstructorErrors(t *testing.T) {
	m := memory.New()
	for name, f := range map[string]func() (*compose.Backend, error){
		"New nil upper":  func() (*compose.Backend, error) { return compose.New(nil, m) },
		"New nil lower":  func() (*compose.Backend, error) { return compose.New(m, nil) },
		"Tiers none":     func() (*compose.Backend, error) { return compose.Tiers() },
		"Tiers one":      func() (*compose.Backend, error) { return compose.Tiers(m) },
		"Tiers with nil": func() (*compose.Backend, error) { return compose.Tiers(m, nil, m) },
	} {
		b, err := f()
		if b != nil || core.KindOf(err) != core.KindConfig {
			t.Errorf("%s: %v, %v; want a config error", name, b, err)
		}
	}
}

func TestStatsNames(t *testing.T) {
	big := memory.New(memory.WithName("bigcache"))
	red := memory.New(memory.WithName("redis"))
	b := mustNew(t, big, red)
	got := b.Stats()
	if len(got) != 2 || got[0].Name != "compose.bigcache" || got[1].Name != "compose.redis" {
		t.Fatalf("stats %+v", got)
	}
	set(t, b, "k", "v", time.Minute)
	if s := tierStats(t, b, "compose.bigcache"); s.Entries != 1 || s.SizeBytes != 1 {
		t.Errorf("the tier's own counters were not merged: %+v", s)
	}

	named := mustNew(t, memory.New(), memory.New(), compose.WithNames("hot", ""))
	if got := named.Stats(); got[0].Name != "compose.hot" || got[1].Name != "compose.memory" {
		t.Errorf("names %q %q", got[0].Name, got[1].Name)
	}
	plain := mustNew(t, plainBackend{memory.New()}, plainBackend{memory.New()})
	if got := plain.Stats(); got[0].Name != "compose.upper" || got[1].Name != "compose.lower" {
		t.Errorf("default names %q %q", got[0].Name, got[1].Name)
	}
	three, err := compose.TiersWith([]compose.Option{compose.WithNames("", "mid")},
		plainBackend{memory.New()}, plainBackend{memory.New()}, plainBackend{memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	defer three.Close()
	var names []string
	for _, s := range three.Stats() {
		names = append(names, s.Name)
	}
	if len(names) != 3 || names[0] != "compose.l1" || names[1] != "compose.mid" || names[2] != "compose.l3" {
		t.Errorf("names %q", names)
	}
}

// plainBackend hides every optional capability of the backend it embeds.
type plainBackend struct{ core.Backend }

func TestCapabilitiesGoToTheLowerTier(t *testing.T) {
	up, low := memory.New(), memory.New()
	b := mustNew(t, up, low)
	ctx := context.Background()
	set(t, b, "k", "v", time.Hour)

	ttl, found, err := b.TTL(ctx, "k")
	if err != nil || !found || ttl <= 59*time.Minute {
		t.Errorf("TTL = %v %v %v", ttl, found, err)
	}
	ok, err := b.Expire(ctx, "k", time.Minute)
	if err != nil || !ok {
		t.Fatalf("Expire = %v %v", ok, err)
	}
	if ttl, _, _ := low.TTL(ctx, "k"); ttl > time.Minute {
		t.Errorf("lower TTL after Expire: %v", ttl)
	}
	if found, _ := up.Exists(ctx, "k"); found {
		t.Error("Expire left the upper copy, which could outlive the new TTL")
	}

	tok, got, err := b.Lock(ctx, "lk", time.Minute)
	if err != nil || !got {
		t.Fatalf("Lock = %v %v", got, err)
	}
	if _, again, _ := low.Lock(ctx, "lk", time.Minute); again {
		t.Error("the lock was not taken in the lower tier")
	}
	if released, err := b.Unlock(ctx, "lk", tok); err != nil || !released {
		t.Errorf("Unlock = %v %v", released, err)
	}

	plain := mustNew(t, memory.New(), plainBackend{memory.New()})
	checks := map[string]error{}
	_, _, checks["TTL"] = plain.TTL(ctx, "k")
	_, checks["Expire"] = plain.Expire(ctx, "k", time.Second)
	_, _, checks["Lock"] = plain.Lock(ctx, "k", time.Second)
	_, checks["Unlock"] = plain.Unlock(ctx, "k", "t")
	for op, err := range checks {
		if !errors.Is(err, core.ErrNotSupported) {
			t.Errorf("%s on a lower tier without it: %v, want not supported", op, err)
		}
	}
}

func TestBatches(t *testing.T) {
	for name, mk := range map[string]func() core.Backend{
		"batch tiers": func() core.Backend { return memory.New() },
		"plain tiers": func() core.Backend { return plainBackend{memory.New()} },
	} {
		t.Run(name, func(t *testing.T) {
			up, low := mk(), mk()
			b := mustNew(t, up, low)
			ctx := context.Background()
			err := b.SetMany(ctx, []core.BatchItem{{Key: "a", Value: []byte("1"), TTL: time.Minute}, {Key: "b", Value: []byte("2"), TTL: time.Minute}})
			if err != nil {
				t.Fatal(err)
			}
			if err := up.Delete(ctx, "b"); err != nil {
				t.Fatal(err)
			}
			if err := low.Set(ctx, "c", []byte("3"), time.Minute); err != nil {
				t.Fatal(err)
			}
			res, err := b.GetMany(ctx, []string{"a", "b", "c", "d"})
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"1", "2", "3", ""}
			for i, r := range res {
				if r.Found != (want[i] != "") || string(r.Entry.Value) != want[i] {
					t.Errorf("result %d = %+v, want %q", i, r, want[i])
				}
			}
			wait(t, b)
			for _, k := range []string{"b", "c"} {
				// The copy is kept for the cap (its TTL); a CopySetter
				// reports the value's freshness on hits, a plain tier the
				// copy's lifetime.
				var life time.Duration
				e, found, _ := up.Get(ctx, k)
				if ti, ok := up.(core.TTLInspector); ok {
					life, _, _ = ti.TTL(ctx, k)
				} else {
					life = e.Freshness.FreshFor
				}
				if !found || life <= 0 || life > compose.DefaultBackfillCap {
					t.Errorf("%s not backfilled by GetMany (%v, lifetime %v)", k, found, life)
				}
				if _, ok := up.(tier.CopySetter); ok && e.Freshness.FreshFor <= compose.DefaultBackfillCap {
					t.Errorf("%s: the copy reports %+v, want the value's freshness (about a minute)", k, e.Freshness)
				}
			}
			if err := b.SetMany(ctx, []core.BatchItem{{Key: "x", TTL: -1}}); core.KindOf(err) != core.KindInvalidInput {
				t.Errorf("SetMany with a negative TTL: %v", err)
			}
		})
	}
}

func TestHealthAndExists(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	b := mustNew(t, up, low)
	ctx := context.Background()
	if err := b.Health(ctx); err != nil {
		t.Fatal(err)
	}
	low.put(t, "k", "v", time.Minute)
	if ok, err := b.Exists(ctx, "k"); err != nil || !ok {
		t.Errorf("Exists = %v %v", ok, err)
	}
	if ok, err := b.Exists(ctx, "nope"); err != nil || ok {
		t.Errorf("Exists = %v %v", ok, err)
	}
	failing := mustNew(t, memory.New(), memory.New(memory.WithFault(func(op, _ string) error {
		return errTier(core.KindTransient, "down")
	})))
	if err := failing.Health(ctx); !errors.Is(err, core.ErrTransient) {
		t.Errorf("Health with the lower tier down: %v", err)
	}
	if _, err := failing.Exists(ctx, "k"); !errors.Is(err, core.ErrTransient) {
		t.Errorf("Exists with the lower tier down: %v", err)
	}
}

func TestCloseClosesTiers(t *testing.T) {
	up, low := memory.New(), memory.New()
	b, err := compose.New(up, low)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]*memory.Backend{"upper": up, "lower": low} {
		if err := m.Health(context.Background()); err == nil {
			t.Errorf("%s tier not closed", name)
		}
	}
	if _, _, err := b.Get(context.Background(), "k"); err == nil || !isCoreError(err) {
		t.Errorf("Get after Close: %v", err)
	}
}

func TestPolicyStrings(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{compose.ReadSequential.String(), "sequential"},
		{compose.ReadRace.String(), "race"},
		{compose.ReadParallelFreshest.String(), "parallel-freshest"},
		{compose.ReadPolicy(9).String(), "unknown"},
		{compose.WriteSequential.String(), "sequential"},
		{compose.WriteOptimisticParallel.String(), "optimistic-parallel"},
		{compose.WriteRace.String(), "race"},
		{compose.WritePolicy(9).String(), "unknown"},
		{compose.RefillAlways.String(), "always"},
		{compose.RefillNever.String(), "never"},
		{compose.RefillPolicy(9).String(), "unknown"},
	} {
		if c.got != c.want {
			t.Errorf("%q != %q", c.got, c.want)
		}
	}
}
