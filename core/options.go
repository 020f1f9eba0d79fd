package core

import (
	"log/slog"
	"strconv"
	"time"
)

// Preset is one of the protocol's intent presets. A preset sets the client's
// defaults; explicit options override them.
//
//	preset      default TTL  SWR  retries  cross-process invalidation  encryption                                    reliability
//	minimal     300 s        off  0        off (see below)             off                                           off
//	production  600 s        on   2        on where the stack has it   off                                           DefaultReliability
//	secure      600 s        on   2        on where the stack has it   required (New fails without WithEncryptor)    DefaultReliability
//	io          3600 s       on   2        on where the stack has it   off unless WithEncryptor                      DefaultReliability
//
// The reliability stack (retry, circuit breaker, backpressure, per-operation
// deadline; see Reliability) is turned on by giving WithPreset a preset
// other than minimal, or by WithReliability; WithoutReliability turns it
// off. A client built without WithPreset keeps the stack off, as before it
// existed (the preset constructors of package cachekit always name their
// preset).
//
// When the backend is unreachable or the breaker is open (PRE-14), in
// production, secure and io: GetOrLoad and Cached run the loader and return
// its value (counted in Stats.Degraded); Get returns the error (a miss
// would lie) unless Reliability.GetFailOpen; Set and Delete return the
// error. In minimal, GetOrLoad and Cached return the first error too. A
// stored value that cannot be decoded, decrypted or authenticated is a miss
// for GetOrLoad and Cached in every preset (the loader's value replaces it;
// Stats.SelfHealed) and an error for Get.
//
// Stale-if-error: with stale-while-revalidate on, a value past its fresh
// window but not expired is served at once and refreshed in the
// background; a refresh that fails leaves it served until it expires. An
// in-process tier (L1) keeps answering fresh local hits without the
// backend while the breaker is open, until the stack's invalidation watch
// declares the connection lost (compose over backend/redis: about 2 s)
// and clears the L1: a copy another process overwrote meanwhile lives no
// longer than that, and never longer than the L1's copy cap. After that,
// GetOrLoad answers from the loader until the backend is back.
//
// The fill lock (the distributed single-flight of GetOrLoad and Cached; see
// WithFillLock) follows the reliability stack: on when WithPreset names
// production, secure or io, off for minimal and without WithPreset.
//
// Backend choice (L1, Redis, cachekit.io) is not part of a preset in core:
// compose the backend you want and pass it to New, or let the root
// package cachekit build the whole stack of a preset in one call. With no
// preset the client takes production's TTL, stale-while-revalidate and
// retries, but not its reliability stack (see above). Cross-process invalidation belongs to the
// stack, and is chosen where the stack is built: compose over backend/redis
// follows Redis's reports by default, and compose.WithInvalidation(false)
// builds a stack without them, as the protocol asks of the minimal preset.
// New never changes the backend it is given, so clients with different
// presets may share one stack.
type Preset uint8

// The presets.
const (
	PresetMinimal Preset = iota + 1
	PresetProduction
	PresetSecure
	PresetIO
)

// String returns the preset's protocol name.
func (p Preset) String() string {
	switch p {
	case PresetMinimal:
		return "minimal"
	case PresetProduction:
		return "production"
	case PresetSecure:
		return "secure"
	case PresetIO:
		return "io"
	}
	return "preset(" + strconv.Itoa(int(p)) + ")"
}

// Defaults of the client.
const (
	// DefaultMaxPayload bounds a value's encoded size: 5 MiB.
	DefaultMaxPayload = 5 << 20
	// DefaultFreshRatio is the share of a TTL during which a value read
	// through GetOrLoad counts as fresh; after it, stale-while-revalidate
	// serves it and refreshes it in the background.
	DefaultFreshRatio = 0.5
	// DefaultRefreshConcurrency bounds concurrent background refreshes.
	DefaultRefreshConcurrency = 64
	// DefaultLoadTimeout bounds one load or background refresh.
	DefaultLoadTimeout = 30 * time.Second
)

// Option configures a Client in New.
type Option func(*settings) error

type settings struct {
	preset        Preset
	codec         Codec
	encryptor     Encryptor
	namespace     string
	defaultTTL    time.Duration
	ttlSet        bool
	neverExpire   bool
	maxPayload    int
	swr           bool
	swrSet        bool
	freshRatio    float64
	retries       int
	retriesSet    bool
	retryBackoff  time.Duration
	refreshLimit  int
	loadTimeout   time.Duration
	logger        *slog.Logger
	observer      *Observer
	objectEntries int
	objectMaxAge  time.Duration
	presetSet     bool
	rel           Reliability
	relSet        bool
	clk           clock          // nil: the real clock (tests inject one)
	onClose       []func() error // WithOnClose
	fill          fillLock       // WithFillLock, WithoutFillLock
	fillSet       bool
	ttlJitter     float64       // WithTTLJitter
	absentTTL     time.Duration // WithNegativeCache
}

func defaultSettings() settings {
	return settings{
		preset:       PresetProduction,
		maxPayload:   DefaultMaxPayload,
		freshRatio:   DefaultFreshRatio,
		retryBackoff: 20 * time.Millisecond,
		refreshLimit: DefaultRefreshConcurrency,
		loadTimeout:  DefaultLoadTimeout,
	}
}

func (p Preset) defaultTTL() time.Duration {
	switch p {
	case PresetMinimal:
		return 300 * time.Second
	case PresetIO:
		return 3600 * time.Second
	}
	return 600 * time.Second
}

// defaultRetries is the preset's retry count when WithRetries is not given:
// none for minimal (the protocol lets it run without a reliability stack),
// two for the others.
func (p Preset) defaultRetries() int {
	if p == PresetMinimal {
		return 0
	}
	return 2
}

func configErr(msg string) error { return &Error{Kind: KindConfig, Op: "new", Msg: msg} }

// configCause turns the error of a validation made for option into a
// KindConfig error that says the same (and is of no other kind).
func configCause(option string, err error) error {
	msg := err.Error()
	if e, ok := err.(*Error); ok && e.Msg != "" {
		msg = e.Msg
	}
	return configErr(option + ": " + msg)
}

// WithPreset selects an intent preset (see Preset).
func WithPreset(p Preset) Option {
	return func(s *settings) error {
		if p < PresetMinimal || p > PresetIO {
			return configErr("unknown preset " + p.String())
		}
		s.preset, s.presetSet = p, true
		return nil
	}
}

// WithCodec sets the codec that turns values into bytes (required). The
// protocol module provides the CacheKit codecs: protocol.Msgpack() and
// protocol.Envelope().
func WithCodec(c Codec) Option {
	return func(s *settings) error {
		if c == nil {
			return configErr("WithCodec(nil)")
		}
		s.codec = c
		return nil
	}
}

// WithEncryptor turns on zero-knowledge encryption: every value is sealed
// before it reaches any tier, so every tier (the L1 included) holds only
// ciphertext, and every read fails closed unless the stored bytes
// authenticate. The crypto module provides the Encryptor.
func WithEncryptor(e Encryptor) Option {
	return func(s *settings) error {
		if e == nil {
			return configErr("WithEncryptor(nil)")
		}
		s.encryptor = e
		return nil
	}
}

// WithNamespace stores every key of the client as "ns:{namespace}:{key}".
// The namespace is 1–64 of [A-Za-z0-9_-]; another is a KindConfig error.
func WithNamespace(ns string) Option {
	return func(s *settings) error {
		if err := ValidateNamespace(ns); err != nil {
			return configCause("WithNamespace", err)
		}
		s.namespace = ns
		return nil
	}
}

// WithDefaultTTL sets the TTL Set and GetOrLoad use when none is given. The
// protocol's TTL rules apply (0 < ttl ≤ 30 days; sub-second rounds up to 1 s);
// a TTL they reject is a KindConfig error.
func WithDefaultTTL(ttl time.Duration) Option {
	return func(s *settings) error {
		n, err := NormalizeTTL(ttl)
		if err != nil {
			return configCause("WithDefaultTTL", err)
		}
		s.defaultTTL, s.ttlSet, s.neverExpire = n, true, false
		return nil
	}
}

// WithNeverExpire is the explicit opt-in to storing values without expiry
// when no TTL is given. It is never a default.
func WithNeverExpire() Option {
	return func(s *settings) error {
		s.neverExpire, s.ttlSet = true, true
		return nil
	}
}

// WithMaxPayload bounds a value's encoded size in bytes, on write and on read
// (default 5 MiB).
func WithMaxPayload(n int) Option {
	return func(s *settings) error {
		if n <= 0 {
			return configErr("WithMaxPayload: limit must be positive, got " + strconv.Itoa(n))
		}
		s.maxPayload = n
		return nil
	}
}

// WithStaleWhileRevalidate turns stale-while-revalidate on or off for
// GetOrLoad and Cached, overriding the preset.
func WithStaleWhileRevalidate(on bool) Option {
	return func(s *settings) error {
		s.swr, s.swrSet = on, true
		return nil
	}
}

// WithFreshRatio sets the share of a TTL (0 < r < 1, default 0.5) during
// which a value read through GetOrLoad is fresh. Each read jitters it by
// ±10 % so that many processes do not refresh in step. It applies where the
// backend reports no server-side stale window.
func WithFreshRatio(r float64) Option {
	return func(s *settings) error {
		if !(r > 0 && r < 1) {
			return configErr("WithFreshRatio: ratio must be in (0, 1)")
		}
		s.freshRatio = r
		return nil
	}
}

// WithRetries retries backend operations that fail with a retryable kind
// up to n more times, with exponential backoff from base plus jitter.
// With the reliability stack on (see WithReliability) it sets the stack's
// Retries and BackoffBase, and the stack's rules apply (transient kinds
// only, full jitter, BackoffCap). Without the stack it retries transient,
// timeout and backpressure failures, with backoff base, 2×base, 4×base, …
// each capped at 30 s (or at base, if larger), plus up to 50 % jitter.
// Default: 0 for minimal, 2 for the other presets (and without
// WithPreset, which behaves as production without the stack). n above 10
// or base above a minute is a KindConfig error.
func WithRetries(n int, base time.Duration) Option {
	return func(s *settings) error {
		if n < 0 || n > 10 || base < 0 || base > time.Minute {
			return configErr("WithRetries: want 0 ≤ n ≤ 10 and a backoff between 0 and 1m, got n=" + strconv.Itoa(n) + ", backoff " + base.String())
		}
		s.retries, s.retryBackoff, s.retriesSet = n, base, true
		return nil
	}
}

// WithRefreshConcurrency bounds the background refreshes that
// stale-while-revalidate runs at once (default 64). When the bound is
// reached, a stale value is still served and its refresh is skipped.
func WithRefreshConcurrency(n int) Option {
	return func(s *settings) error {
		if n < 1 {
			return configErr("WithRefreshConcurrency: want at least 1")
		}
		s.refreshLimit = n
		return nil
	}
}

// WithLoadTimeout bounds one loader call made by GetOrLoad or a background
// refresh, and the backend read of a GetOrLoad flight (default 30 s). Loads
// run detached from any single caller's context, so that one caller giving
// up does not fail the others waiting on the same load.
func WithLoadTimeout(d time.Duration) Option {
	return func(s *settings) error {
		if d <= 0 {
			return configErr("WithLoadTimeout: want a positive duration")
		}
		s.loadTimeout = d
		return nil
	}
}

// WithLogger sets the logger for background events (absorbed refresh
// errors). Default: slog.Default(). Keys and secrets are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error {
		if l == nil {
			return configErr("WithLogger(nil)")
		}
		s.logger = l
		return nil
	}
}

// MaxObjectAge bounds WithObjectCache's maxAge.
const MaxObjectAge = 24 * time.Hour

// WithObjectCache keeps up to maxEntries decoded values in process, in front
// of the backend, so that a repeated Get, GetOrLoad or Cached call for the
// same key and type returns without touching the backend or the codec: one
// map lookup and a type assertion, no allocation. It is for read-heavy keys
// whose values are expensive to decode.
//
// Semantics, which callers must accept to turn it on:
//   - Sharing: a value answered from the object cache is the same value
//     every caller gets. A T that holds pointers, slices or maps is shared,
//     not copied: treat values read through the cache as read-only. (A T
//     that is a plain struct of scalars and strings is copied on return, as
//     usual in Go, and is safe to modify.)
//   - Consistency: this client's Set and Delete (and a background refresh's
//     write-back) remove the entry, and a read under way while they run does
//     not cache what it saw, so this client always reads its own writes.
//     Writes by other processes are seen once the entry expires: after at
//     most maxAge, and never later than the remaining freshness the backend
//     reported when the value was read. Stale values are never cached.
//   - Bounds: at most maxEntries entries (about; the bound is kept per
//     shard); when full, an expired or else an arbitrary entry is evicted.
//     The bound counts entries, not bytes: size it for your values.
//   - Types: an entry is returned only to a read of the same T; a read as
//     another type decodes from the backend as usual and replaces it.
//   - Stale-while-revalidate sees a value's age when its entry expires, so a
//     refresh can start up to maxAge later than without the cache.
//   - It cannot be combined with WithEncryptor: the object cache holds
//     plaintext, and an encrypting client keeps plaintext in no tier.
//
// Stats.ObjectHits counts the reads it answered. maxEntries must be
// positive and 0 < maxAge ≤ MaxObjectAge.
func WithObjectCache(maxEntries int, maxAge time.Duration) Option {
	return func(s *settings) error {
		if maxEntries <= 0 {
			return configErr("WithObjectCache: maxEntries must be positive, got " + strconv.Itoa(maxEntries))
		}
		if maxAge <= 0 || maxAge > MaxObjectAge {
			return configErr("WithObjectCache: want 0 < maxAge <= 24h, got " + maxAge.String())
		}
		s.objectEntries, s.objectMaxAge = maxEntries, maxAge
		return nil
	}
}
