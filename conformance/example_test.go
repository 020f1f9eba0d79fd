package conformance_test

import (
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/conformance"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
)

// A backend's test runs the whole suite in one call. Here the backend is the
// reference in-memory one.
func ExampleRunBackend() {
	// In a _test.go file of the backend's package:
	_ = func(t *testing.T) {
		conformance.RunBackend(t, conformance.Harness{
			New: func(t *testing.T) core.Backend {
				b := memory.New()
				t.Cleanup(func() { _ = b.Close() })
				return b
			},
			TTLResolution: time.Millisecond,
		})
	}
}
