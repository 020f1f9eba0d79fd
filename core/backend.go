package core

import (
	"context"
	"time"
)

// Backend is the port every storage adapter implements: raw bytes under a
// storage key, with a time to live.
//
// The interface is deliberately small (in the spirit of database/sql/driver):
// richer behaviour is offered through optional capability interfaces, which
// the client and compose discover by type assertion. The capabilities
// behind what users do live in this package (ValueGetter, TTLInspector,
// TTLRefresher, Locker, BatchGetter, BatchSetter, BatchDeleter, StatsReporter, and
// io.Closer); the plumbing between the tiers of a stack (LocalGetter,
// InMemory, CopySetter, Clearer, Invalidator) lives in package core/tier.
//
// Contract, checked by the conformance module:
//   - Keys arrive already validated and namespaced by the client; a backend may
//     reject keys it cannot store with an *Error of KindInvalidInput.
//   - Set must not retain value after it returns. Get returns a Value the caller
//     owns: the backend must not read, modify or retain it afterwards (work
//     a read starts in the background, such as a backfill, keeps its own
//     copy). The client may overwrite it, e.g. to decrypt in place.
//   - A missing or expired key is not an error: Get returns found == false.
//   - ttl > 0 is the entry's lifetime; ttl == NoExpiry (0) stores it without
//     expiry. Negative TTLs are rejected with KindInvalidInput.
//   - Errors are *Error values (or wrap one) carrying a Kind, so the client can
//     decide on retries and fail-open by kind alone. Adapters classify.
//   - All methods are safe for concurrent use and honour ctx cancellation.
type Backend interface {
	// Get returns the value stored under key. found is false when the key is
	// absent or expired; that is not an error.
	Get(ctx context.Context, key string) (entry Entry, found bool, err error)
	// Set stores value under key for ttl (NoExpiry: no expiry), replacing any
	// previous value.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Delete removes key. Deleting a missing key succeeds.
	Delete(ctx context.Context, key string) error
	// Exists reports whether key holds a live (not expired) value.
	Exists(ctx context.Context, key string) (bool, error)
	// Health checks that the backend can serve requests.
	Health(ctx context.Context) error
}

// NoExpiry, passed as a TTL to Backend.Set, stores an entry without expiry.
// The client only ever passes it when the caller opted in with NeverExpire.
const NoExpiry time.Duration = 0

// Entry is what a backend returns for a hit: the stored bytes and what the
// backend knows about their remaining freshness.
type Entry struct {
	// Value is the stored bytes, owned by the caller.
	Value []byte
	// Freshness is what the backend knows about how long Value stays fresh.
	Freshness Freshness
}

// Freshness describes the remaining lifetime of a stored value as reported by
// the tier that holds it. Tiers use it to bound backfill: an upper-tier copy
// never outlives what the lower tier promised.
type Freshness struct {
	// Known is true when the backend reported a remaining lifetime (or
	// NoExpiry); when false, FreshFor is meaningless and the reader should
	// fall back to its own TTL.
	Known bool
	// NoExpiry is true when the backend reported the entry never expires.
	NoExpiry bool
	// FreshFor is the remaining fresh lifetime when Known and !NoExpiry.
	FreshFor time.Duration
	// Stale is true when the backend served the value past its fresh window
	// (inside a server-side stale-while-revalidate window). Stale values are
	// never backfilled into upper tiers.
	Stale bool
}

// UnknownFreshness is the zero Freshness: the backend knows nothing.
var UnknownFreshness = Freshness{}

// FreshFor returns a Freshness that reports d of remaining fresh lifetime.
func FreshFor(d time.Duration) Freshness {
	if d < 0 {
		d = 0
	}
	return Freshness{Known: true, FreshFor: d}
}

// ForeverFresh returns a Freshness that reports an entry without expiry.
func ForeverFresh() Freshness { return Freshness{Known: true, NoExpiry: true} }

// Bound returns the TTL an upper-tier copy of this value may have, given the
// caller's wanted TTL (wanted > 0). It returns ok == false when no copy may be
// made at all: the value is stale, or the backend reported no remaining
// freshness.
func (f Freshness) Bound(wanted time.Duration) (ttl time.Duration, ok bool) {
	if f.Stale {
		return 0, false
	}
	if !f.Known || f.NoExpiry {
		return wanted, wanted > 0
	}
	if f.FreshFor <= 0 {
		return 0, false
	}
	return min(wanted, f.FreshFor), wanted > 0
}

// ValueGetter is an optional Backend capability: a read of the value alone,
// for callers that have no use for its freshness. A backend implements it
// when reporting freshness costs it extra work on every read — Redis needs a
// PTTL next to each GET — so that a client which would throw the freshness
// away does not pay for it. The client calls GetValue instead of Get when
// nothing it does with the hit looks at the freshness: a Get without an
// object cache, a GetOrLoad without stale-while-revalidate or object cache.
// Tiers that bound copies by freshness (compose) do not implement it.
//
// Contract, checked by the conformance module: GetValue answers exactly
// what Get would (the same value, found and error kinds, the same expiry and
// context rules) and returns a slice the caller owns.
type ValueGetter interface {
	// GetValue returns the value stored under key; found is false when the
	// key is absent or expired, which is not an error.
	GetValue(ctx context.Context, key string) (value []byte, found bool, err error)
}

// localGetter is tier.LocalGetter, declared here with the same method set
// because core does not import core/tier (tier imports core): GetOrLoad
// asks a backend that has it for a fresh in-process hit before any flight.
type localGetter interface {
	GetLocal(ctx context.Context, key string) (e Entry, found bool, err error)
}

// TTLInspector is an optional Backend capability: reading an entry's remaining
// lifetime without reading its value.
type TTLInspector interface {
	// TTL returns the remaining lifetime of key. found is false for a missing
	// key; ttl == NoExpiry with found == true means the key never expires.
	TTL(ctx context.Context, key string) (ttl time.Duration, found bool, err error)
}

// TTLRefresher is an optional Backend capability: changing an entry's lifetime
// in place.
type TTLRefresher interface {
	// Expire sets the remaining lifetime of key to ttl (> 0). It returns false
	// when the key does not exist.
	Expire(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// Locker is an optional Backend capability: a distributed, leased lock per key.
//
// A wrapper that implements an optional capability only by delegating (a
// composition delegates Lock, TTL and Expire to its lower tier) fails with
// an *Error of KindNotSupported when the backend it wraps lacks it; callers
// that probe capabilities by type assertion should treat that kind as "not
// available", as the conformance suite does.
type Locker interface {
	// Lock tries once to take the lock for key, held for at most lease. It
	// returns acquired == false (and no error) when somebody else holds it.
	// The token identifies the holder and must be passed to Unlock.
	Lock(ctx context.Context, key string, lease time.Duration) (token string, acquired bool, err error)
	// Unlock releases the lock if, and only if, token still holds it. It
	// returns false when the lock was not held by token (expired or taken).
	Unlock(ctx context.Context, key, token string) (bool, error)
}

// ConditionalSetter is an optional Backend capability: a write that never
// replaces a live value. The client writes back a value it loaded after a
// miss (GetOrLoad, Cached) with it, so that a load that began before
// another process's Set cannot land over that Set: the other process's
// value stays, and this client's load is counted in Stats.WritesDropped.
// backend/redis implements it with SET NX. With a backend that lacks it,
// the write-back is a plain Set, and a load can overwrite a write another
// process made while it ran, until the value's TTL ends or the key is
// written again; refreshes of stale values and replacements of unreadable
// ones are plain Sets on every backend. A wrapper that implements it by
// delegating returns KindNotSupported when what it wraps lacks it; the
// client then falls back to Set.
type ConditionalSetter interface {
	// SetIfAbsent stores value under key for ttl (NoExpiry: no expiry)
	// only if key holds no live value; stored reports whether it did.
	SetIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (stored bool, err error)
}

// BatchGetter is an optional Backend capability: reading many keys in one
// round trip.
type BatchGetter interface {
	// GetMany returns one result per key, in order.
	GetMany(ctx context.Context, keys []string) ([]BatchResult, error)
}

// BatchResult is one key's outcome in BatchGetter.GetMany.
type BatchResult struct {
	Entry Entry
	Found bool
}

// BatchSetter is an optional Backend capability: writing many keys in one
// round trip.
type BatchSetter interface {
	// SetMany stores every item; it is not atomic across items.
	SetMany(ctx context.Context, items []BatchItem) error
}

// BatchItem is one key to write in BatchSetter.SetMany.
type BatchItem struct {
	Key   string
	Value []byte
	TTL   time.Duration
}

// BatchDeleter is an optional Backend capability: deleting many keys in one
// round trip. Client.DeleteMany uses it when the backend has it, and calls
// Delete once per key when it does not.
type BatchDeleter interface {
	// DeleteMany removes every key; deleting a missing key succeeds. It is
	// not atomic across keys: on error some keys may have been deleted.
	DeleteMany(ctx context.Context, keys []string) error
}

// StatsReporter is an optional Backend capability: per-tier counters.
// Compositions report one TierStats per tier, with dotted names
// ("compose.bigcache", "compose.redis").
type StatsReporter interface {
	Stats() []TierStats
}

// TierStats are the counters of one tier. Counters a tier cannot know are 0.
type TierStats struct {
	// Name names the tier ("bigcache", "redis"; "compose.bigcache" inside a
	// composition).
	Name string
	// Hits and Misses count reads of the tier.
	Hits, Misses uint64
	// StaleHits counts hits on values past their fresh window.
	StaleHits uint64
	// Backfills counts copies written into this tier from a lower tier's
	// hits; BackfillsDropped counts copies that were due but were not made
	// because the bounded backfill queue was full or closed.
	Backfills, BackfillsDropped uint64
	// Errors counts failed operations of the tier.
	Errors uint64
	// Evictions counts entries the tier evicted to make room.
	Evictions uint64
	// Entries and SizeBytes are the tier's current size, where it knows it.
	Entries, SizeBytes int64
	// Collisions counts hash collisions (bigcache).
	Collisions uint64
}
