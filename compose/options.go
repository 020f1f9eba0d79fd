package compose

import (
	"strconv"
	"time"

	"github.com/cachekit-io/cachekit-go/compose/offload"
	"github.com/cachekit-io/cachekit-go/core"
)

// DefaultBackfillCap is the longest lifetime a backfilled upper-tier copy may
// have when no WithBackfillCap option is given. The lower tier's reported
// remaining freshness bounds it further.
const DefaultBackfillCap = 30 * time.Second

// ReadPolicy says how Get consults the two tiers of a composition.
type ReadPolicy uint8

const (
	// ReadSequential (the default) asks the upper tier first and the lower
	// tier only when the upper one misses, fails, or returns a stale value.
	ReadSequential ReadPolicy = iota
	// ReadRace asks both tiers at once; the first fresh hit wins. The loser
	// is not canceled: it finishes in the background, bounded by the
	// offloader's timeout, and its outcome is only counted.
	ReadRace
	// ReadParallelFreshest asks both tiers at once, waits for both and
	// returns the hit with the longest remaining freshness (the lower tier's
	// on a tie); a fresh upper hit is also served when the lower tier misses
	// or fails, as under ReadSequential.
	ReadParallelFreshest
)

var readNames = [...]string{ReadSequential: "sequential", ReadRace: "race", ReadParallelFreshest: "parallel-freshest"}

// String returns the policy's name.
func (p ReadPolicy) String() string {
	if int(p) < len(readNames) {
		return readNames[p]
	}
	return "unknown"
}

// WritePolicy says how Set writes the two tiers of a composition.
type WritePolicy uint8

const (
	// WriteSequential (the default) is write-through: the lower tier first,
	// then the upper one. A lower-tier failure fails the Set and invalidates
	// the upper copy; an upper-tier failure after a lower-tier success
	// invalidates the upper copy and fails the Set only if that fails too.
	//
	// While the composition follows live invalidations (WithInvalidation),
	// it writes around the upper tier instead: the lower tier, then the
	// upper copy deleted (a failed delete fails the Set). The lower tier
	// reports the write back, and that report would delete a fresh upper
	// copy a moment after it was made; the next read refills it.
	WriteSequential WritePolicy = iota
	// WriteOptimisticParallel writes both tiers at once and succeeds if at
	// least one of them does. When both fail, the error carries both
	// (errors.Is and errors.As see each).
	//
	// If the caller's context ends while the lower-tier write is still
	// under way, Set returns at once (nil if the upper write succeeded) and
	// the lower write finishes in the background, as under WriteRace: a
	// later Set, Delete or Expire of the same key made before it lands may
	// be overtaken by it. Give Sets under this policy a context that
	// outlives the write when such an order matters.
	WriteOptimisticParallel
	// WriteRace writes both tiers at once and returns as soon as one
	// succeeds; the other write finishes in the background. When both fail,
	// the error carries both.
	//
	// WriteRace trades read-your-writes for latency: until the losing write
	// lands, reads may see the old value, and a later Set, Delete or Expire
	// of the same key may be overtaken by it. An upper-tier write overtaken
	// that way deletes its copy again, but a lower-tier one stands, so a
	// stack with WriteRace does not pass the conformance suite's ordering
	// checks. Use it only for keys written by one writer at a time and read
	// with tolerance for staleness.
	WriteRace
)

var writeNames = [...]string{WriteSequential: "sequential", WriteOptimisticParallel: "optimistic-parallel", WriteRace: "race"}

// String returns the policy's name.
func (p WritePolicy) String() string {
	if int(p) < len(writeNames) {
		return writeNames[p]
	}
	return "unknown"
}

// RefillPolicy says whether a lower-tier hit is copied into the upper tier.
type RefillPolicy uint8

const (
	// RefillAlways (the default) backfills the upper tier from every fresh
	// lower-tier hit, bounded by freshness (where: see BackfillMode).
	RefillAlways RefillPolicy = iota
	// RefillNever never backfills; the upper tier only holds what Set wrote.
	RefillNever
)

var refillNames = [...]string{RefillAlways: "always", RefillNever: "never"}

// String returns the policy's name.
func (p RefillPolicy) String() string {
	if int(p) < len(refillNames) {
		return refillNames[p]
	}
	return "unknown"
}

// BackfillMode says where a backfill's upper-tier write runs.
type BackfillMode uint8

const (
	// BackfillAuto (the default) writes inline when the upper tier reports
	// tier.InMemory, and on the offloader otherwise.
	BackfillAuto BackfillMode = iota
	// BackfillInline writes the copy on the reader's goroutine, before Get
	// returns: no copy of the value, no task, no hand-off, but the reader
	// waits for the upper-tier write.
	BackfillInline
	// BackfillOffloaded hands every backfill to the offloader (bounded,
	// de-duplicated per key, dropped when it is full); the reader never waits
	// for the upper tier.
	BackfillOffloaded
)

var backfillNames = [...]string{BackfillAuto: "auto", BackfillInline: "inline", BackfillOffloaded: "offloaded"}

// String returns the mode's name.
func (m BackfillMode) String() string {
	if int(m) < len(backfillNames) {
		return backfillNames[m]
	}
	return "unknown"
}

// config is what the options set.
type config struct {
	read     ReadPolicy
	write    WritePolicy
	refill   RefillPolicy
	backfill BackfillMode
	cap      time.Duration
	off      *offload.Offloader
	names    []string

	noInvalidation bool               // WithInvalidation(false)
	obs            *core.Observer     // WithObserver
	borrowBottom   bool               // WithBorrowedBottom
	guard          core.CheckingCodec // WithGuard, or nil
}

// newConfig applies opts in order. A nil option, or an option given a bad
// value, fails with a *core.Error of KindConfig for op.
func newConfig(op string, opts []Option) (config, error) {
	c := config{cap: DefaultBackfillCap}
	for i, o := range opts {
		if o == nil {
			return c, core.NewError(core.KindConfig, op, "option "+strconv.Itoa(i+1)+" is nil", nil)
		}
		if err := o(&c); err != nil {
			return c, err
		}
	}
	return c, nil
}

// badOption is the error of an option given a bad value.
func badOption(msg string) error {
	return core.NewError(core.KindConfig, "compose.option", msg, nil)
}

// Option configures a composition made by New, Tiers or TiersWith. An
// option given a bad value makes the constructor fail with a *core.Error of
// KindConfig.
type Option func(*config) error

// WithReadPolicy sets the read policy (default ReadSequential). An unknown
// value is a configuration error.
func WithReadPolicy(p ReadPolicy) Option {
	return func(c *config) error {
		if int(p) >= len(readNames) {
			return badOption("WithReadPolicy: unknown read policy " + strconv.Itoa(int(p)))
		}
		c.read = p
		return nil
	}
}

// WithWritePolicy sets the write policy (default WriteSequential). An
// unknown value is a configuration error.
func WithWritePolicy(p WritePolicy) Option {
	return func(c *config) error {
		if int(p) >= len(writeNames) {
			return badOption("WithWritePolicy: unknown write policy " + strconv.Itoa(int(p)))
		}
		c.write = p
		return nil
	}
}

// WithRefill sets the refill policy (default RefillAlways). An unknown value
// is a configuration error.
func WithRefill(p RefillPolicy) Option {
	return func(c *config) error {
		if int(p) >= len(refillNames) {
			return badOption("WithRefill: unknown refill policy " + strconv.Itoa(int(p)))
		}
		c.refill = p
		return nil
	}
}

// WithBackfillMode sets where backfills are written (default BackfillAuto:
// inline into an in-memory upper tier, offloaded otherwise). An unknown
// value is a configuration error.
func WithBackfillMode(m BackfillMode) Option {
	return func(c *config) error {
		if int(m) >= len(backfillNames) {
			return badOption("WithBackfillMode: unknown backfill mode " + strconv.Itoa(int(m)))
		}
		c.backfill = m
		return nil
	}
}

// WithBackfillCap sets the longest lifetime of a backfilled upper-tier copy
// (default DefaultBackfillCap). The copy's TTL is the smaller of the cap and
// the remaining freshness the lower tier reported; hits on the copy still
// report the value's freshness when the upper tier is a tier.CopySetter
// (see the package doc). A cap of zero or below is a configuration error;
// use WithRefill(RefillNever) to turn backfill off.
func WithBackfillCap(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return badOption("WithBackfillCap: the cap must be above zero, got " + d.String())
		}
		c.cap = d
		return nil
	}
}

// WithOffloader makes the composition run its background work (backfills,
// race losers, parallel writes) on o, which may be shared with other
// compositions and is not closed by the composition's Close: its owner
// closes it, before closing the tiers. Without this option every New makes,
// and owns, an offloader with the offload package's defaults; Tiers and
// TiersWith make one for the whole stack, owned by the outermost
// composition. A nil o is a configuration error.
func WithOffloader(o *offload.Offloader) Option {
	return func(c *config) error {
		if o == nil {
			return badOption("WithOffloader: nil offloader")
		}
		c.off = o
		return nil
	}
}

// WithBorrowedBottom says that the bottom tier (the lower tier of New, the
// last tier of Tiers and TiersWith) belongs to the caller: the
// composition's Close stops following its invalidations, drains the
// offloader it owns and closes every tier above it, but leaves the bottom
// tier open for its owner to close. Use it to put an L1 in front of a
// backend that other code shares (the root package cachekit does, for a
// backend passed to a preset).
func WithBorrowedBottom() Option {
	return func(c *config) error {
		c.borrowBottom = true
		return nil
	}
}

// WithNames names the tiers in the per-tier stats, top to bottom: for New the
// upper and the lower tier, for Tiers and TiersWith each tier in order. The
// stats call a tier "compose.<name>". An empty or missing name falls back to
// the name the tier itself reports (the Name of its only core.TierStats, if
// it is a core.StatsReporter), then to "upper"/"lower" (New) or "l1", "l2", …
// (Tiers). More names than tiers is a configuration error.
func WithNames(names ...string) Option {
	return func(c *config) error {
		c.names = append([]string(nil), names...)
		return nil
	}
}

// WithInvalidation turns following the lower tier's invalidations on (the
// default) or off. When it is on, the upper tier is in memory and can be
// cleared (l1/bigcache), and the lower tier reports invalidations
// (tier.Invalidator: backend/redis on a single-server or Sentinel client),
// the composition deletes an upper-tier copy as soon as the lower tier
// reports its key changed, expired or was evicted — by any process — and
// drops every copy when the lower tier loses track. That is cross-process
// invalidation (the production and io presets' intent). Reads still ask
// the lower tier for each value's remaining lifetime and bound copies by
// it: the reports keep copies in step with writes, not with expiry, which
// Redis reports only when it reclaims the key (on its next access, or when
// its sampling expiry cycle finds it — possibly long after the TTL on a key
// nobody touches). A lower tier that reports no freshness (backend/redis
// WithoutFreshness) gets copies bounded by the backfill cap instead.
//
// Its costs: one more connection per composition, and a message per change
// of a watched key (narrow them with backend/redis's WithInvalidationPrefixes).
// This process's own writes are reported back too, and a report deletes the
// upper copy, so while invalidations are live Set and SetMany do not write
// one: they write the lower tier and delete the upper copy (write-around),
// and the next read refills it from the lower tier. With it off, copies are
// bounded by the lower tier's reported freshness and the backfill cap
// alone, and other processes' writes are seen when a copy expires.
//
// The choice is the stack's: clients that share the stack all see it, and
// core.New never changes it. Build a stack for the minimal preset, which
// asks for no cross-process invalidation, with WithInvalidation(false).
func WithInvalidation(on bool) Option {
	return func(c *config) error {
		c.noInvalidation = !on
		return nil
	}
}

// WithGuard gives the composition the codec its clients decode with, so
// that it can vouch for the copies it keeps in memory. When codec is a
// core.CheckingCodec (protocol.Msgpack() is) and the upper tier is in
// memory and a tier.MarkedCopySetter (l1/bigcache, l1/otter), every
// backfilled copy is first checked with codec.Check and stored with the
// mark it returns; GetLocalMarked hands the mark back with a hit, and a
// core client with the same codec then decodes the hit without walking the
// hostile-input guard again. Bytes the guard rejects are still copied,
// unmarked, and every read of them is checked (and rejected) in full. A
// stack whose clients encrypt gains nothing from it (they ignore marks: the
// tiers hold ciphertext); give such a stack no guard. Any other codec, or
// nil, leaves the composition as it is without the option.
//
// Give a stack only the codec of the clients that read it: a mark is
// meaningful to the codec that made it alone.
func WithGuard(codec core.Codec) Option {
	return func(c *config) error {
		c.guard, _ = codec.(core.CheckingCodec)
		return nil
	}
}
