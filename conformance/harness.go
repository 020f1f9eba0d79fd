package conformance

import (
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// DefaultMaxValueSize is the size of the large value the suite stores when
// Harness.MaxValueSize is zero: the client's default payload limit, 5 MiB.
const DefaultMaxValueSize = 5 << 20

// Harness describes the backend under test. Only New is required; the zero
// value of every other field asks for the strictest checks.
type Harness struct {
	// New returns a fresh backend for one subtest. It is called once per
	// subtest, from that subtest's goroutine, possibly in parallel with other
	// calls; it releases what it made with t.Cleanup, and may call t.Fatal or
	// t.Skip. Backends that share a server are fine: the suite uses keys
	// unique to each run and subtest and never lists or flushes keys.
	New func(t *testing.T) core.Backend

	// TTLResolution is the smallest TTL step the backend honours: for
	// example time.Millisecond for Redis PX, time.Second for an HTTP API
	// that counts whole seconds. TTLs and sleeps in the expiry, freshness and
	// lock-lease tests are small multiples of it, and freshness reports may
	// be off by one step. Zero means time.Millisecond.
	TTLResolution time.Duration

	// MaxValueSize is the size in bytes of the largest value the suite
	// stores (the "large value" tests). Zero means DefaultMaxValueSize.
	MaxValueSize int

	// EnforcesMaxValueSize declares that the backend rejects values larger
	// than MaxValueSize with an error of core.KindPayloadTooLarge; the suite
	// then checks that a value one byte larger is rejected and not stored.
	EnforcesMaxValueSize bool

	// KeyPrefix is prepended to every key the suite uses, for example to
	// keep the suite inside a namespace or hash slot of a shared server.
	KeyPrefix string

	// NoFreshness declares that the backend does not report remaining
	// freshness: Get may return an Entry whose Freshness.Known is false.
	// Whatever a backend does report is still checked against the TTL.
	NoFreshness bool

	// NoExpiryUnsupported declares that the backend cannot store entries
	// without expiry (core.NoExpiry); the suite then skips those checks.
	NoExpiryUnsupported bool

	// Sequential runs the subtests one after another instead of in
	// parallel, for backends that cannot take concurrent subtests (a rate
	// limited API). The suite is much slower then.
	Sequential bool
}

// resolution returns h.TTLResolution with its default applied.
func (h Harness) resolution() time.Duration {
	if h.TTLResolution <= 0 {
		return time.Millisecond
	}
	return h.TTLResolution
}

// maxValueSize returns h.MaxValueSize with its default applied.
func (h Harness) maxValueSize() int {
	if h.MaxValueSize <= 0 {
		return DefaultMaxValueSize
	}
	return h.MaxValueSize
}
