package compose

import (
	"bytes"
	"context"
	"time"

	"github.com/cachekit-io/cachekit-go/compose/offload"
	"github.com/cachekit-io/cachekit-go/core"
)

// BackfillStats count what became of the composition's backfills (upper-tier
// copies of lower-tier hits).
type BackfillStats struct {
	// Submitted counts backfills handed to the offloader (inline ones are
	// not submitted: they count as Applied, Raced or Failed at once).
	Submitted uint64
	// Applied counts copies written to the upper tier and kept.
	Applied uint64
	// Dropped counts backfills the offloader refused (full, duplicate key,
	// closed); the caller was never blocked by them.
	Dropped uint64
	// Skipped counts lower-tier hits not copied at all: refill disabled, a
	// stale value, no remaining freshness, a write of the key in flight, or
	// (inline) a reader whose context ended.
	Skipped uint64
	// Raced counts backfills abandoned, or copies removed again, because a
	// write or delete of the key started meanwhile.
	Raced uint64
	// Failed counts backfills whose upper-tier write failed.
	Failed uint64
}

// BackfillStats returns a snapshot of the composition's backfill counters
// (this pair only, not the compositions nested in it).
func (b *Backend) BackfillStats() BackfillStats {
	return BackfillStats{
		Submitted: b.bf.submitted.Load(),
		Applied:   b.bf.applied.Load(),
		Dropped:   b.bf.dropped.Load(),
		Skipped:   b.bf.skipped.Load(),
		Raced:     b.bf.raced.Load(),
		Failed:    b.bf.failed.Load(),
	}
}

// backfill copies a lower-tier hit e of key into the upper tier, if the
// refill policy and the value's freshness allow it: inline into an
// in-memory upper tier (see BackfillMode), in the background otherwise.
// word is the generation snapshot taken before the lower tier was read,
// readAt the time of that read.
func (b *Backend) backfill(ctx context.Context, key string, e core.Entry, word uint64, readAt time.Time) {
	if b.refill == RefillNever {
		b.bf.skipped.Add(1)
		return
	}
	ttl, ok := e.Freshness.Bound(b.cap)
	if !ok {
		b.bf.skipped.Add(1)
		return
	}
	value := e.Value
	if value == nil {
		value = []byte{}
	}
	if b.inline {
		// Set does not retain the value (core.Backend's contract), so the
		// caller's slice is passed as it is.
		if ctx.Err() != nil {
			b.bf.skipped.Add(1)
			return
		}
		if t, f, ok := b.copyTTL(ttl, e.Freshness, readAt); ok {
			b.applyBackfill(ctx, key, value, t, f, word)
		}
		return
	}
	value = bytes.Clone(value) // the caller owns e.Value
	out := b.off.Submit(ctx, b.prefix+key, func(ctx context.Context) {
		if t, f, ok := b.copyTTL(ttl, e.Freshness, readAt); ok {
			b.applyBackfill(ctx, key, value, t, f, word)
		}
	})
	if out != offload.Accepted {
		b.bf.dropped.Add(1)
		return
	}
	b.bf.submitted.Add(1)
}

// copyTTL is the TTL a backfilled copy may still have, and f, the value's
// freshness as the lower tier reported it, aged to now: a value's promise
// runs from the lower tier's read at readAt, not from now. When nothing is
// left it counts a skip and returns false.
func (b *Backend) copyTTL(ttl time.Duration, f core.Freshness, readAt time.Time) (time.Duration, core.Freshness, bool) {
	if f.Known && !f.NoExpiry {
		elapsed := time.Since(readAt)
		if ttl -= elapsed; ttl <= 0 {
			b.bf.skipped.Add(1)
			return 0, f, false
		}
		f.FreshFor -= elapsed
	}
	return ttl, f, true
}

// applyBackfill writes one backfilled copy, kept for ttl, of a value whose
// freshness is now f, unless a write of key started since word was taken;
// if one starts while the copy is written, the copy is deleted again (see
// generations). An upper tier that is a tier.CopySetter stores f with the
// copy and reports it on hits: the copy is often kept for less time than
// its value stays fresh (the backfill cap), and a reader judging the
// value's age by its freshness (stale-while-revalidate) must not take the
// cap's remainder for it.
func (b *Backend) applyBackfill(ctx context.Context, key string, value []byte, ttl time.Duration, f core.Freshness, word uint64) {
	if !b.gens.unchanged(key, word) {
		b.bf.raced.Add(1)
		return
	}
	var err error
	if b.copier != nil {
		err = b.copier.SetCopy(ctx, key, value, ttl, f)
	} else {
		err = b.upper.Set(ctx, key, value, ttl)
	}
	if !b.gens.unchanged(key, word) {
		b.bf.raced.Add(1)
		if derr := b.upper.Delete(ctx, key); derr != nil {
			b.st[upperTier].errors.Add(1)
		}
		return
	}
	if err != nil {
		b.bf.failed.Add(1)
		b.st[upperTier].errors.Add(1)
		return
	}
	b.bf.applied.Add(1)
	b.st[upperTier].backfills.Add(1)
}
