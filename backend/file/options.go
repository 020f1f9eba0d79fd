//go:build unix

package file

import (
	"fmt"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// Defaults of the options; they match cachekit-py's FileBackendConfig, so
// that SDKs sharing a directory with default settings bound it alike.
const (
	DefaultMaxBytes      int64 = 1 << 30   // 1 GiB in total
	DefaultMaxEntries          = 10_000    // entries
	DefaultMaxValueBytes int64 = 100 << 20 // 100 MiB per payload
	DefaultLockTimeout         = 5 * time.Second
)

// MaxLockTimeout is the longest lock timeout WithLockTimeout accepts.
const MaxLockTimeout = 30 * time.Second

// config collects the options.
type config struct {
	maxBytes      int64
	maxEntries    int
	maxValueBytes int64
	lockTimeout   time.Duration
	clock         func() time.Time
}

// Option configures New.
type Option func(*config)

// WithMaxBytes bounds the total size of the entry files to about n bytes
// (default DefaultMaxBytes). When a write takes the directory above 90 % of
// the bound, the oldest entries (by modification time) are evicted until it
// is at 70 %. n == 0 means unbounded; a negative n is a KindConfig error.
func WithMaxBytes(n int64) Option { return func(c *config) { c.maxBytes = n } }

// WithMaxEntries bounds the number of entry files (default
// DefaultMaxEntries), with the same 90 % / 70 % eviction as WithMaxBytes.
// n == 0 means unbounded; a negative n is a KindConfig error.
func WithMaxEntries(n int) Option { return func(c *config) { c.maxEntries = n } }

// WithMaxValueBytes bounds a single payload (default DefaultMaxValueBytes):
// Set refuses a larger value with KindPayloadTooLarge, and Get reports a
// larger file as a miss without reading it (or deleting it: a peer with a
// higher bound may have written it). n must be positive and, when the total
// is bounded, at most half of WithMaxBytes; otherwise it is a KindConfig
// error.
func WithMaxValueBytes(n int64) Option { return func(c *config) { c.maxValueBytes = n } }

// WithLockTimeout bounds how long a call waits for a per-entry advisory
// lock (see the package doc) before failing with KindTimeout (default
// DefaultLockTimeout). It must be positive and at most MaxLockTimeout
// (KindConfig otherwise). The caller's context can end the wait sooner.
func WithLockTimeout(d time.Duration) Option { return func(c *config) { c.lockTimeout = d } }

// WithClock makes the backend read the wall clock from now instead of
// time.Now, for tests; nil means time.Now. Expiries are whole Unix seconds
// of that clock.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// build applies opts to the defaults and checks the result.
func build(opts []Option) (config, error) {
	c := config{
		maxBytes:      DefaultMaxBytes,
		maxEntries:    DefaultMaxEntries,
		maxValueBytes: DefaultMaxValueBytes,
		lockTimeout:   DefaultLockTimeout,
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	bad := func(format string, a ...any) error {
		return core.NewError(core.KindConfig, "file.new", fmt.Sprintf(format, a...), nil)
	}
	switch {
	case c.maxBytes < 0:
		return c, bad("max bytes must be 0 (unbounded) or positive, got %d", c.maxBytes)
	case c.maxEntries < 0:
		return c, bad("max entries must be 0 (unbounded) or positive, got %d", c.maxEntries)
	case c.maxValueBytes <= 0:
		return c, bad("max value bytes must be positive, got %d", c.maxValueBytes)
	case c.maxBytes > 0 && c.maxValueBytes > c.maxBytes/2:
		return c, bad("max value bytes (%d) must be at most half of max bytes (%d)", c.maxValueBytes, c.maxBytes)
	case c.lockTimeout <= 0 || c.lockTimeout > MaxLockTimeout:
		return c, bad("lock timeout must be in (0, %v], got %v", MaxLockTimeout, c.lockTimeout)
	}
	if c.clock == nil {
		c.clock = time.Now
	}
	return c, nil
}
