package memcached_test

import (
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/backend/memcached"
	"github.com/cachekit-io/cachekit-go/conformance"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
)

// newBackend returns a Backend on addr, closed when t ends.
func newBackend(t testing.TB, addr string, opts ...memcached.Option) *memcached.Backend {
	t.Helper()
	b, err := memcached.New([]string{addr}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// TestConformance runs the conformance suite against a real memcached with
// its default 1 MiB item size limit, which the backend enforces.
func TestConformance(t *testing.T) {
	t.Parallel()
	m := rig.StartMemcached(t)
	probe := newBackend(t, m.Addr)
	conformance.RunBackend(t, conformance.Harness{
		New:                  func(t *testing.T) core.Backend { return newBackend(t, m.Addr) },
		TTLResolution:        time.Second,
		MaxValueSize:         probe.MaxValueSize(),
		EnforcesMaxValueSize: true,
		NoFreshness:          true,
	})
}
