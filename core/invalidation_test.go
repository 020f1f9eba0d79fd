package core_test

import (
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
)

// switchable is a backend that counts StopInvalidations.
type switchable struct {
	*memBackend
	stops int
}

func (s *switchable) StopInvalidations() { s.stops++ }

// PRE-8: the minimal preset enables no cross-process invalidation by
// default, so New turns a stack's off; the other presets leave it on, and a
// New that fails touches nothing.
func TestMinimalPresetStopsInvalidations(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []core.Option
		stops int
	}{
		{"no preset", nil, 0},
		{"minimal", []core.Option{core.WithPreset(core.PresetMinimal)}, 1},
		{"production", []core.Option{core.WithPreset(core.PresetProduction)}, 0},
		{"io", []core.Option{core.WithPreset(core.PresetIO)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &switchable{memBackend: newMem()}
			newClient(t, b, tc.opts...)
			if b.stops != tc.stops {
				t.Fatalf("StopInvalidations called %d times, want %d", b.stops, tc.stops)
			}
		})
	}
	t.Run("failed New", func(t *testing.T) {
		b := &switchable{memBackend: newMem()}
		if _, err := core.New(b, core.WithPreset(core.PresetMinimal)); err == nil { // no codec
			t.Fatal("New without a codec succeeded")
		}
		if b.stops != 0 {
			t.Fatalf("a failed New called StopInvalidations %d times", b.stops)
		}
	})
}
