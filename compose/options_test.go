package compose_test

import (
	"errors"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
)

// Every option given a bad value, and every nil option, makes New, Tiers and
// TiersWith fail with a *core.Error of KindConfig; none is ignored.
func TestBadOptionsAreConfigErrors(t *testing.T) {
	bad := []struct {
		name string
		opt  compose.Option
	}{
		{"nil option", nil},
		{"unknown read policy", compose.WithReadPolicy(compose.ReadPolicy(99))},
		{"unknown write policy", compose.WithWritePolicy(compose.WritePolicy(99))},
		{"unknown refill policy", compose.WithRefill(compose.RefillPolicy(99))},
		{"unknown backfill mode", compose.WithBackfillMode(compose.BackfillMode(99))},
		{"zero backfill cap", compose.WithBackfillCap(0)},
		{"negative backfill cap", compose.WithBackfillCap(-time.Second)},
		{"nil offloader", compose.WithOffloader(nil)},
		{"more names than tiers", compose.WithNames("a", "b", "c", "d")},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			good := compose.WithReadPolicy(compose.ReadSequential) // a bad option fails wherever it comes
			up, low := memory.New(), memory.New()
			b, err := compose.New(up, low, good, c.opt)
			wantConfigErr(t, "New", b, err)
			b, err = compose.TiersWith([]compose.Option{c.opt, good}, memory.New(), memory.New(), memory.New())
			wantConfigErr(t, "TiersWith", b, err)
		})
	}
}

func wantConfigErr(t *testing.T, ctor string, b *compose.Backend, err error) {
	t.Helper()
	if b != nil {
		_ = b.Close()
	}
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != core.KindConfig || !errors.Is(err, core.ErrConfig) {
		t.Fatalf("%s = %v, %v; want a *core.Error of KindConfig", ctor, b, err)
	}
}

// The constructors' own bad input: nil tiers, too few tiers, and two names
// given to New for its two tiers is fine where three is not.
func TestBadTiersAreConfigErrors(t *testing.T) {
	b, err := compose.New(nil, memory.New())
	wantConfigErr(t, "New(nil, lower)", b, err)
	b, err = compose.New(memory.New(), nil)
	wantConfigErr(t, "New(upper, nil)", b, err)
	b, err = compose.Tiers(memory.New())
	wantConfigErr(t, "Tiers(one)", b, err)
	b, err = compose.Tiers(memory.New(), nil, memory.New())
	wantConfigErr(t, "Tiers(l1, nil, l3)", b, err)
	b, err = compose.New(memory.New(), memory.New(), compose.WithNames("a", "b", "c"))
	wantConfigErr(t, "New with three names", b, err)

	ok, err := compose.TiersWith([]compose.Option{compose.WithNames("a", "b", "c")}, memory.New(), memory.New(), memory.New())
	if err != nil {
		t.Fatalf("TiersWith three names for three tiers: %v", err)
	}
	_ = ok.Close()
}

// Good values of every option are accepted.
func TestGoodOptionsAreAccepted(t *testing.T) {
	b, err := compose.New(memory.New(), memory.New(),
		compose.WithReadPolicy(compose.ReadParallelFreshest),
		compose.WithWritePolicy(compose.WriteRace),
		compose.WithRefill(compose.RefillNever),
		compose.WithBackfillMode(compose.BackfillOffloaded),
		compose.WithBackfillCap(time.Nanosecond),
		compose.WithNames("up", ""),
		compose.WithInvalidation(false),
	)
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Close()
}
