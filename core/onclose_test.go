package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// Close runs the WithOnClose hooks last-registered first, once each however
// often it is called and from whichever namespace view, and returns their
// errors joined.
func TestWithOnCloseRunsOnceInReverseOrder(t *testing.T) {
	var order []string
	boom := errors.New("boom")
	c, err := core.New(newMem(), core.WithCodec(jsonCodec{}),
		core.WithOnClose(func() error { order = append(order, "first"); return nil }),
		core.WithOnClose(func() error { order = append(order, "second"); return boom }))
	if err != nil {
		t.Fatal(err)
	}
	view, err := c.Namespace("v")
	if err != nil {
		t.Fatal(err)
	}
	if err := view.Close(); !errors.Is(err, boom) {
		t.Fatalf("Close: %v, want the hook's error", err)
	}
	if err := c.Close(); !errors.Is(err, boom) {
		t.Fatalf("second Close: %v, want the first call's result", err)
	}
	if len(order) != 2 || order[0] != "second" || order[1] != "first" {
		t.Fatalf("hooks ran %v, want [second first]", order)
	}
	_, err = core.New(newMem(), core.WithCodec(jsonCodec{}), core.WithOnClose(nil))
	wantKind(t, err, core.KindConfig)
}

// WithRetries' documented default holds: no retries for the minimal preset,
// two for the others (and for a client with no preset, which behaves as
// production). An explicit WithRetries wins.
func TestPresetDefaultRetries(t *testing.T) {
	cases := []struct {
		name string
		opts []core.Option
		want int64
	}{
		{"minimal", []core.Option{core.WithPreset(core.PresetMinimal)}, 1},
		{"production", []core.Option{core.WithPreset(core.PresetProduction)}, 3},
		{"io", []core.Option{core.WithPreset(core.PresetIO)}, 3},
		{"no preset", nil, 3},
		{"explicit", []core.Option{core.WithRetries(1, 0), core.WithPreset(core.PresetProduction)}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newMem()
			c := newClient(t, m, tc.opts...)
			m.failGet.Store(&errTransient)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, _, err := core.Get[int](ctx, c, "k")
			wantKind(t, err, core.KindTransient)
			if n := m.gets.Load(); n != tc.want {
				t.Fatalf("%d attempts, want %d", n, tc.want)
			}
		})
	}
}
