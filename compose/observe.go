package compose

import (
	"context"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
)

// WithObserver sets an observer that receives one core.OpEvent per tier
// call the composition makes with the sequential read policy and the
// write-through, parallel and race write policies (reads of the race and
// parallel-freshest policies are not reported), and a
// core.InvalidationEvent each time it drops upper-tier copies on its lower
// tier's report. Tier names are those of Stats without the "compose."
// prefix ("upper"/"lower" for New, "l1", "l2", … for TiersWith, or
// WithNames). A lower tier that is itself a composition reports its own
// tiers. Pass the same observer to core.WithObserver for the client's view.
func WithObserver(o *core.Observer) Option {
	return func(c *config) error {
		c.obs = o
		return nil
	}
}

// tierName is tier i's name in events.
func (b *Backend) tierName(i int) string {
	if b.names[i] != "" {
		return b.names[i]
	}
	return b.defaultNames[i]
}

// obsStart returns the start time of a tier call when the observer times
// calls, else the zero time.
func (b *Backend) obsStart() time.Time {
	if o := b.obs; o != nil && o.Timing {
		return time.Now()
	}
	return time.Time{}
}

// observe reports one tier call; without an observer it is one nil check.
func (b *Backend) observe(ctx context.Context, i int, op core.Op, r core.Result, err error, n int, start time.Time) {
	if b.obs != nil {
		b.emit(ctx, i, op, r, err, n, start)
	}
}

// observeRead reports one tier read.
func (b *Backend) observeRead(ctx context.Context, i int, e core.Entry, found bool, err error, start time.Time) {
	if b.obs != nil {
		r := core.ResultMiss
		switch {
		case err != nil:
			r = core.ResultError
		case found && e.Freshness.Stale:
			r = core.ResultStale
		case found:
			r = core.ResultHit
		}
		n := 0
		if found {
			n = len(e.Value)
		}
		b.emit(ctx, i, core.OpGet, r, err, n, start)
	}
}

func (b *Backend) emit(ctx context.Context, i int, op core.Op, r core.Result, err error, n int, start time.Time) {
	if b.obs.OnOp == nil || i == lowerTier && b.nestedLower {
		return
	}
	e := core.OpEvent{Op: op, Tier: b.tierName(i), Result: r, Bytes: n}
	if err != nil {
		e.Result, e.Kind = core.ResultError, core.KindOf(err)
	}
	if !start.IsZero() {
		e.Duration = time.Since(start)
	}
	b.obs.OnOp(ctx, e)
}

// observeInvalidation reports dropped upper-tier copies.
func (b *Backend) observeInvalidation(keys int, all bool) {
	if o := b.obs; o != nil && o.OnInvalidation != nil {
		o.OnInvalidation(core.InvalidationEvent{Tier: b.tierName(upperTier), Keys: keys, All: all})
	}
}

// lowerCtx is ctx as the lower tier sees it: carrying what the upper tier
// did for this request (see tier.UpperReport), which a cachekit.io lower
// tier sends as X-CacheKit-L1-Status. Only a lower tier that is a
// tier.UpperReportReader gets a report (it costs an allocation). upperHit says the upper tier held a
// copy (a stale one) and the lower tier is asked to revalidate it.
func (b *Backend) lowerCtx(ctx context.Context, upperHit bool) context.Context {
	if !b.reportDown {
		return ctx
	}
	if upperHit {
		return tier.WithUpperReport(ctx, &b.reports[1])
	}
	return tier.WithUpperReport(ctx, &b.reports[0])
}
