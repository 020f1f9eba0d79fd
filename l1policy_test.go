package cachekit_test

import (
	"testing"

	cachekit "github.com/cachekit-io/cachekit-go"
	"github.com/cachekit-io/cachekit-go/l1/otter"
)

// TestPresetL1IsOtter: the presets put l1/otter (W-TinyLFU) in front of the
// backend, not l1/bigcache, whose FIFO eviction holds 5 to 27 points fewer
// hits at the same size on skewed, scanning and looping loads (issue 27;
// make hitratio, bench/README.md).
func TestPresetL1IsOtter(t *testing.T) {
	clearEnv(t)
	mk := mustClient(t)
	m := newMem()
	if l1 := upper(t, mk(cachekit.Minimal(m))); !isOtter(l1) {
		t.Fatalf("minimal preset's L1 is %T, want *otter.Backend", l1)
	}
	m = newMem()
	if l1 := upper(t, mk(cachekit.Production(m))); !isOtter(l1) {
		t.Fatalf("production preset's L1 is %T, want *otter.Backend", l1)
	}
}

func isOtter(b any) bool { _, ok := b.(*otter.Backend); return ok }
