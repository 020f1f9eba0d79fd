package compose

import (
	"bytes"
	"context"
	"sync/atomic"
	"time"

	"github.com/cachekit-io/cachekit-go/compose/offload"
	"github.com/cachekit-io/cachekit-go/core"
)

// Set implements core.Backend with the composition's write policy.
func (b *Backend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl < 0 {
		return &core.Error{Kind: core.KindInvalidInput, Op: "compose.set", Key: key, Msg: "negative ttl"}
	}
	if err := ctx.Err(); err != nil {
		return done(err, "compose.set")
	}
	switch b.write {
	case WriteOptimisticParallel:
		return b.setParallel(ctx, key, value, ttl)
	case WriteRace:
		return b.setRace(ctx, key, value, ttl)
	}
	word := b.gens.begin(key)
	defer b.gens.end(key)
	t := b.obsStart()
	err := b.lower.Set(b.lowerCtx(ctx, false), key, value, ttl)
	b.observe(ctx, lowerTier, core.OpSet, core.ResultOK, err, len(value), t)
	if err != nil {
		b.st[lowerTier].errors.Add(1)
		b.invalidateUpper(ctx, key)
		return core.Wrap(err, core.KindUnknown, "compose.set")
	}
	if b.writeAround() {
		if err := b.dropUpper(key); err != nil {
			return core.Wrap(err, core.KindUnknown, "compose.set")
		}
		return nil
	}
	t = b.obsStart()
	err = b.upper.Set(ctx, key, value, ttl)
	b.observe(ctx, upperTier, core.OpSet, core.ResultOK, err, len(value), t)
	if err != nil {
		b.st[upperTier].errors.Add(1)
		if !b.invalidateUpper(ctx, key) {
			return core.Wrap(err, core.KindUnknown, "compose.set")
		}
		return nil
	}
	b.recheck(ctx, key, word)
	return nil
}

// writeAround reports whether a write should leave the upper tier without
// a copy: while the composition follows its lower tier's invalidations, the
// lower tier reports this process's own writes back like any other, and
// the report deletes the upper copy a moment after it was made. Writing it
// would cost an upper-tier write, a recheck and a delete for a copy that
// serves, at best, the reads of that moment; the next read refills it.
func (b *Backend) writeAround() bool {
	return b.inv != nil && b.inv.live.Load()
}

// dropUpper deletes key's upper-tier copy after a write around it. The
// upper tier is in memory (a condition of following invalidations), so the
// delete neither does I/O nor needs the caller's context, which may be done
// by now: the copy must go whatever the caller does next.
func (b *Backend) dropUpper(key string) error {
	if err := b.upper.Delete(context.Background(), key); err != nil {
		b.st[upperTier].errors.Add(1)
		return err
	}
	return nil
}

// recheck deletes the upper-tier copy that a write whose begin returned word
// has just made if another write of a key of its stripe overlapped it (or an
// invalidation arrived, which counts as one). Overlapping writes may reach
// the lower tier in one order and the upper tier in the other: without the
// delete, the upper tier could keep a value (or a lifetime) the lower tier
// no longer has, for the whole TTL. Every write of an overlapping pair
// deletes after its own upper write, so the last thing either does to the
// upper tier is a delete, and the next read refills it from the lower tier.
// Writes of different keys that share a stripe only cost each other a copy.
func (b *Backend) recheck(ctx context.Context, key string, word uint64) {
	if b.gens.overlapped(key, word) {
		b.invalidateUpper(ctx, key)
	}
}

// invalidateUpper deletes key from the upper tier after a failed write, so
// that the upper tier cannot serve a value the lower tier may no longer
// hold. It runs even if ctx is canceled, bounded by the offloader's timeout,
// and reports whether it succeeded.
func (b *Backend) invalidateUpper(ctx context.Context, key string) bool {
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.off.Timeout())
	defer cancel()
	if err := b.upper.Delete(ictx, key); err != nil {
		b.st[upperTier].errors.Add(1)
		return false
	}
	return true
}

// Delete implements core.Backend: it invalidates the upper tier first, then
// the lower one, and tries both even if the first fails. Any failure fails
// the Delete (an upper tier that could not forget the key may still serve
// it); when both fail the error carries both.
func (b *Backend) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return done(err, "compose.delete")
	}
	b.gens.begin(key)
	defer b.gens.end(key)
	t := b.obsStart()
	uerr := b.upper.Delete(ctx, key)
	b.observe(ctx, upperTier, core.OpDelete, core.ResultOK, uerr, 0, t)
	if uerr != nil {
		b.st[upperTier].errors.Add(1)
	}
	t = b.obsStart()
	lerr := b.lower.Delete(b.lowerCtx(ctx, false), key)
	b.observe(ctx, lowerTier, core.OpDelete, core.ResultOK, lerr, 0, t)
	if lerr != nil {
		b.st[lowerTier].errors.Add(1)
	}
	return bothErr("compose.delete", key, uerr, lerr)
}

// writeResult is one tier's answer to a concurrent write.
type writeResult struct {
	tier int
	err  error
}

// pairWrite is one Set running on both tiers; the write generation of key
// ends when both tiers are done, which may be after Set has returned.
type pairWrite struct {
	b       *Backend
	key     string
	value   []byte // a copy: the background side may outlive the call
	ttl     time.Duration
	word    uint64 // the key's generation word as this write began
	pending atomic.Int32
	out     chan writeResult // room for both results
}

func (b *Backend) newPairWrite(key string, value []byte, ttl time.Duration) *pairWrite {
	w := &pairWrite{b: b, key: key, value: bytes.Clone(value), ttl: ttl, out: make(chan writeResult, 2)}
	w.word = b.gens.begin(key)
	if w.value == nil {
		w.value = []byte{}
	}
	w.pending.Store(2)
	return w
}

// run writes one tier and reports the outcome.
func (w *pairWrite) run(ctx context.Context, tier int) {
	t, tctx := w.b.upper, ctx
	if tier == lowerTier {
		t, tctx = w.b.lower, w.b.lowerCtx(ctx, false)
	}
	start := w.b.obsStart()
	err := t.Set(tctx, w.key, w.value, w.ttl)
	w.b.observe(ctx, tier, core.OpSet, core.ResultOK, err, len(w.value), start)
	if err != nil {
		w.b.st[tier].errors.Add(1)
	}
	if tier == upperTier && w.b.gens.overlapped(w.key, w.word) {
		// Another write of the key overlapped this one: the two may have
		// reached the tiers in different orders. Drop the upper copy rather
		// than let it shadow a newer value (or outlive a delete).
		if derr := t.Delete(ctx, w.key); derr != nil {
			w.b.st[tier].errors.Add(1)
		}
	}
	if w.pending.Add(-1) == 0 {
		w.b.gens.end(w.key)
	}
	w.out <- writeResult{tier: tier, err: err}
}

func (w *pairWrite) task(tier int) func(context.Context) {
	return func(ctx context.Context) { w.run(ctx, tier) }
}

// setParallel writes both tiers at once — the lower one on the offloader,
// the upper one on the caller's goroutine (in turn when the offloader cannot
// take it) — and succeeds if either write does.
func (b *Backend) setParallel(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	w := b.newPairWrite(key, value, ttl)
	lowerTask := w.task(lowerTier)
	inline := b.off.Submit(ctx, "", lowerTask) != offload.Accepted
	w.run(ctx, upperTier)
	if inline {
		lowerTask(ctx)
	}
	var errs [2]error
	for n := 0; n < 2; n++ {
		select {
		case r := <-w.out:
			errs[r.tier] = r.err
		case <-ctx.Done():
			// The lower write goes on in the background; the upper one is done.
			if errs[upperTier] == nil {
				return nil
			}
			return core.Wrap(ctx.Err(), core.KindCanceled, "compose.set")
		}
	}
	if errs[upperTier] == nil || errs[lowerTier] == nil {
		return nil
	}
	return bothErr("compose.set", key, errs[upperTier], errs[lowerTier])
}

// setRace writes both tiers at once on the offloader and returns as soon as
// one succeeds; the other write finishes in the background. A side the
// offloader cannot take is written on the caller's goroutine.
func (b *Backend) setRace(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	w := b.newPairWrite(key, value, ttl)
	var inline [2]bool
	for _, tier := range [2]int{lowerTier, upperTier} {
		inline[tier] = b.off.Submit(ctx, "", w.task(tier)) != offload.Accepted
	}
	for _, tier := range [2]int{lowerTier, upperTier} {
		if inline[tier] {
			w.run(ctx, tier)
		}
	}
	var errs [2]error
	for n := 0; n < 2; n++ {
		select {
		case r := <-w.out:
			if r.err == nil {
				return nil
			}
			errs[r.tier] = r.err
		case <-ctx.Done():
			return core.Wrap(ctx.Err(), core.KindCanceled, "compose.set")
		}
	}
	return bothErr("compose.set", key, errs[upperTier], errs[lowerTier])
}
