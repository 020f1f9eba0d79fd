package compose_test

import (
	"context"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
)

// Under BackfillAuto an in-memory upper tier (tier.InMemory) receives its
// backfill before Get returns, without the offloader; any other upper tier
// gets it through the offloader. BackfillOffloaded and BackfillInline
// override the choice.
func TestBackfillModeChoice(t *testing.T) {
	cases := []struct {
		name     string
		upper    func() core.Backend
		opts     []compose.Option
		inline   bool
		inMemory bool // the composition's own InMemory (lower is in memory)
	}{
		{"auto, in-memory upper", func() core.Backend { return memory.New() }, nil, true, true},
		{"auto, other upper", func() core.Backend { return newProbe("up", nil) }, nil, false, false},
		{"offloaded, in-memory upper", func() core.Backend { return memory.New() },
			[]compose.Option{compose.WithBackfillMode(compose.BackfillOffloaded)}, false, true},
		{"inline, other upper", func() core.Backend { return newProbe("up", nil) },
			[]compose.Option{compose.WithBackfillMode(compose.BackfillInline)}, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			up, low := c.upper(), memory.New()
			b := mustNew(t, up, low, c.opts...)
			if got := b.InMemory(); got != c.inMemory {
				t.Errorf("InMemory() = %v, want %v", got, c.inMemory)
			}
			if err := low.Set(ctx, "k", []byte("v"), time.Minute); err != nil {
				t.Fatal(err)
			}
			e, found, err := b.Get(ctx, "k")
			if err != nil || !found || string(e.Value) != "v" {
				t.Fatalf("Get = %q %v %v", e.Value, found, err)
			}
			// Scribbling on the returned value must not reach the copy.
			copy(e.Value, "X")
			bs := b.BackfillStats()
			if c.inline {
				// No Wait: the copy is there when Get returns.
				ue, ok, err := up.Get(ctx, "k")
				if err != nil || !ok || string(ue.Value) != "v" {
					t.Fatalf("upper right after Get = %q %v %v, want the inline copy", ue.Value, ok, err)
				}
				if bs.Applied != 1 || bs.Submitted != 0 {
					t.Errorf("backfill stats %+v, want 1 applied inline, 0 submitted", bs)
				}
				if st := b.Offloader().Stats(); st.Accepted != 0 {
					t.Errorf("offloader ran %d tasks for an inline backfill", st.Accepted)
				}
				return
			}
			wait(t, b)
			if bs.Submitted != 1 {
				t.Errorf("backfill stats %+v, want 1 submitted", bs)
			}
			ue, ok, err := up.Get(ctx, "k")
			if err != nil || !ok || string(ue.Value) != "v" {
				t.Fatalf("upper after Wait = %q %v %v", ue.Value, ok, err)
			}
		})
	}
}

// InMemory of a nested stack is true only if every tier is in memory.
func TestInMemoryNests(t *testing.T) {
	all, err := compose.Tiers(memory.New(), memory.New(), memory.New())
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	mixed, err := compose.Tiers(memory.New(), memory.New(), newProbe("l3", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer mixed.Close()
	if !all.InMemory() || mixed.InMemory() {
		t.Fatalf("InMemory: all-memory stack %v, stack over a probe %v", all.InMemory(), mixed.InMemory())
	}
	if compose.BackfillInline.String() != "inline" || compose.BackfillMode(9).String() != "unknown" {
		t.Fatal("BackfillMode names")
	}
}
