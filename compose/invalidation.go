package compose

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
)

// invalidation is the state of a composition that follows its lower tier's
// invalidations (tier.Invalidator): it implements tier.InvalidationWatcher,
// deleting upper-tier copies as the lower tier reports changes.
//
// Copies and invalidations are ordered by the composition's generations,
// the same way as copies and writes: an invalidation of a key is a "write"
// (begin, delete the upper copy, end), so a backfill whose lower-tier read
// started before it is abandoned, or deleted again if it landed meanwhile.
// A Reset advances every stripe and clears the upper tier, so no copy made
// from a read that overlapped a loss of invalidations survives it.
type invalidation struct {
	b        *Backend
	clear    tier.Clearer
	stop     func()
	halted   atomic.Bool
	haltOnce sync.Once
	live     atomic.Bool
	keys     atomic.Uint64
	resets   atomic.Uint64
	waiters  changeWaiters // WaitChange
}

// InvalidationStats describe a composition's use of its lower tier's
// invalidations.
type InvalidationStats struct {
	// Watching is true when the composition follows its lower tier's
	// invalidations (see WithInvalidation).
	Watching bool
	// Live is true while invalidations flow: Set and SetMany then write
	// around the upper tier (see WriteSequential).
	Live bool
	// Keys counts invalidated keys; Resets counts the times every upper-tier
	// copy was dropped (a lost connection, a flush, the start).
	Keys, Resets uint64
}

// Invalidations returns a snapshot of the composition's invalidation state
// (this pair only).
func (b *Backend) Invalidations() InvalidationStats {
	v := b.inv
	if v == nil {
		return InvalidationStats{}
	}
	return InvalidationStats{Watching: !v.halted.Load(), Live: v.live.Load(), Keys: v.keys.Load(), Resets: v.resets.Load()}
}

// watchInvalidations starts following the lower tier's invalidations when
// the configuration allows it: WithInvalidation not turned off, an
// in-memory upper tier that can be cleared, and a lower tier that reports
// invalidations. A lower tier that cannot (core.KindNotSupported, or any
// error) leaves the composition as it was.
func (b *Backend) watchInvalidations(on bool) {
	if !on || !inMemory(b.upper) {
		return
	}
	cl, ok := b.upper.(tier.Clearer)
	if !ok {
		return
	}
	src, ok := b.lower.(tier.Invalidator)
	if !ok {
		return
	}
	v := &invalidation{b: b, clear: cl}
	stop, err := src.WatchInvalidations(v)
	if err != nil {
		return
	}
	v.stop = stop
	b.inv = v
}

// halt stops the watch for good; its last Reset(false) drops the copies.
func (v *invalidation) halt() {
	v.haltOnce.Do(func() {
		v.halted.Store(true)
		v.stop()
		v.live.Store(false)
	})
}

// Invalidated implements tier.InvalidationWatcher: it deletes the upper-tier
// copies of keys.
func (v *invalidation) Invalidated(keys []string) {
	ctx := context.Background()
	for _, k := range keys {
		v.b.gens.begin(k)
		if err := v.b.upper.Delete(ctx, k); err != nil {
			v.b.st[upperTier].errors.Add(1)
		}
		v.b.gens.end(k)
	}
	v.keys.Add(uint64(len(keys)))
	v.b.observeInvalidation(len(keys), false)
	v.waiters.wake(keys)
}

// Reset implements tier.InvalidationWatcher: it drops every upper-tier copy
// and takes the composition out of (or into) its live state. If the upper
// tier cannot be cleared, the composition stays out of it: its copies are
// then bounded by freshness again, as without invalidations.
func (v *invalidation) Reset(live bool) {
	v.live.Store(false)
	defer v.waiters.wakeAll()
	v.b.gens.advanceAll()
	ctx, cancel := context.WithTimeout(context.Background(), v.b.off.Timeout())
	err := v.clear.Clear(ctx)
	cancel()
	v.resets.Add(1)
	v.b.observeInvalidation(0, true)
	if err != nil {
		v.b.st[upperTier].errors.Add(1)
		return
	}
	v.live.Store(live)
}

// WatchInvalidations implements tier.Invalidator by passing the lower
// tier's invalidations on, so that a composition stacked over this one can
// follow them too. It fails with core.KindNotSupported when the lower tier
// reports none.
func (b *Backend) WatchInvalidations(w tier.InvalidationWatcher) (func(), error) {
	src, ok := b.lower.(tier.Invalidator)
	if !ok {
		return nil, &core.Error{Kind: core.KindNotSupported, Op: "compose.watch", Msg: "the lower tier reports no invalidations"}
	}
	return src.WatchInvalidations(w)
}
