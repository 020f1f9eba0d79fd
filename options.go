package cachekit

import (
	"log/slog"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// DefaultL1MaxBytes bounds the in-process L1 a preset builds (about 64 MiB)
// unless WithL1MaxBytes says otherwise.
const DefaultL1MaxBytes = 64 << 20

// Option overrides one of a preset's defaults. Explicit options win over
// the preset (PRE-48); an option the chosen constructor does not support is
// a core.KindConfig error naming both, never silently dropped (PRE-49).
type Option func(*config)

// config is what the options set. Secrets (master keys) are held here only
// until the constructor has built the encryptor; config is never printed.
type config struct {
	given []string // option names, in order, for PRE-49 checks

	ttl           time.Duration
	ttlSet        bool
	namespace     string
	l1MaxBytes    int64
	noL1          bool
	invalidation  *bool
	swr           *bool
	encKeyHex     string // WithEncryption
	encFromEnv    bool   // WithEncryptionFromEnv
	noEncryption  bool   // WithoutEncryption
	previousHex   []string
	codec         core.Codec
	logger        *slog.Logger
	observer      *core.Observer
	clientOpts    []core.Option
	readThrough   []core.Option // WithFillLock, WithoutFillLock, WithNegativeCache, WithTTLJitter
	backendOpts   []any
	inProcessDflt bool
}

func (c *config) has(name string) bool {
	for _, g := range c.given {
		if g == name {
			return true
		}
	}
	return false
}

func collect(opts []Option) *config {
	c := &config{l1MaxBytes: DefaultL1MaxBytes}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// WithDefaultTTL replaces the preset's default TTL (PRE-1: 300 s minimal,
// 600 s production and secure, 3600 s io). A per-call TTL still wins over
// it (PRE-2). The protocol's TTL rules apply (core.WithDefaultTTL).
func WithDefaultTTL(ttl time.Duration) Option {
	return func(c *config) { c.given = append(c.given, "WithDefaultTTL"); c.ttl, c.ttlSet = ttl, true }
}

// WithNamespace stores every key as "ns:{namespace}:{key}" (1–64 of
// [A-Za-z0-9_-]).
func WithNamespace(ns string) Option {
	return func(c *config) { c.given = append(c.given, "WithNamespace"); c.namespace = ns }
}

// WithL1MaxBytes bounds the in-process L1 to about n bytes (default
// DefaultL1MaxBytes; 0 means unbounded). A negative n is a core.KindConfig
// error.
func WithL1MaxBytes(n int64) Option {
	return func(c *config) { c.given = append(c.given, "WithL1MaxBytes"); c.l1MaxBytes = n }
}

// WithoutL1 builds no in-process L1: every read reaches the backend.
func WithoutL1() Option {
	return func(c *config) { c.given = append(c.given, "WithoutL1"); c.noL1 = true }
}

// WithInvalidation turns cross-process invalidation of the L1 on or off
// (default: on for production, secure and io; off for minimal, PRE-8). It
// takes effect where the backend reports invalidations (backend/redis on a
// single server or Sentinel).
func WithInvalidation(on bool) Option {
	return func(c *config) { c.given = append(c.given, "WithInvalidation"); c.invalidation = &on }
}

// WithStaleWhileRevalidate turns stale-while-revalidate of GetOrLoad and
// Cached on or off (default: on except for minimal, PRE-8).
func WithStaleWhileRevalidate(on bool) Option {
	return func(c *config) { c.given = append(c.given, "WithStaleWhileRevalidate"); c.swr = &on }
}

// WithEncryption turns zero-knowledge encryption on with the master key
// masterKeyHex (64 hex digits: 32 bytes, the only length every SDK accepts,
// PRE-24). It is the explicit activation of Production, IO, Minimal and
// FromEnv (PRE-30); every operation of the client then encrypts, the L1
// included (PRE-31). Secure takes its key as an argument and rejects it.
func WithEncryption(masterKeyHex string) Option {
	return func(c *config) { c.given = append(c.given, "WithEncryption"); c.encKeyHex = masterKeyHex }
}

// WithEncryptionFromEnv turns encryption on with the master key of
// CACHEKIT_MASTER_KEY (and the decrypt-only keys of
// CACHEKIT_PREVIOUS_MASTER_KEYS): the explicit activation for a key the
// deployment supplies. The variable alone never turns encryption on
// (PRE-34); this option does. A missing variable fails at construction.
func WithEncryptionFromEnv() Option {
	return func(c *config) { c.given = append(c.given, "WithEncryptionFromEnv"); c.encFromEnv = true }
}

// WithoutEncryption is the explicit opt-out (PRE-36): the client does not
// encrypt, whatever the environment holds. It is the default of every
// preset but Secure, which rejects it.
func WithoutEncryption() Option {
	return func(c *config) { c.given = append(c.given, "WithoutEncryption"); c.noEncryption = true }
}

// WithPreviousMasterKeys adds decrypt-only master keys (64 hex digits each)
// for key rotation, tried after the current key. It needs encryption on
// (Secure, WithEncryption); anywhere else it is a core.KindConfig error.
func WithPreviousMasterKeys(keysHex ...string) Option {
	return func(c *config) {
		c.given = append(c.given, "WithPreviousMasterKeys")
		c.previousHex = append(c.previousHex, keysHex...)
	}
}

// WithCodec replaces the codec (default protocol.Envelope(): the CacheKit
// ByteStorage envelope, MessagePack with an xxHash3-64 checksum and LZ4,
// which every CacheKit SDK reads).
func WithCodec(codec core.Codec) Option {
	return func(c *config) { c.given = append(c.given, "WithCodec"); c.codec = codec }
}

// WithLogger sets the client's logger for background events (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.given = append(c.given, "WithLogger"); c.logger = l }
}

// WithObserver sets the observer (observe/otel, observe/prometheus, or
// hooks of your own) that receives the client's events
// (core.WithObserver) and, per tier, the L1 composition's
// (compose.WithObserver): one Observer sees the stack whole.
func WithObserver(o *core.Observer) Option {
	return func(c *config) { c.given = append(c.given, "WithObserver"); c.observer = o }
}

// WithClientOptions passes options to core.New after the preset's own, so
// they override it (core.WithRetries, core.WithObjectCache,
// core.WithNeverExpire — the explicit opt-in to values without expiry,
// PRE-4 — and so on).
func WithClientOptions(opts ...core.Option) Option {
	return func(c *config) {
		c.given = append(c.given, "WithClientOptions")
		c.clientOpts = append(c.clientOpts, opts...)
	}
}

// WithBackendOptions passes driver-specific options to the backend a
// constructor opens itself (IO, IOFromEnv, FromEnv, Open): cachekitio.Option
// values for cachekit.io, a redis.Options value for Redis, memcached.Option
// or file.Option values for those backends. The driver
// rejects a value of a type it does not know. Constructors given a backend
// reject this option.
func WithBackendOptions(opts ...any) Option {
	return func(c *config) {
		c.given = append(c.given, "WithBackendOptions")
		c.backendOpts = append(c.backendOpts, opts...)
	}
}

// WithInProcessDefault lets FromEnv build an in-process cache (the minimal
// preset over an L1 alone, nothing shared between processes) when the
// environment selects no backend, instead of failing. Only FromEnv
// supports it.
func WithInProcessDefault() Option {
	return func(c *config) { c.given = append(c.given, "WithInProcessDefault"); c.inProcessDflt = true }
}

// readThrough records a core option given through the preset's own option
// name, so that PRE-49 checks and errors name it.
func readThrough(name string, o core.Option) Option {
	return func(c *config) {
		c.given = append(c.given, name)
		c.readThrough = append(c.readThrough, o)
	}
}

// WithFillLock sets the lease and wait bound of the distributed fill lock
// (core.WithFillLock), and turns it on for Minimal: a miss of GetOrLoad or
// Cached is loaded once across every process sharing the backend. On by
// default in Production, Secure and IO (5 s lease, 10 s wait). A bad value
// is a core.KindConfig error.
func WithFillLock(lease, wait time.Duration) Option {
	return readThrough("WithFillLock", core.WithFillLock(lease, wait))
}

// WithoutFillLock turns the distributed fill lock off (core.WithoutFillLock):
// each process loads its own misses.
func WithoutFillLock() Option { return readThrough("WithoutFillLock", core.WithoutFillLock()) }

// WithNegativeCache turns negative caching on (core.WithNegativeCache): a
// loader's core.ErrAbsent is cached for ttl (at most an hour). Off by
// default in every preset. A bad ttl is a core.KindConfig error.
func WithNegativeCache(ttl time.Duration) Option {
	return readThrough("WithNegativeCache", core.WithNegativeCache(ttl))
}

// WithTTLJitter shortens every stored TTL by a random share of up to
// percent (core.WithTTLJitter; 0–50). Off by default in every preset. A
// bad percentage is a core.KindConfig error.
func WithTTLJitter(percent float64) Option {
	return readThrough("WithTTLJitter", core.WithTTLJitter(percent))
}
