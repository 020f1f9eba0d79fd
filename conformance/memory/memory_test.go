package memory_test

import (
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/conformance"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
)

func TestConformance(t *testing.T) {
	conformance.RunBackend(t, conformance.Harness{
		New: func(t *testing.T) core.Backend {
			b := memory.New()
			t.Cleanup(func() { _ = b.Close() })
			return b
		},
		TTLResolution: time.Millisecond,
	})
}
