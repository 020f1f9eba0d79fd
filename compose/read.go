package compose

import (
	"context"
	"time"

	"github.com/cachekit-io/cachekit-go/compose/offload"
	"github.com/cachekit-io/cachekit-go/core"
)

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
	return b.settle(ctx, key, up.e, up.hit(), low.e, low.found, low.err, word, false, low.at)
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
	return b.settle(ctx, key, up.e, up.hit(), low.e, low.found, low.err, word, false, low.at)
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
