package tier

import (
	"context"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// LocalGetter is an optional core.Backend capability: reading only what the
// backend holds in process, without I/O. core's GetOrLoad asks it first and
// answers a fresh local hit at once; only what it cannot answer goes through
// the single-flight that shares one backend read (and one load) among all
// the callers of a key. An in-process L1 implements it with its Get; a
// composition with its upper tier's GetLocal.
//
// Contract, checked by the conformance module when a backend implements it:
// a miss (found == false) means only "not held here", and GetLocal must not
// block on the network. A missing key is a miss, not an error; any error is
// treated as a local miss. A hit answers the value stored (never one that
// was deleted or replaced) and is never stale.
type LocalGetter interface {
	// GetLocal returns key's entry if the backend holds it in process.
	GetLocal(ctx context.Context, key string) (e core.Entry, found bool, err error)
}

// InMemory is an optional core.Backend capability: a backend whose InMemory
// reports true keeps its entries in process memory and never performs I/O,
// so its calls are cheap enough to make on a caller's goroutine. compose
// writes backfills into such an upper tier inline (a copy under a lock)
// instead of handing them to its offloader, and follows its lower tier's
// invalidations only for such an upper tier. A wrapper reports true only if
// everything it wraps does.
type InMemory interface {
	// InMemory reports whether every entry lives in process memory.
	InMemory() bool
}

// CopySetter is an optional core.Backend capability of in-process tiers that
// hold a composition's copies (l1/bigcache, conformance/memory): storing a
// copy that is kept for less time than its value stays fresh. A composition
// keeps a copy of a lower-tier hit for at most its backfill cap (30 s by
// default) while the value may stay fresh for hours; stored with Set, the
// copy would report the cap's remainder as the value's freshness, and a
// reader that judges a value's age from its freshness (stale-while-
// revalidate: age = TTL − remaining) would take every such copy for an old
// value and reload it. A copy stored with SetCopy reports the value's
// freshness instead. Without the capability a composition uses Set.
//
// Contract, checked by the conformance module when a backend implements it:
//   - SetCopy stores value under key for keep (> 0; KindInvalidInput
//     otherwise): Get, Exists and TTL treat it as Set(key, value, keep) would,
//     and it expires after keep.
//   - fresh is the value's freshness at the time of the call. Until the copy
//     expires, Get reports it aged by the time elapsed: a Known FreshFor
//     less the elapsed time (never below the copy's own remaining lifetime),
//     NoExpiry as NoExpiry, an unknown freshness as unknown. A stale fresh
//     is rejected with KindInvalidInput: stale values are never copied.
//   - Any later write of key (Set, SetCopy, Expire) replaces what SetCopy
//     recorded.
type CopySetter interface {
	// SetCopy stores value under key for keep, reporting fresh (aged) as
	// its freshness.
	SetCopy(ctx context.Context, key string, value []byte, keep time.Duration, fresh core.Freshness) error
}

// CheckCopy checks a copy's arguments as every CopySetter (and
// MarkedCopySetter) must: a keep that is not positive, or a stale value,
// is a *core.Error of KindInvalidInput for op and key, and nothing is
// stored. Tiers call it before anything else.
func CheckCopy(op, key string, keep time.Duration, fresh core.Freshness) error {
	switch {
	case keep <= 0:
		return &core.Error{Kind: core.KindInvalidInput, Op: op, Key: key, Msg: "copy lifetime must be positive, got " + keep.String()}
	case fresh.Stale:
		return &core.Error{Kind: core.KindInvalidInput, Op: op, Key: key, Msg: "stale values are not copied"}
	}
	return nil
}

// Clearer is an optional core.Backend capability of in-process tiers:
// dropping every entry at once. A composition needs it to use its lower
// tier's invalidations: when those are lost, it must forget all its copies.
type Clearer interface {
	// Clear drops every entry.
	Clear(ctx context.Context) error
}

// Invalidator is an optional core.Backend capability: a shared backend that
// tells the tiers above it when its entries change, expire or are evicted —
// whoever changed them, other processes included. A composition uses it to
// drop in-process copies as soon as the shared copy changes (cross-process
// invalidation). backend/redis implements it with server-assisted client
// tracking.
//
// Contract, checked by the conformance module when a backend implements it:
//   - WatchInvalidations starts reporting to w and returns at once; stop
//     ends the reporting (with a last Reset(false) if it was live), and
//     once stop has returned w is not called again.
//     A backend that cannot report in its current configuration (a Redis
//     Ring, say) fails with a *core.Error of KindNotSupported.
//   - The backend calls w from one goroutine at a time, in the order it
//     learns of the changes, and never while the caller holds a lock of its
//     own.
//   - Reset(true) comes first, once invalidations flow; until then, and
//     after every Reset(false), nothing is known, so a watcher must not keep
//     copies it cannot invalidate.
//   - Every change made after Reset(true) — through this backend or not —
//     is reported by Invalidated with the key, or covered by a later
//     Reset(false) or Reset(true) when the backend lost track (a broken
//     connection, a flush of the whole store). An expiry may be reported
//     only once the store reclaims the entry — Redis does when the key is
//     next touched, or when its sampling expiry cycle finds it, which on a
//     large keyspace can lag — so a watcher still bounds its copies by a
//     TTL of its own.
type Invalidator interface {
	// WatchInvalidations reports changes to w until stop is called.
	WatchInvalidations(w InvalidationWatcher) (stop func(), err error)
}

// InvalidationWatcher receives an Invalidator's reports.
type InvalidationWatcher interface {
	// Invalidated reports that the entries of keys changed, expired or were
	// evicted. The keys are storage keys as Get takes them.
	Invalidated(keys []string)
	// Reset reports that any entry may have changed: drop every copy. live
	// says whether changes are reported from now on.
	Reset(live bool)
}

// MarkedLocalGetter is an optional core.Backend capability of in-process
// tiers, and of compositions over them: GetLocal that also returns the
// core.GuardMark stored with the entry (by MarkedCopySetter), 0 when none
// was. core's Get asks it first, and decodes a marked hit without running
// the codec's hostile-input guard again (see core.CheckingCodec).
//
// It is the read of a hot path that does not look at freshness: an L1 may
// judge the hit by a coarse clock, as long as it still serves an entry only
// until it expires, so the Freshness it reports may overstate the time left
// by that clock's lag (l1/bigcache and l1/otter: about a millisecond).
//
// It has no error result, and returns the value and its freshness apart
// rather than as a core.Entry: it runs on every in-process hit, and so its
// results fit in registers. A read that cannot answer (a closed backend,
// an entry that does not parse) reports found false, and the caller then
// reads through Get, which reports the error. The value returned is the
// caller's, as Get's is.
//
// Contract, checked by the conformance module when a backend implements
// it: GetLocalMarked answers what GetLocal would, and its mark is the one
// stored by the SetCopyMarked that wrote the entry, or 0 when any other
// write (Set, SetCopy, Expire, a batch write) wrote it last. A composition
// answers marks only for copies it checked itself (compose.WithGuard), and
// never a mark for bytes it read from a tier that is not in memory.
type MarkedLocalGetter interface {
	// GetLocalMarked returns key's value, its freshness and its mark if
	// the backend holds it in process; found is false otherwise.
	GetLocalMarked(ctx context.Context, key string) (value []byte, fresh core.Freshness, mark core.GuardMark, found bool)
}

// MarkedCopySetter is an optional core.Backend capability of in-process
// tiers that hold a composition's copies: CopySetter's SetCopy that also
// stores mark with the copy, for MarkedLocalGetter to return. The caller
// vouches for the mark: it made it with the Check of the codec that reads
// the copy, over exactly these bytes. The backend must keep its own copy of
// value (as Set does), so that the bytes a mark describes cannot change.
//
// Contract, checked by the conformance module when a backend implements
// it: SetCopyMarked(ctx, key, value, keep, fresh, mark) is SetCopy(ctx,
// key, value, keep, fresh) that also records mark; any later write of key
// other than SetCopyMarked drops it.
type MarkedCopySetter interface {
	// SetCopyMarked stores value under key as SetCopy does, with mark.
	SetCopyMarked(ctx context.Context, key string, value []byte, keep time.Duration, fresh core.Freshness, mark core.GuardMark) error
}
