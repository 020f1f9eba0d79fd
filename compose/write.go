package compose

import (
	"bytes"
	"context"
	"sync/atomic"
	"time"

	"github.com/cachekit-io/cachekit-go/compose/offload"
	"github.com/cachekit-io/cachekit-go/core"
)

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
	t := w.b.upper
	if tier == lowerTier {
		t = w.b.lower
	}
	err := t.Set(ctx, w.key, w.value, w.ttl)
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
