package otter_test

import (
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/conformance"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/l1/otter"
)

func newBackend(t *testing.T, opts ...otter.Option) *otter.Backend {
	t.Helper()
	b, err := otter.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestConformance(t *testing.T) {
	conformance.RunBackend(t, conformance.Harness{New: func(t *testing.T) core.Backend { return newBackend(t) }, TTLResolution: time.Millisecond})
}

func TestConformanceBounded(t *testing.T) {
	conformance.RunBackend(t, conformance.Harness{
		New:          func(t *testing.T) core.Backend { return newBackend(t, otter.WithMaxBytes(64<<20)) },
		MaxValueSize: 4 << 20,
	})
}

func TestNewRejectsBadBounds(t *testing.T) {
	for _, opts := range [][]otter.Option{
		{otter.WithMaxBytes(-1)},
		{otter.WithMaxEntries(-1)},
		{otter.WithMaxBytes(1 << 20), otter.WithMaxEntries(10)},
	} {
		if _, err := otter.New(opts...); core.KindOf(err) != core.KindConfig {
			t.Errorf("New: %v, want KindConfig", err)
		}
	}
}
