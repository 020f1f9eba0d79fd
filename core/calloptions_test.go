package core_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

func TestCallOptionTTLAppliesToSetAndGetOrLoad(t *testing.T) {
	m := newMem()
	c := newClient(t, m)
	ctx := context.Background()
	if err := c.Set(ctx, "a", 1, core.TTL(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := core.GetOrLoad(ctx, c, "b", func(context.Context) (int, error) { return 2, nil }, core.TTL(7*time.Second)); err != nil {
		t.Fatal(err)
	}
	m.advance(6 * time.Second)
	if _, found, _ := core.Get[int](ctx, c, "a"); found {
		t.Error("Set with TTL(5s) still found after 6s")
	}
	if _, found, _ := core.Get[int](ctx, c, "b"); !found {
		t.Error("GetOrLoad with TTL(7s) not found after 6s")
	}
	// The zero CallOption does nothing.
	if err := c.Set(ctx, "z", 1, core.CallOption{}); err != nil {
		t.Fatal(err)
	}
}

func TestCallOptionBadValuesAreInvalidInput(t *testing.T) {
	m := newMem()
	c := newClient(t, m)
	ctx := context.Background()
	load := func(context.Context) (int, error) { return 1, nil }
	for _, o := range []core.CallOption{core.TTL(0), core.TTL(-time.Second), core.TTL(core.MaxTTL + time.Second)} {
		wantKind(t, c.Set(ctx, "k", 1, o), core.KindInvalidInput)
		wantKind(t, c.SetMany(ctx, map[string]any{"k": 1}, o), core.KindInvalidInput)
		_, err := core.GetOrLoad(ctx, c, "k", load, o)
		wantKind(t, err, core.KindInvalidInput)
	}
	for _, r := range []float64{0, 1, -0.5, 2} {
		_, err := core.GetOrLoad(ctx, c, "k", load, core.FreshRatio(r))
		wantKind(t, err, core.KindInvalidInput)
	}
	if m.sets.Load() != 0 {
		t.Errorf("a call with a bad option wrote %d times", m.sets.Load())
	}
}

func TestLoadOnlyCallOptionsRejectedByWrites(t *testing.T) {
	c := newClient(t, newMem())
	ctx := context.Background()
	for name, o := range map[string]core.CallOption{
		"StaleWhileRevalidate": core.StaleWhileRevalidate(false),
		"FreshRatio":           core.FreshRatio(0.5),
	} {
		for op, err := range map[string]error{
			"set":     c.Set(ctx, "k", 1, o),
			"setmany": c.SetMany(ctx, map[string]any{"k": 1}, o),
		} {
			wantKind(t, err, core.KindInvalidInput)
			if !strings.Contains(err.Error(), name) {
				t.Errorf("%s with %s: %v does not name the option", op, name, err)
			}
		}
	}
	// Read-through takes them.
	v, err := core.GetOrLoad(ctx, c, "k", func(context.Context) (int, error) { return 3, nil },
		core.StaleWhileRevalidate(false), core.FreshRatio(0.9), core.TTL(time.Minute))
	if err != nil || v != 3 {
		t.Fatalf("GetOrLoad with read-through options: %v, %v", v, err)
	}
}
