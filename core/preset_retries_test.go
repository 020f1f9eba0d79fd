package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

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
