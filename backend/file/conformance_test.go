//go:build linux || darwin || freebsd || netbsd || openbsd

package file_test

import (
	"path/filepath"
	"testing"
	"time"

	file "github.com/cachekit-io/cachekit-go/backend/file"
	"github.com/cachekit-io/cachekit-go/conformance"
	"github.com/cachekit-io/cachekit-go/core"
)

func harness(opts ...file.Option) conformance.Harness {
	return conformance.Harness{
		New: func(t *testing.T) core.Backend {
			b, err := file.New(filepath.Join(t.TempDir(), "cache"), opts...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			return b
		},
		TTLResolution: time.Second, // expiries are whole Unix seconds
	}
}

func TestConformance(t *testing.T) {
	conformance.RunBackend(t, harness())
}

// TestConformanceMaxValue runs the suite with a payload bound, which the
// suite then checks is enforced with KindPayloadTooLarge.
func TestConformanceMaxValue(t *testing.T) {
	h := harness(file.WithMaxValueBytes(1 << 20))
	h.MaxValueSize = 1 << 20
	h.EnforcesMaxValueSize = true
	conformance.RunBackend(t, h)
}
