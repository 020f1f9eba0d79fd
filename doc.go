// Package cachekit is where most programs start: one call builds a whole
// cache stack for an intent preset of the CacheKit protocol
// (spec/intent-presets.md), and returns the typed client of package core.
//
//	cache, err := cachekit.Production(redisBackend)      // or Minimal, Secure, IO, FromEnv
//	if err != nil { … }
//	defer cache.Close()
//	u, found, err := core.Get[User](ctx, cache, "42")
//
// The presets:
//
//	preset      constructor                      TTL     L1   SWR + invalidation  retries  encryption
//	minimal     Minimal(backend)                 300 s   on   off                 0        off unless WithEncryption
//	production  Production(backend)              600 s   on   on                  2        off unless WithEncryption
//	secure      Secure(backend, keyHex),         600 s   on   on                  2        required (the key is the argument
//	            SecureFromEnv(backend)                   (ciphertext only)                  or CACHEKIT_MASTER_KEY)
//	io          IO(apiKey), IOFromEnv()          3600 s  on   on                  2        off unless WithEncryption
//
// FromEnv chooses the backend from the environment (CACHEKIT_API_KEY →
// cachekit.io with io; CACHEKIT_REDIS_URL → Redis, CACHEKIT_MEMCACHED_SERVERS
// → memcached, CACHEKIT_FILE_CACHE_DIR → a cache directory, each with
// production; two of these set is an error; REDIS_URL → Redis only when
// none is set). Open does the same from a URL (redis://, rediss://,
// memcached://, file:///, https://). Backends are opened through
// core/registry drivers that the adapters register when imported, so this
// package imports no adapter and a Redis-only program links nothing of
// cachekit.io's.
//
// Each preset's client defaults (TTL, stale-while-revalidate, retries) are
// core.WithPreset's; the stack posture (the L1, cross-process invalidation)
// is defined here, in Stack. Every layer sits below the client's codec and
// encryption, so an encrypting client keeps only ciphertext in the L1 too.
//
// # Failure behaviour (PRE-14)
//
// What each operation does when the backend is unreachable, or a stored
// value cannot be read, is stated in each constructor's documentation and
// in the README. In short: Get, Set and Delete return the backend's error
// (after the preset's retries; a fresh L1 copy still answers Get);
// GetOrLoad and Cached answer a retryable failure or an open circuit
// breaker with the loader's value and a nil error, except under minimal,
// which returns the first error; a value that does not decode or
// authenticate is an error from Get and a miss for GetOrLoad and Cached,
// whose loader's value replaces it. Production, secure and io turn on
// core's reliability stack (core.DefaultReliability: retries, circuit
// breaker, backpressure, per-operation deadline).
//
// # Protocol notes
//
//   - Integrity (PRE-12): the default codec is the ByteStorage envelope,
//     which carries an xxHash3-64 checksum, on every preset. WithCodec can
//     replace it (protocol.Msgpack() has no checksum).
//   - Master keys (PRE-22..24): exactly 32 bytes, as 64 hex digits — the
//     only length every SDK accepts; use nothing else. crypto.New takes raw
//     bytes, exactly 32 (PRE-26).
//   - No process-wide default-TTL override exists (PRE-3): nothing here
//     reads CACHEKIT_DEFAULT_TTL. Values without expiry are an explicit
//     opt-in (WithClientOptions(core.WithNeverExpire()), PRE-4, PRE-5).
//   - This package ships no SDK-local preset (PRE-54, PRE-55).
//   - Rules that govern cachekit-py's migration away from auto-activation
//     by CACHEKIT_MASTER_KEY (PRE-6 changelog notice, PRE-38..44) have no
//     Go counterpart: this SDK never activated encryption from the
//     environment, so it has no shipped default to change and no
//     transitional gate. Its interop and envelope formats carry no
//     legacy-decrypt marker; a client that is not encrypting reads stored
//     bytes as plaintext only (PRE-37 concerns cachekit-py's CK frames).
package cachekit
