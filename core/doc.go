// Package core is the heart of cachekit-go: the ports every adapter
// implements and the typed client applications use. It depends on the
// standard library only.
//
// # Ports
//
// Backend is the one required interface of a storage adapter: raw bytes under
// a key with a TTL, and on read what the backend knows about the value's
// remaining freshness (Entry.Freshness), so that tiers can bound backfill.
// Optional capabilities — ValueGetter, TTLInspector, TTLRefresher, Locker,
// BatchGetter, BatchSetter, BatchDeleter, StatsReporter and io.Closer — are discovered by
// type assertion, in the manner of database/sql/driver. The conformance
// module checks that an adapter keeps the contract. ValueGetter is how the
// client avoids paying for freshness it would not use: a Get without an
// object cache reads a backend that has it (Redis: a bare GET instead of
// GET+PTTL) through GetValue.
//
// The interfaces between the tiers of a stack — an L1's local reads and
// copies, a shared backend's invalidation reports — are in package
// core/tier, for authors of L1s, tiers and compositions; applications do
// not need them.
//
// Codec turns values into bytes (the protocol module provides the CacheKit
// MessagePack codecs) and Encryptor seals them (the crypto module provides
// AES-256-GCM with tenant keys). Neither lives here, so core stays free of
// third-party code.
//
// # Client
//
// Client is the typed front, the way slog.Logger fronts a slog.Handler. It
// validates keys (1–1024 bytes, UTF-8, no control characters) and TTLs
// (0 < ttl ≤ 30 days, sub-second rounds up to 1 s, a finite default from the
// preset, "never expire" only by WithNeverExpire), applies the namespace
// ("ns:{namespace}:{key}"), bounds payloads (5 MiB by default, on write and
// read), encodes, encrypts, and retries retryable failures. Values are read
// with the generic functions Get, GetOrLoad (read-through with single-flight
// and stale-while-revalidate) and Cached (a function wrapper), and written
// with Set and Delete. Per-call options are CallOptions, spelled one way
// everywhere: c.Set(ctx, k, v, core.TTL(time.Minute)), GetOrLoad(...,
// core.TTL(d), core.FreshRatio(r)).
//
// Every capability a user may want has an entry point on the client, in the
// manner of sql.DB over database/sql/driver, with the same key rules,
// namespace, codec, encryption, retries and statistics as Get and Set:
// TTL and Expire (remaining lifetime, refresh), Lock (a leased distributed
// lock with an Unlock handle), and the batches GetMany, SetMany and
// DeleteMany. Batches use the backend's BatchGetter, BatchSetter and
// BatchDeleter when it has them and fall back to one call per key when it
// does not. TTL, Expire and Lock on a backend without the capability (or a
// wrapper whose lower tier lacks it) fail with KindNotSupported.
//
// A Client always reads its own writes: once Set, Delete, SetMany,
// DeleteMany or Expire returns, no read of that client returns what the
// key held before, whether from the object cache, a write-back of a load
// that began earlier, or a shared read that began earlier.
//
// The flow of a value:
//
//	Set:  value ─Codec.Marshal─► bytes ─Encryptor.Encrypt─► Backend.Set
//	Get:  Backend.Get ─Encryptor.Decrypt─► bytes ─Codec.Unmarshal─► T
//
// # Reliability
//
// With the production, secure or io preset (WithPreset), or WithReliability,
// every backend call passes through one stack, the same for every backend:
// backpressure (a bound on concurrent calls with a short queue, then
// KindBackpressure), a circuit breaker (KindCircuitOpen in microseconds
// while the backend is down; state in Stats.Breaker and a callback),
// retries of transient kinds with capped, fully jittered backoff, and a
// per-operation deadline when the caller's context has none.
// DefaultReliability states the defaults; Preset states what each call does
// when the backend is unreachable (PRE-14). Background warnings are
// rate-limited: per message, the first, then one line per 10 s with the
// count of those suppressed.
//
// # Object cache
//
// WithObjectCache puts an in-process cache of decoded values in front of the
// backend for clients that do not encrypt: a repeated read of the same key
// and type is one map lookup and a type assertion, with no allocation, where
// a byte-level L1 still copies the bytes and decodes them on every hit.
// Values it returns are shared between callers (treat them as read-only);
// this client's own writes are always seen at once, other processes' writes
// within maxAge. See WithObjectCache for the full contract.
//
// # Errors
//
// Every error is an *Error carrying a Kind (invalid input, transient,
// permanent, timeout, auth, circuit open, backpressure, payload too large,
// serialization, encryption, config, not supported, canceled, absent). Match
// it with errors.Is(err, ErrTransient) or KindOf(err). A miss is never an
// error; absent is the answer of negative caching (ErrAbsent), opt-in.
// Adapters classify their failures; the client decides on retries and on
// answering GetOrLoad from the loader by kind alone. Decryption and decoding
// failures always fail closed.
//
// # Observation and logs
//
// WithObserver sets an Observer: optional hooks called as operations end
// (get, set, delete, exists, load: tier, result, error kind, stored bytes
// and, with Observer.Timing, duration), on retries, breaker changes,
// self-healed reads, invalidations and evictions. Without one, a client
// pays one nil check per operation and allocates nothing for it. The
// modules observe/prometheus and observe/otel export the events. Events
// carry no key and no value.
//
// Background events are logged through the client's *slog.Logger
// (WithLogger) with the stable attribute keys LogKeyKind ("cache.kind"),
// LogKeyOp, LogKeyNamespace and LogKeyHash ("cache.key_hash"). Keys may hold
// personal data, so no record carries one: a record about a key carries
// KeyHash of its storage key, the first 8 bytes of its SHA-256 in hex.
//
// # Configuration
//
// Options (WithCodec, WithPreset, WithNamespace, WithDefaultTTL, ...)
// configure a Client. ConfigFromEnv reads the protocol's CACHEKIT_*
// variables for adapters; credentials are held as Secret, which never prints
// its value. CACHEKIT_DEFAULT_TTL is reserved by the protocol and is not read,
// and CACHEKIT_MASTER_KEY never turns encryption on by itself.
package core
