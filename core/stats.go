package core

import "sync/atomic"

type counters struct {
	hits, misses, errors, sets, deletes, retries            atomic.Uint64
	loads, loadErrors, staleServed, degraded, fillWaits     atomic.Uint64
	refreshes, refreshErrors, refreshSkipped, writesDropped atomic.Uint64
	expires, locks, locksBusy                               atomic.Uint64
	breakerOpens, breakerRejects, shed, selfHealed          atomic.Uint64
}

// Stats are a client's counters, shared by all its namespace views, and the
// per-tier counters of its backend when the backend reports them.
type Stats struct {
	// Hits and Misses count backend reads (Get, GetOrLoad and, per key,
	// GetMany).
	Hits, Misses uint64
	// ObjectHits counts reads answered by the object cache
	// (WithObjectCache), which reach neither the backend nor Hits.
	ObjectHits uint64
	// Errors counts failed operations (backend, decode, decryption).
	Errors uint64
	// Sets and Deletes count successful writes and deletes (SetMany and
	// DeleteMany count one per key).
	Sets, Deletes uint64
	// Expires counts Expire calls that changed a key's lifetime.
	Expires uint64
	// Locks counts locks taken by Lock; LocksBusy the Lock calls that found
	// the lock held by somebody else.
	Locks, LocksBusy uint64
	// Retries counts retried backend attempts.
	Retries uint64
	// Loads counts loader calls made by GetOrLoad/Cached (after
	// single-flight: one per key however many callers waited); LoadErrors
	// counts the failed ones.
	Loads, LoadErrors uint64
	// FillWaits counts GetOrLoad/Cached misses answered by the value
	// another process loaded while this one waited on the distributed fill
	// lock (WithFillLock): loads the fleet did not repeat. The waiter's
	// polls of the backend count in neither Hits nor Misses; its first
	// read counted one miss.
	FillWaits uint64
	// StaleServed counts stale values returned at once by
	// stale-while-revalidate.
	StaleServed uint64
	// Degraded counts GetOrLoad reads that failed with a retryable kind or
	// an open circuit and were answered by the loader instead, and Get
	// calls answered "not found" by Reliability.GetFailOpen.
	Degraded uint64
	// Refreshes counts background refreshes started; RefreshErrors the ones
	// that failed (absorbed, logged); RefreshSkipped those not started
	// because the refresh bound was reached or the client was closed.
	Refreshes, RefreshErrors, RefreshSkipped uint64
	// WritesDropped counts loaded values not written back because a Set or
	// Delete of the key by this client happened while they loaded, or
	// because a conditional write-back (ConditionalSetter) found the key
	// written meanwhile.
	WritesDropped uint64
	// Breaker is the state of the client's circuit breaker (BreakerOff
	// without the reliability stack). BreakerOpens counts its openings;
	// BreakerRejected the calls it failed with KindCircuitOpen without
	// calling the backend.
	Breaker                       BreakerState
	BreakerOpens, BreakerRejected uint64
	// Shed counts calls failed with KindBackpressure by the stack's bound
	// on concurrent backend calls.
	Shed uint64
	// SelfHealed counts stored values GetOrLoad or Cached could not
	// decode, decrypt or authenticate, treated as a miss and replaced by
	// the loader's value.
	SelfHealed uint64
	// Tiers are the backend's own counters, if it is a StatsReporter.
	Tiers []TierStats
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() Stats {
	k := &c.sh.counters
	s := Stats{
		Hits: k.hits.Load(), Misses: k.misses.Load(), Errors: k.errors.Load(),
		Sets: k.sets.Load(), Deletes: k.deletes.Load(), Retries: k.retries.Load(),
		Loads: k.loads.Load(), LoadErrors: k.loadErrors.Load(), FillWaits: k.fillWaits.Load(),
		StaleServed: k.staleServed.Load(), Degraded: k.degraded.Load(),
		Refreshes: k.refreshes.Load(), RefreshErrors: k.refreshErrors.Load(),
		RefreshSkipped: k.refreshSkipped.Load(), WritesDropped: k.writesDropped.Load(),
		Expires: k.expires.Load(), Locks: k.locks.Load(), LocksBusy: k.locksBusy.Load(),
		BreakerOpens: k.breakerOpens.Load(), BreakerRejected: k.breakerRejects.Load(),
		Shed: k.shed.Load(), SelfHealed: k.selfHealed.Load(),
	}
	if c.sh.st != nil {
		s.Breaker = BreakerState(c.sh.st.brk.state.Load())
	}
	if c.sh.objects != nil {
		s.ObjectHits = c.sh.objects.hitCount()
	}
	if r, ok := c.backend.(StatsReporter); ok {
		s.Tiers = r.Stats()
	}
	return s
}
