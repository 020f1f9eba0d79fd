// Package compose stacks cache tiers — an in-process L1 over a shared L2,
// and so on down — into one core.Backend, in the manner of hitbox's
// CompositionBackend. A composition is a pair, an upper tier over a lower
// one; since the pair is itself a core.Backend, pairs nest:
//
//	stack, err := compose.Tiers(l1, l2, l3) // l1 over (l2 over l3)
//
// The lower tier is the authoritative one: locks, TTL inspection and TTL
// changes go to it, its misses and errors decide a read when the upper tier
// has nothing fresh, and the upper tier only ever holds copies.
//
// # Policies and their defaults
//
// Read (WithReadPolicy):
//   - ReadSequential, the default: the upper tier, then — on a miss, an
//     error or a stale value — the lower tier. A stale upper value is
//     served only if the lower tier fails.
//   - ReadRace: both at once; the first fresh hit wins, the loser finishes in
//     the background (it is not canceled, which would cost a pooled
//     connection in most clients).
//   - ReadParallelFreshest: both at once; the hit with the longest remaining
//     freshness wins, the lower tier's on a tie (a hit beats a miss).
//
// Write (WithWritePolicy):
//   - WriteSequential, the default: write-through, the lower tier first and
//     then the upper one, as cachekit does. A failed lower write fails the
//     Set and deletes the upper copy; a failed upper write deletes the upper
//     copy and fails the Set only if that delete fails too. While the
//     composition follows live invalidations (below), it writes around the
//     upper tier: the lower tier, then the upper copy deleted.
//   - WriteOptimisticParallel: both at once; succeeds if one succeeds. When
//     both fail, one *core.Error carries both (errors.Is and errors.As
//     match either).
//   - WriteRace: both at once; returns at the first success, the other write
//     finishing in the background. This gives up read-your-writes (see
//     WriteRace) and is the one policy under which a stack does not pass the
//     conformance suite.
//
// Delete always invalidates the upper tier first, then the lower one, so
// that no reader can copy a value back up between the two. Exists, GetMany
// and SetMany are always sequential.
//
// Refill (WithRefill): RefillAlways, the default, copies fresh lower-tier
// hits into the upper tier (a backfill); RefillNever does not. Where the
// copy is written (WithBackfillMode): see below.
//
// # Freshness-bounded backfill
//
// A backfilled copy never outlives what the lower tier promised: its TTL is
// the smaller of the lower tier's reported remaining freshness (less the
// time since the read) and the backfill cap (WithBackfillCap, default 30 s).
// A value the lower tier flagged stale, or reported with no freshness left,
// is never copied; a value of unknown freshness is copied for the cap (the
// protocol's "absent Fresh-For → local TTL"). The caller always sees the
// Freshness of the tier that served the value.
//
// A copy's lifetime is not its value's freshness: a value fresh for an hour
// is copied for 30 s. When the upper tier is a tier.CopySetter (l1/bigcache,
// conformance/memory), the copy is written with SetCopy and its hits report
// the value's freshness as the lower tier reported it, aged — so that a
// client's stale-while-revalidate, which judges a value's age from its
// remaining freshness, does not take every copy for an old value and reload
// it. Over an upper tier without the capability the copy is written with
// Set, and its hits report the copy's own remaining lifetime.
//
// With WithGuard (the presets pass their clients' codec), each copy written
// into an in-memory upper tier that stores marks (tier.MarkedCopySetter) is
// first checked with the codec's hostile-input guard and stored with the
// verdict; a client's Get then decodes a hit on a marked copy without
// walking the guard again. Bytes the guard rejects are copied unmarked and
// rejected on every read; bytes from the lower tier are never trusted.
//
// A backfill never overwrites a newer write. Every Set, Delete, Expire and
// SetMany marks its key's write generation (a striped counter of writes
// started and in flight) for its whole duration; a backfill takes a snapshot
// before it reads the lower tier, does not start while a write is in flight,
// and deletes its copy again if a write started before its upper-tier write
// returned. The reasoning is in version.go.
//
// # Cross-process invalidation
//
// When the lower tier reports invalidations (tier.Invalidator: backend/redis
// on a single-server or Sentinel client) and the upper tier is in memory
// and can be cleared (l1/bigcache), the composition follows them, unless
// WithInvalidation(false) says otherwise:
//   - a report that a key changed, expired or was evicted — by any process —
//     deletes the upper copy at once, ordered against backfills by the same
//     write generations (a copy read before the change is not kept);
//   - when the lower tier loses track (a broken connection, a flush), every
//     upper copy is dropped, and until the reports flow again the
//     composition behaves as without them;
//   - reads still ask the lower tier for a value's remaining lifetime (GET
//     and PTTL on Redis) and bound its copy by it: the reports keep a copy
//     in step with writes, but Redis reports an expiry only when it reclaims
//     the key, which can lag the TTL by far on a key nobody touches.
//
// The price is a connection per composition and one message per change of
// a watched key, this process's own writes included. Since a write's own
// report would delete the upper copy a moment after it was made, Set and
// SetMany write around the upper tier while invalidations are live (the
// lower tier, then the upper copy deleted), and the next read refills it.
// Invalidations reports the state.
//
// # Where backfills run
//
// A backfill into an upper tier that reports tier.InMemory (l1/bigcache,
// conformance/memory, a composition of such tiers) is written inline,
// before Get returns: it is a copy under a lock, cheaper than handing it
// to another goroutine, and needs no copy of the value. Any other upper
// tier is backfilled on the offloader, so the reader never waits for it.
// WithBackfillMode overrides the choice.
//
// # Background work
//
// Offloaded backfills, race losers and the concurrent side of parallel
// writes run on an offload.Offloader: bounded concurrency (default 64
// tasks), per-key de-duplication of backfills, a per-task timeout (default
// 5 s), and drain on Close. Pass one with WithOffloader to share or size
// it. When it is full a backfill is dropped and counted (BackfillStats) —
// the caller is never blocked — and a concurrent read or write runs on the
// caller's goroutine instead. Nothing is queued, so nothing grows with load (the unbounded
// backfill channel of eko/gocache is what this avoids).
//
// # Capabilities and stats
//
// Backend implements core's TTLInspector, TTLRefresher, Locker,
// ConditionalSetter, BatchGetter, BatchSetter, StatsReporter and io.Closer, and core/tier's
// LocalGetter, InMemory and Invalidator; not ValueGetter (a copy is bounded
// by the freshness a read reports), CopySetter or Clearer. Lock,
// Unlock, TTL, Expire and SetIfAbsent go to the lower tier and fail with
// core.KindNotSupported when it lacks them, and so does WatchInvalidations,
// which passes the lower tier's reports on to a composition stacked above;
// GetMany and SetMany use each tier's batch calls where it has them. Stats reports one core.TierStats per tier with dotted names
// ("compose.bigcache", "compose.redis"); a nested composition contributes
// its own tiers. Close drains the offloader the composition owns and closes
// the tiers that are io.Closers.
//
// The hit path of a sequential read is one call to the upper tier and one
// atomic increment: no goroutine, no closure, no lock, no allocation.
package compose
