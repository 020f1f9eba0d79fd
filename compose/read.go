package compose

import (
	"bytes"
	"context"
	"time"

	"github.com/cachekit-io/cachekit-go/compose/offload"
	"github.com/cachekit-io/cachekit-go/core"
)

// Get implements core.Backend with the composition's read policy. A hit's
// Freshness is the one reported by the tier that served it. Errors of the
// upper tier are counted and fall through to the lower tier; the lower
// tier's errors are returned.
func (b *Backend) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	switch b.read {
	case ReadRace:
		return b.getRace(ctx, key)
	case ReadParallelFreshest:
		return b.getParallel(ctx, key)
	}
	// The hit path: one call to the upper tier, one atomic add.
	t := b.obsStart()
	e, found, err := b.upper.Get(ctx, key)
	b.observeRead(ctx, upperTier, e, found, err, t)
	if err == nil && found && !e.Freshness.Stale {
		b.st[upperTier].hits.Add(1)
		return e, true, nil
	}
	return b.getFromLower(ctx, key, e, found, err)
}

// getFromLower is the sequential read after the upper tier missed, failed or
// returned a stale value (ue, ufound, uerr).
func (b *Backend) getFromLower(ctx context.Context, key string, ue core.Entry, ufound bool, uerr error) (core.Entry, bool, error) {
	b.count(upperTier, ue, ufound, uerr)
	r := pairRead{up: readResult{tier: upperTier, e: ue, found: ufound, err: uerr}}
	r.word, r.snapOK = b.gens.snapshot(key) // before the lower read: see generations
	r.low.tier, r.low.at = lowerTier, time.Now()
	t := b.obsStart()
	r.low.e, r.low.found, r.low.err = b.lower.Get(b.lowerCtx(ctx, r.up.hit()), key)
	b.observeRead(ctx, lowerTier, r.low.e, r.low.found, r.low.err, t)
	b.count(lowerTier, r.low.e, r.low.found, r.low.err)
	return b.settle(ctx, key, &r)
}

// pairRead is what a read of both tiers found, for settle.
type pairRead struct {
	up, low readResult // each tier's answer; low.at is when the lower read began
	word    uint64     // the key's generation word, taken before the lower read
	snapOK  bool       // word is usable: a fresh lower hit may be backfilled
}

// settle decides a read from both tiers' outcomes when the upper tier had no
// fresh hit: a lower-tier hit wins (and is backfilled when fresh and
// r.snapOK); a stale upper hit is served only when the lower tier failed;
// otherwise the lower tier's miss or error stands.
func (b *Backend) settle(ctx context.Context, key string, r *pairRead) (core.Entry, bool, error) {
	switch {
	case r.low.hit():
		if r.snapOK {
			b.backfill(ctx, key, r.low.e, r.word, r.low.at)
		}
		return r.low.e, true, nil
	case r.low.err != nil && r.up.hit():
		return r.up.e, true, nil
	case r.low.err != nil:
		return core.Entry{}, false, core.Wrap(r.low.err, core.KindUnknown, "compose.get")
	}
	return core.Entry{}, false, nil
}

// count records one tier's read outcome.
func (b *Backend) count(tier int, e core.Entry, found bool, err error) {
	c := &b.st[tier]
	switch {
	case err != nil:
		c.errors.Add(1)
	case !found:
		c.misses.Add(1)
	case e.Freshness.Stale:
		c.staleHits.Add(1)
	default:
		c.hits.Add(1)
	}
}

// Exists implements core.Backend: true if the upper tier has key, otherwise
// the lower tier's answer. An upper-tier error falls through; a lower-tier
// error is returned. Exists reads sequentially whatever the read policy.
func (b *Backend) Exists(ctx context.Context, key string) (bool, error) {
	ok, err := b.upper.Exists(ctx, key)
	if err == nil && ok {
		return true, nil
	}
	if err != nil {
		b.st[upperTier].errors.Add(1)
	}
	ok, err = b.lower.Exists(b.lowerCtx(ctx, false), key)
	if err != nil {
		b.st[lowerTier].errors.Add(1)
		return false, core.Wrap(err, core.KindUnknown, "compose.exists")
	}
	return ok, nil
}

// readResult is one tier's answer to a concurrent read.
type readResult struct {
	tier  int
	e     core.Entry
	found bool
	err   error
	// at is when the tier's Get started. A backfill ages the hit's
	// freshness from there: not from before the task waited for a worker,
	// which would understate it by the wait.
	at time.Time
}

func (r readResult) hit() bool      { return r.err == nil && r.found }
func (r readResult) freshHit() bool { return r.hit() && !r.e.Freshness.Stale }

// readTask returns a task that reads key from tier, counts the outcome and
// sends it on out (which has room for every sender).
func (b *Backend) readTask(tier int, key string, out chan<- readResult) func(context.Context) {
	t := b.upper
	if tier == lowerTier {
		t = b.lower
	}
	return func(ctx context.Context) {
		at := time.Now()
		if tier == lowerTier {
			ctx = b.lowerCtx(ctx, false)
		}
		e, found, err := t.Get(ctx, key)
		b.count(tier, e, found, err)
		out <- readResult{tier: tier, e: e, found: found, err: err, at: at}
	}
}

// canceled turns the end of the caller's context into the composition's
// error.
func canceled(ctx context.Context) error {
	return done(ctx.Err(), "compose.get")
}

// getRace reads both tiers at once and returns the first fresh hit. Both
// reads run on the offloader; when it cannot take them the read is
// sequential instead. The losing read finishes in the background.
func (b *Backend) getRace(ctx context.Context, key string) (core.Entry, bool, error) {
	if ctx.Err() != nil { // the reads run detached: they would not notice
		return core.Entry{}, false, canceled(ctx)
	}
	word, snapOK := b.gens.snapshot(key)
	out := make(chan readResult, 2)
	if b.off.Submit(ctx, "", b.readTask(lowerTier, key, out)) != offload.Accepted {
		e, found, err := b.upper.Get(ctx, key)
		if err == nil && found && !e.Freshness.Stale {
			b.st[upperTier].hits.Add(1)
			return e, true, nil
		}
		return b.getFromLower(ctx, key, e, found, err)
	}
	if b.off.Submit(ctx, "", b.readTask(upperTier, key, out)) != offload.Accepted {
		b.readTask(upperTier, key, out)(ctx) // inline; the lower read runs meanwhile
	}
	var up, low readResult
	for n := 0; n < 2; n++ {
		select {
		case r := <-out:
			if r.freshHit() {
				if r.tier == lowerTier && snapOK {
					b.backfill(ctx, key, r.e, word, r.at)
				}
				return r.e, true, nil
			}
			if r.tier == upperTier {
				up = r
			} else {
				low = r
			}
		case <-ctx.Done():
			return core.Entry{}, false, canceled(ctx)
		}
	}
	// Neither tier had a fresh hit; a stale lower hit is never backfilled.
	return b.settle(ctx, key, &pairRead{up: up, low: low, word: word})
}

// getParallel reads both tiers at once — the lower one on the offloader, the
// upper one on the caller's goroutine — waits for both and returns the hit
// with the longest remaining freshness, the lower tier's on a tie. When the
// offloader cannot take the lower read, both reads run in turn.
func (b *Backend) getParallel(ctx context.Context, key string) (core.Entry, bool, error) {
	if ctx.Err() != nil { // the lower read runs detached: it would not notice
		return core.Entry{}, false, canceled(ctx)
	}
	word, snapOK := b.gens.snapshot(key)
	out := make(chan readResult, 1)
	task := b.readTask(lowerTier, key, out)
	inline := b.off.Submit(ctx, "", task) != offload.Accepted

	ue, ufound, uerr := b.upper.Get(ctx, key)
	b.count(upperTier, ue, ufound, uerr)
	up := readResult{tier: upperTier, e: ue, found: ufound, err: uerr}

	if inline {
		task(ctx)
	}
	var low readResult
	select {
	case low = <-out:
	case <-ctx.Done():
		return core.Entry{}, false, canceled(ctx)
	}

	switch {
	case low.hit() && up.hit():
		c := compareFreshness(low.e.Freshness, up.e.Freshness)
		if c < 0 {
			return up.e, true, nil
		}
		if c > 0 && snapOK { // refresh the upper copy only when the lower one is fresher
			b.backfill(ctx, key, low.e, word, low.at)
		}
		return low.e, true, nil
	case low.hit():
		if snapOK {
			b.backfill(ctx, key, low.e, word, low.at)
		}
		return low.e, true, nil
	case up.freshHit():
		return up.e, true, nil
	}
	return b.settle(ctx, key, &pairRead{up: up, low: low, word: word})
}

// freshnessRank orders kinds of freshness: stale, then none left, then
// unknown, then a known remaining lifetime, then no expiry.
func freshnessRank(f core.Freshness) int {
	switch {
	case f.Stale:
		return 0
	case !f.Known:
		return 2
	case f.NoExpiry:
		return 4
	case f.FreshFor <= 0:
		return 1
	}
	return 3
}

// compareFreshness returns +1 if a promises a longer remaining freshness than
// b, -1 if shorter, 0 if the same.
func compareFreshness(a, b core.Freshness) int {
	ra, rb := freshnessRank(a), freshnessRank(b)
	switch {
	case ra != rb:
		if ra > rb {
			return 1
		}
		return -1
	case ra == 3 && a.FreshFor != b.FreshFor:
		if a.FreshFor > b.FreshFor {
			return 1
		}
		return -1
	}
	return 0
}

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
	switch {
	case b.marker != nil:
		// The guard runs here, over the bytes the tier copies: a hit on
		// the copy may then skip it (see WithGuard).
		err = b.marker.SetCopyMarked(ctx, key, value, ttl, f, b.guard.Check(value))
	case b.copier != nil:
		err = b.copier.SetCopy(ctx, key, value, ttl, f)
	default:
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
