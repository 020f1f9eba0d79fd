// Package redis is the Redis backend of cachekit-go: a core.Backend on
// github.com/redis/go-redis/v9's UniversalClient, for a single server, a
// Redis Cluster or a Sentinel-managed master.
//
//	b, err := redis.New(redis.Options{URL: "redis://:secret@localhost:6379/0"})
//	if err != nil { ... }
//	defer b.Close()
//
// New builds the client from Options (a URL, addresses, ACL credentials, TLS,
// pool size, timeouts); Wrap adapts a client the application already has.
// Both take the same Option values for how the Backend reads and watches
// (WithGetScript, WithoutFreshness, WithInvalidationPrefixes,
// WithInvalidationPing), and both refuse a bad value with core.KindConfig.
//
// # Commands
//
//   - Set: SET key value PX ms (ms rounded up; core.NoExpiry sends no PX).
//   - Get: the value and its PTTL in one round trip, so that every hit
//     reports its remaining freshness (core.Freshness): by default a
//     pipeline of a one-key MGET (a missing key is a nil element, not the
//     error reply go-redis spends about 20 allocations classifying) and a
//     PTTL, or one server-side Lua script (WithGetScript: atomic, but
//     slower; see the benchmarks in this package). With WithoutFreshness, a
//     bare GET and unknown freshness instead:
//     half the commands, but upper-tier copies are then bounded by their
//     own TTL, not by the key's.
//   - core.ValueGetter: a bare GET. core.Client reads through it when it
//     would not look at the freshness (no object cache; for GetOrLoad, no
//     stale-while-revalidate either), so a client straight over Redis sends
//     one command per read. A composition (compose) over this backend
//     always reads with Get, whose PTTL bounds the L1 copy, whether or not
//     it follows the invalidations (below).
//   - tier.Invalidator: see below.
//   - Delete: DEL. Exists: EXISTS. Health: PING (every master of a cluster).
//   - core.TTLInspector: PTTL. core.TTLRefresher: PEXPIRE.
//   - core.ConditionalSetter: SET NX [PX]. The client writes back values it
//     loaded after a miss with it, so a load never overwrites a Set another
//     process made while it ran.
//   - core.Locker: compatible with the other CacheKit SDKs: the lock of key
//     lives under "<key>:lock", is taken with SET NX PX and a random token,
//     and released by a compare-and-delete Lua script, so only the holder
//     releases it.
//   - core.BatchGetter, core.BatchSetter: one pipeline; go-redis's cluster
//     pipeline splits it by node and sends the parts in parallel. A batch
//     read on one node is one MGET and a PTTL per key; in a cluster a
//     one-key MGET and a PTTL per key. core.BatchValueGetter: one MGET on
//     one node, a pipeline of GETs in a cluster.
//   - core.StatsReporter (hits, misses, errors) and io.Closer.
//
// A key holding another type than string (a list, a hash) is never taken
// for a miss by Get or GetMany: MGET answers nil for it, its PTTL shows it
// exists, and one TYPE command then makes the read fail with Redis's
// WRONGTYPE error (core.KindPermanent), so a read-through does not
// overwrite data that is not the cache's. A Redis ACL for the backend's
// user must allow the commands above (the @read, @write and @scripting
// categories cover them; GET alone is not enough since reads use MGET),
// and for WatchInvalidations CLIENT and SUBSCRIBE too.
//
// # Invalidations
//
// WatchInvalidations (tier.Invalidator) uses Redis's server-assisted client
// tracking (Redis 6 or later) in broadcasting mode: a connection of its own,
// dialled with the client's settings, switches tracking on with itself as
// the target (CLIENT TRACKING ON REDIRECT <own id> BCAST, PREFIX per
// WithInvalidationPrefixes) and subscribes to __redis__:invalidate.
// Redis then sends it the name of every matching key that is written,
// deleted, expired or evicted, by any client; it keeps no per-key state for
// it. An expiry is reported when Redis reclaims the key — on its next access,
// or when the server's sampling expiry cycle finds it — which can lag the
// TTL on a key nobody touches. The watch pings a quiet connection
// (WithInvalidationPing) and treats a lost one, or a FLUSHALL, as
// "everything may have changed"; it reconnects with backoff. compose follows
// the watch by default, which is what gives an L1 over Redis cross-process
// invalidation.
//
// # Invalidations on a Redis Cluster
//
// Client tracking is per node: a master reports the changes to the keys it
// holds, to connections on that master. On a cluster the watch therefore runs
// one tracking connection (as above) per master, found from CLUSTER SLOTS
// (the masters go-redis routes to) and, on Redis 7 or later, CLUSTER SHARDS
// (masters that own no slot yet), asked again every second; a supervisor
// merges their reports into the one watcher. The merged watch is live only
// while every known master's connection is: a lost, frozen or flushed
// master, or a new one (a failover, a master added), takes it to
// Reset(false) until all are live again, which covers whatever changed on a
// master while nobody watched it.
//
// This is what stays correct when keys move between nodes. A slot migration
// moves a key with MIGRATE, which deletes it on the old master and writes it
// with RESTORE on the new one; both are ordinary changes that the two
// masters report, and later writes land on the new master, which is
// watched. Sharded Pub/Sub (SSUBSCRIBE/SPUBLISH, Redis 7) was the other
// candidate and is not used: it carries only messages that writers publish
// themselves, so it misses expiries, evictions and every write made by a
// client that does not publish (another SDK, redis-cli), and a sharded
// channel lives in one slot, so its subscribers are dropped (SUNSUBSCRIBE)
// whenever that slot migrates, losing messages until they resubscribe.
//
// # Errors
//
// Every error is a *core.Error. Connection and I/O failures, and the server's
// LOADING/BUSY/TRYAGAIN/CLUSTERDOWN/MASTERDOWN/READONLY replies, are
// core.KindTransient; timeouts (socket deadlines, pool waits, a context
// deadline) are core.KindTimeout; NOAUTH, WRONGPASS and NOPERM are
// core.KindAuth; a canceled context is core.KindCanceled; OOM is
// core.KindBackpressure; bad options are core.KindConfig; the rest is
// core.KindPermanent. Passwords (from Options or the URL) never appear in an
// error, nor in any fmt, encoding/json or log/slog output of Options or
// Backend; a URL that does not parse is reported without quoting its user
// information, even when url.Parse's own message would.
//
// # Timeouts and retries
//
// The go-redis defaults apply unless set: 5 s dial, 3 s read and write
// timeouts, 3 retries with backoff on retryable failures. A call can take up
// to (MaxRetries+1) times the timeout that bites; a cache usually wants less,
// for example ReadTimeout 200ms and MaxRetries 1 — or a context deadline,
// which every call honours (go-redis's ContextTimeoutEnabled is on).
//
// A context that is already done fails a call before anything is sent, and
// a cancellation is noticed while waiting for a pooled connection. go-redis
// does not interrupt a socket read, though: a cancellation that arrives
// while a command waits for its reply takes effect at the next socket
// deadline (ReadTimeout at most), and the call then fails as
// core.KindCanceled.
package redis
