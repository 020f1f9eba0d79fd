// Package memcached is a cachekit-go storage backend on memcached, through
// github.com/bradfitz/gomemcache, so that a Go service can share a memcached
// fleet with the other CacheKit SDKs (cachekit-py, -rs, -ts).
//
//	b, err := memcached.New([]string{"10.0.0.1:11211", "10.0.0.2:11211"})
//
// New takes "host:port" addresses or unix socket paths and the options
// WithTimeout, WithMaxIdleConns and WithMaxItemSize; a missing or malformed
// address or a bad option is a core.KindConfig error that never repeats the
// address. Values are stored as they are, with no header, so that entries
// written by another SDK read back unchanged.
//
// # Keys
//
// memcached's text protocol takes keys of 1 to 250 bytes with no space,
// control character or DEL: such a byte would end the command line early,
// and what follows would be read as a command of its own (CRLF injection,
// CWE-93). A key that fits is stored as it is. Any other key — longer than
// 250 bytes, or holding one of those bytes — is never sent: it is stored
// under the protocol's shortened form (cache-key-format.md, "Key Length
// Limits"), its first 50 characters, ":" and the first 32 hexadecimal
// characters of the Blake2b-256 hash of the whole key, with spaces, control
// characters and DEL among the 50 characters replaced by "_". StorageKey
// returns that form. A lock on key is the entry "<key>:lock", as in the
// other SDKs.
//
// # TTLs
//
// A TTL is rounded up to whole seconds. Up to 30 days it is sent as a number
// of seconds; beyond, as the Unix time of the expiry, as memcached requires
// (it reads a larger number as a date in 1970 and drops the entry at once),
// which assumes that the server's clock agrees with this process's.
// core.NoExpiry is memcached's 0 (no expiry). A negative TTL, or one ending
// after January 2038 (memcached's 32-bit times), is core.KindInvalidInput.
// memcached does not report an entry's remaining lifetime over its classic
// protocol: Get's Entry has unknown freshness, and the backend does not
// implement core.TTLInspector.
//
// # Sizes
//
// memcached refuses items larger than its -I option (1 MiB by default),
// counting the key and an item header against it. Set refuses a value longer
// than MaxValueSize — the limit given by WithMaxItemSize minus 512 bytes —
// with core.KindPayloadTooLarge before sending it, and a server that refuses
// an item as too large yields the same kind.
//
// # Capabilities
//
//   - core.ValueGetter, and core.TTLRefresher (Expire: memcached's touch).
//   - core.Locker: Lock adds "<key>:lock" with a random token for the lease;
//     Unlock replaces the holder's token by an empty tombstone with a
//     compare-and-swap on the CAS value it read, since the classic protocol
//     has no conditional delete, and Lock takes a tombstone over with a
//     compare-and-swap too. So only the holder releases, and of concurrent
//     lockers exactly one wins.
//   - core.BatchGetter: one multi-get (gets k1 k2 …) per server.
//   - io.Closer.
//
// There is no BatchSetter or BatchDeleter (gomemcache sends one command per
// key, which is no batch), no tier.Invalidator (memcached reports no
// changes) and no key prefix option (a prefix would have to be part of the
// encryption AAD, which the client computes from the keys it is given).
//
// # Servers and contexts
//
// With several servers, each key goes to one server picked as cachekit-py's
// pymemcache HashClient picks it (rendezvous hashing: the highest 32-bit
// MurmurHash3 of "<host:port>-<key>"), not by gomemcache's default CRC-32
// modulo the number of servers, so a Go and a Python service configured
// with the same server list find each other's entries. Unlike pymemcache,
// a failing server is not taken out of rotation (which would move its keys
// for this process only). gomemcache takes no context: a call checks its context
// before it starts (a done context is core.KindCanceled or
// core.KindTimeout), and once it has started it is bounded by WithTimeout.
//
// # Errors
//
// Every error is a *core.Error: connection failures and server errors are
// core.KindTransient, socket and dial timeouts core.KindTimeout, an item the
// server finds too large core.KindPayloadTooLarge, "out of memory" replies
// core.KindBackpressure, calls after Close core.KindPermanent.
//
// # Why gomemcache
//
// It is the memcached client most Go code uses (its API mirrors the text
// protocol: CAS, add, touch, multi-get), it is maintained, and it has no
// dependencies. Its gaps — no context, no meta commands (which would report
// remaining TTLs) — are documented above rather than patched with a client
// of our own.
package memcached
