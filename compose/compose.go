package compose

import (
	"context"
	"errors"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachekit-io/cachekit-go/compose/offload"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
)

// Tier indexes.
const (
	upperTier = 0
	lowerTier = 1
)

// tierCounters are the composition's counters for one tier, padded so that
// the upper tier's hit counter does not share a cache line with the lower's.
type tierCounters struct {
	hits, misses, staleHits, backfills, errors atomic.Uint64
	_                                          [24]byte
}

// backfillCounters count what became of backfills.
type backfillCounters struct {
	submitted, applied, dropped, skipped, raced, failed atomic.Uint64
}

// compositionSeq numbers compositions, so that their de-duplication keys on a
// shared offloader never collide.
var compositionSeq atomic.Uint64

// Backend is a composition of two tiers — an upper one (small, fast, local)
// over a lower one (large, shared, authoritative) — and is itself a
// core.Backend, so compositions nest: Tiers(l1, l2, l3) is l1 over (l2 over
// l3).
//
// See the package documentation for the policies and their defaults. All
// methods are safe for concurrent use.
type Backend struct {
	upper, lower core.Backend
	copier       tier.CopySetter // upper, if it can keep a copy's freshness apart
	// marker is upper when it is in memory, stores marked copies and reads
	// them back, and the composition has a guard (WithGuard); else nil.
	marker tier.MarkedCopySetter
	marked tier.MarkedLocalGetter // upper's, when marker is set
	guard  core.CheckingCodec
	read   ReadPolicy
	write  WritePolicy
	refill RefillPolicy
	inline bool // backfills are written on the reader's goroutine
	cap    time.Duration

	off     *offload.Offloader
	ownsOff bool
	// keepLower: Close leaves the lower tier open (WithBorrowedBottom, on
	// the bottom composition of a stack).
	keepLower bool
	gens      *generations
	prefix    string // de-duplication key prefix on the offloader

	names        [2]string // explicit names (WithNames); may be empty
	defaultNames [2]string

	st  [2]tierCounters
	bf  backfillCounters
	inv *invalidation // nil unless the composition follows the lower tier's invalidations

	obs         *core.Observer      // WithObserver, or nil
	nestedLower bool                // the lower tier is a composition that reports its own tiers
	reportDown  bool                // the lower tier is a tier.UpperReportReader that wants reports
	reports     [2]tier.UpperReport // for lowerCtx: upper miss, upper (stale) hit

	closeOnce sync.Once
	closeErr  error
}

var (
	_ core.Backend           = (*Backend)(nil)
	_ tier.LocalGetter       = (*Backend)(nil)
	_ tier.MarkedLocalGetter = (*Backend)(nil)
	_ tier.InMemory          = (*Backend)(nil)
	_ core.TTLInspector      = (*Backend)(nil)
	_ core.TTLRefresher      = (*Backend)(nil)
	_ core.Locker            = (*Backend)(nil)
	_ core.BatchGetter       = (*Backend)(nil)
	_ core.BatchSetter       = (*Backend)(nil)
	_ core.StatsReporter     = (*Backend)(nil)
	_ tier.Invalidator       = (*Backend)(nil)
	_ io.Closer              = (*Backend)(nil)
)

// New composes upper over lower. Without options it reads sequentially,
// writes through (lower first), backfills fresh lower-tier hits into the
// upper tier for at most DefaultBackfillCap, and owns an offloader for its
// background work, which Close drains. It fails with a *core.Error of
// KindConfig when a tier is nil, an option is nil or was given a bad value,
// or WithNames names more than two tiers.
func New(upper, lower core.Backend, opts ...Option) (*Backend, error) {
	if upper == nil || lower == nil {
		return nil, core.NewError(core.KindConfig, "compose.new", "nil tier", nil)
	}
	cfg, err := newConfig("compose.new", opts)
	if err != nil {
		return nil, err
	}
	if len(cfg.names) > 2 {
		return nil, core.NewError(core.KindConfig, "compose.new", "WithNames: "+strconv.Itoa(len(cfg.names))+" names for two tiers", nil)
	}
	owns := cfg.off == nil
	if owns {
		if cfg.off, err = offload.New(); err != nil {
			return nil, err
		}
	}
	b := build(upper, lower, cfg, [2]string{"upper", "lower"})
	if len(cfg.names) > 0 {
		b.names[0] = cfg.names[0]
	}
	if len(cfg.names) > 1 {
		b.names[1] = cfg.names[1]
	}
	b.ownsOff = owns
	b.keepLower = cfg.borrowBottom
	return b, nil
}

// Tiers composes tiers top to bottom (L1 first) with the default policies:
// Tiers(l1, l2, l3) is New(l1, New(l2, l3)), with one offloader for the
// whole stack. See TiersWith.
func Tiers(tiers ...core.Backend) (*Backend, error) {
	return TiersWith(nil, tiers...)
}

// TiersWith composes tiers top to bottom (L1 first), applying opts to every
// pair: TiersWith(opts, l1, l2, l3) is l1 over (l2 over l3). Unless
// WithOffloader is given, the stack shares one offloader owned by the
// returned (outermost) composition, and its Close drains it before closing
// the tiers. WithNames names the tiers in order; unnamed tiers that do not
// name themselves are "l1", "l2", …. It fails with a *core.Error of
// KindConfig for fewer than two tiers, a nil tier, a nil option or one
// given a bad value, or more names (WithNames) than tiers.
func TiersWith(opts []Option, tiers ...core.Backend) (*Backend, error) {
	if len(tiers) < 2 {
		return nil, core.NewError(core.KindConfig, "compose.tiers", "need at least two tiers, got "+strconv.Itoa(len(tiers)), nil)
	}
	for i, t := range tiers {
		if t == nil {
			return nil, core.NewError(core.KindConfig, "compose.tiers", "tier "+strconv.Itoa(i+1)+" is nil", nil)
		}
	}
	cfg, err := newConfig("compose.tiers", opts)
	if err != nil {
		return nil, err
	}
	if len(cfg.names) > len(tiers) {
		return nil, core.NewError(core.KindConfig, "compose.tiers", "WithNames: "+strconv.Itoa(len(cfg.names))+" names for "+strconv.Itoa(len(tiers))+" tiers", nil)
	}
	owns := cfg.off == nil
	if owns {
		if cfg.off, err = offload.New(); err != nil {
			return nil, err
		}
	}
	name := func(i int) string {
		if i < len(cfg.names) {
			return cfg.names[i]
		}
		return ""
	}
	n := len(tiers)
	lower := tiers[n-1]
	var b *Backend
	for i := n - 2; i >= 0; i-- {
		b = build(tiers[i], lower, cfg, [2]string{"l" + strconv.Itoa(i+1), "l" + strconv.Itoa(i+2)})
		b.names = [2]string{name(i), name(i + 1)}
		b.keepLower = i == n-2 && cfg.borrowBottom
		lower = b
	}
	b.ownsOff = owns
	return b, nil
}

func build(upper, lower core.Backend, cfg config, defaults [2]string) *Backend {
	b := &Backend{
		upper:        upper,
		lower:        lower,
		read:         cfg.read,
		write:        cfg.write,
		refill:       cfg.refill,
		inline:       cfg.backfill == BackfillInline || cfg.backfill == BackfillAuto && inMemory(upper),
		cap:          cfg.cap,
		off:          cfg.off,
		gens:         newGenerations(),
		prefix:       "c" + strconv.FormatUint(compositionSeq.Add(1), 36) + "\x00",
		defaultNames: defaults,
	}
	b.copier, _ = upper.(tier.CopySetter)
	if cfg.guard != nil && inMemory(upper) {
		ms, okSet := upper.(tier.MarkedCopySetter)
		mg, okGet := upper.(tier.MarkedLocalGetter)
		if okSet && okGet {
			b.marker, b.marked, b.guard = ms, mg, cfg.guard
		}
	}
	b.obs = cfg.obs
	_, b.nestedLower = lower.(*Backend)
	if r, ok := lower.(tier.UpperReportReader); ok {
		b.reportDown = r.ReadsUpperReport()
	}
	upperHits := func() uint64 { return b.st[upperTier].hits.Load() }
	b.reports = [2]tier.UpperReport{{Status: tier.UpperMiss, Hits: upperHits}, {Status: tier.UpperHit, Hits: upperHits}}
	b.watchInvalidations(!cfg.noInvalidation)
	return b
}

// inMemory reports whether b implements tier.InMemory and says true.
func inMemory(b core.Backend) bool {
	m, ok := b.(tier.InMemory)
	return ok && m.InMemory()
}

// InMemory implements tier.InMemory: true when both tiers are in memory.
func (b *Backend) InMemory() bool { return inMemory(b.upper) && inMemory(b.lower) }

// Upper returns the upper tier.
func (b *Backend) Upper() core.Backend { return b.upper }

// Lower returns the lower tier (a *Backend itself in a stack of three or
// more).
func (b *Backend) Lower() core.Backend { return b.lower }

// Offloader returns the offloader that runs the composition's background
// work.
func (b *Backend) Offloader() *offload.Offloader { return b.off }

// Health implements core.Backend: it checks both tiers and fails if either
// fails (the error carries both when both do).
func (b *Backend) Health(ctx context.Context) error {
	return bothErr("compose.health", "", b.upper.Health(ctx), b.lower.Health(ctx))
}

// done turns the error of a context that is done into the composition's
// error for op. Writes check their context first, so that a call made with
// a done context has no effect on any tier.
func done(err error, op string) error {
	return core.Wrap(err, core.KindCanceled, op)
}

// bothErr combines the outcomes of an operation on both tiers: nil when both
// succeeded, the one error (as a *core.Error) when one failed, and one
// *core.Error carrying both — with the lower tier's kind — when both failed.
func bothErr(op, key string, uerr, lerr error) error {
	switch {
	case uerr == nil && lerr == nil:
		return nil
	case uerr == nil:
		return core.Wrap(lerr, core.KindUnknown, op)
	case lerr == nil:
		return core.Wrap(uerr, core.KindUnknown, op)
	}
	return &core.Error{
		Kind: core.KindOf(lerr), Op: op, Key: key, Msg: "both tiers failed",
		Err: errors.Join(uerr, lerr),
	}
}

// Wait blocks until the composition's offloader has no task running (its
// backfills have landed) or ctx ends. On a shared offloader it waits for the
// other users' tasks too.
func (b *Backend) Wait(ctx context.Context) error { return b.off.Wait(ctx) }

// Close drains and closes the composition's offloader if it owns it (see
// WithOffloader), then closes every tier that is an io.Closer, upper first
// (but not a bottom tier borrowed with WithBorrowedBottom).
// It returns the tiers' errors joined. Calling Close again returns the first
// call's result. Operations after Close reach the tiers as they are, without
// backfills.
func (b *Backend) Close() error {
	b.closeOnce.Do(func() {
		if b.inv != nil {
			b.inv.halt() // no invalidation touches the tiers after this
		}
		var errs []error
		if b.ownsOff {
			errs = append(errs, b.off.Close())
		}
		tiers := []core.Backend{b.upper, b.lower}
		if b.keepLower {
			tiers = tiers[:1]
		}
		for _, t := range tiers {
			if c, ok := t.(io.Closer); ok {
				errs = append(errs, c.Close())
			}
		}
		if err := errors.Join(errs...); err != nil {
			b.closeErr = core.Wrap(err, core.KindUnknown, "compose.close")
		}
	})
	return b.closeErr
}
