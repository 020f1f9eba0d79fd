package compose_test

import (
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/conformance"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
)

// TestConformance runs the conformance suite on two- and three-tier stacks
// of in-memory backends, under every read and write policy.
func TestConformance(t *testing.T) {
	stacks := []struct {
		name  string
		tiers int
		opts  []compose.Option
	}{
		{"2 tiers defaults", 2, nil},
		{"3 tiers defaults", 3, nil},
		{"2 tiers read race", 2, []compose.Option{compose.WithReadPolicy(compose.ReadRace)}},
		{"2 tiers read parallel-freshest", 2, []compose.Option{compose.WithReadPolicy(compose.ReadParallelFreshest)}},
		{"2 tiers write optimistic-parallel", 2, []compose.Option{compose.WithWritePolicy(compose.WriteOptimisticParallel)}},
		{"3 tiers race/optimistic-parallel", 3, []compose.Option{compose.WithReadPolicy(compose.ReadRace), compose.WithWritePolicy(compose.WriteOptimisticParallel)}},
		// WriteRace is left out on purpose: it gives up read-your-writes.
		{"2 tiers refill never", 2, []compose.Option{compose.WithRefill(compose.RefillNever)}},
	}
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			conformance.RunBackend(t, conformance.Harness{
				New: func(t *testing.T) core.Backend {
					tiers := make([]core.Backend, s.tiers)
					for i := range tiers {
						tiers[i] = memory.New()
					}
					b, err := compose.TiersWith(s.opts, tiers...)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { _ = b.Close() })
					return b
				},
				TTLResolution: time.Millisecond,
			})
		})
	}
}
