package bigcache

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	bc "github.com/allegro/bigcache/v3"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
)

// Entry layout (see the package doc): an 8-byte header, the expiry, in
// front of every value; a copy stored by SetCopy has copyFlag set in it and
// a second 8-byte word, the value's own freshness.
const (
	headerSize     = 8
	copyHeaderSize = 16
	copyFlag       = uint64(1) << 63
	// The second word of a copy: the value's fresh deadline in Unix
	// nanoseconds, or one of these.
	freshUnknown = -1
	freshForever = -2
	// A copy stored by SetCopyMarked has a 24-byte header: its second word
	// is markedWord minus the mark (from markedWord-255 to markedWord), and
	// a third word holds the value's freshness.
	markedWord       = -256
	markedHeaderSize = 24
)

// DefaultShards is the number of bigcache shards used without WithShards.
const DefaultShards = 64

// MaxShards is the largest number of shards WithShards accepts. Every shard
// allocates its index and queue up front (about 13.5 KiB), bounded or not,
// so MaxShards shards take some 53 MiB before the first entry; and with
// WithMaxBytes each shard gets an equal share of the bound, which at
// MaxShards shards and the smallest bound (1 MiB) is 256 bytes. Lock
// contention stops improving long before: bigcache's own default is 1024.
const MaxShards = 1 << 12

// maxDeadline is the latest expiry a header can hold: Unix nanoseconds with
// the top bit (copyFlag) clear, that is math.MaxInt64, in the year 2262. A
// TTL that reaches past it is clamped to it.
const maxDeadline = math.MaxInt64

// maxHardMiB is the largest HardMaxCacheSize (MiB) whose byte count bigcache
// can compute in an int.
const maxHardMiB = math.MaxInt >> 20

// century is bigcache's life window: entries never expire by age in
// bigcache itself; this package keeps per-entry expiry in its header.
const century = 100 * 365 * 24 * time.Hour

// stripes is the number of write mutexes (a power of two).
const stripes = 256

// Backend is an L1 core.Backend on bigcache. Create it with New; it is safe
// for concurrent use. A Backend not created by New (the zero value) holds
// nothing: its operations fail with a *core.Error of KindConfig.
type Backend struct {
	c          *bc.BigCache
	clock      func() time.Time // nil: time.Now
	maxEntries int
	closed     atomic.Bool
	closeOnce  sync.Once

	// Counters that correct bigcache's own hit/miss counts: reads made by
	// TTL/Expire/the entry bound, and hits on expired entries (misses to us).
	internalHits   atomic.Int64
	internalMisses atomic.Int64
	expiredHits    atomic.Int64
	evictions      atomic.Uint64

	evicting sync.Mutex // one entry-bound eviction at a time
	locks    [stripes]sync.Mutex
}

// Compile-time checks of the capabilities.
var (
	_ core.Backend           = (*Backend)(nil)
	_ core.TTLInspector      = (*Backend)(nil)
	_ tier.LocalGetter       = (*Backend)(nil)
	_ tier.InMemory          = (*Backend)(nil)
	_ tier.CopySetter        = (*Backend)(nil)
	_ tier.MarkedCopySetter  = (*Backend)(nil)
	_ tier.MarkedLocalGetter = (*Backend)(nil)
	_ core.TTLRefresher      = (*Backend)(nil)
	_ core.StatsReporter     = (*Backend)(nil)
	_ tier.Clearer           = (*Backend)(nil)
)

// config collects the options.
type config struct {
	maxBytes   int64
	maxEntries int
	shards     int
	clock      func() time.Time
	obs        *core.Observer
}

// Option configures New.
type Option func(*config)

// WithMaxBytes bounds the memory bigcache uses for entries to about n bytes,
// rounded up to whole MiB (bigcache's HardMaxCacheSize). Each shard gets an
// equal share; the oldest entries of a full shard are evicted. n == 0 means
// unbounded (the default); a negative n is a KindConfig error. A bound
// beyond what an int can count in bytes (any n on 64-bit platforms; 2 GiB
// on 32-bit ones) is clamped to it, which leaves the cache in effect
// unbounded.
func WithMaxBytes(n int64) Option { return func(c *config) { c.maxBytes = n } }

// WithMaxEntries bounds the number of entries to about n. n == 0 means
// unbounded (the default); a negative n is a KindConfig error.
func WithMaxEntries(n int) Option { return func(c *config) { c.maxEntries = n } }

// WithShards sets the number of bigcache shards, a power of two from 1 to
// MaxShards (default DefaultShards; KindConfig otherwise). More shards mean
// less lock contention, more memory allocated up front, and, with
// WithMaxBytes, a smaller largest storable entry.
func WithShards(n int) Option { return func(c *config) { c.shards = n } }

// WithClock makes the backend read the time from now instead of time.Now,
// for tests; nil means time.Now. Only the expiry header uses it; bigcache's
// own clock is never consulted for expiry. The header holds Unix
// nanoseconds, so a time before 1970 reads as 1970-01-01 00:00 UTC and one
// after 2262-04-11 23:47 UTC (the end of UnixNano's range) as that time.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithObserver reports each entry bigcache drops of its own accord to o's
// OnEviction, as tier "l1" with reason "size" (room was needed); nil
// means none. The hook runs under a shard's lock: it must be quick.
func WithObserver(o *core.Observer) Option { return func(c *config) { c.obs = o } }

// New returns an empty Backend. Invalid options are reported as a
// *core.Error of KindConfig; nil options are skipped.
func New(opts ...Option) (*Backend, error) {
	cfg := config{shards: DefaultShards}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.shards <= 0 || cfg.shards > MaxShards || cfg.shards&(cfg.shards-1) != 0 {
		return nil, core.NewError(core.KindConfig, "bigcache.new", fmt.Sprintf("shards must be a power of two from 1 to %d (MaxShards), got %d", MaxShards, cfg.shards), nil)
	}
	if cfg.maxBytes < 0 {
		return nil, core.NewError(core.KindConfig, "bigcache.new", fmt.Sprintf("WithMaxBytes: negative bound %d (0: unbounded)", cfg.maxBytes), nil)
	}
	if cfg.maxEntries < 0 {
		return nil, core.NewError(core.KindConfig, "bigcache.new", fmt.Sprintf("WithMaxEntries: negative bound %d (0: unbounded)", cfg.maxEntries), nil)
	}
	b := &Backend{clock: cfg.clock, maxEntries: cfg.maxEntries}
	bcfg := bc.Config{
		Shards:             cfg.shards,
		LifeWindow:         century,
		CleanWindow:        0,
		MaxEntriesInWindow: cfg.shards * 64,
		MaxEntrySize:       128,
		Verbose:            false,
		OnRemoveWithReason: func(_ string, _ []byte, r bc.RemoveReason) {
			b.evictions.Add(1)
			if o := cfg.obs; o != nil && o.OnEviction != nil {
				reason := "size"
				if r == bc.Expired {
					reason = "expired"
				}
				o.OnEviction(core.EvictionEvent{Tier: "l1", Reason: reason, Count: 1})
			}
		},
	}
	bcfg = bcfg.OnRemoveFilterSet(bc.NoSpace, bc.Expired)
	if cfg.maxBytes > 0 {
		bcfg.HardMaxCacheSize = hardMaxMiB(cfg.maxBytes)
	}
	c, err := bc.New(context.Background(), bcfg)
	if err != nil {
		return nil, core.NewError(core.KindConfig, "bigcache.new", "invalid configuration", err)
	}
	b.c = c
	if b.clock == nil {
		coarse.acquire() // released by Close
	}
	return b, nil
}

// hardMaxMiB returns bigcache's HardMaxCacheSize for a bound of n > 0
// bytes: n rounded up to whole MiB (without overflowing, whatever n), at
// most maxHardMiB.
func hardMaxMiB(n int64) int {
	mib := n >> 20
	if n&(1<<20-1) != 0 {
		mib++
	}
	return int(min(mib, maxHardMiB))
}

// The range of a WithClock clock, in Unix nanoseconds: a time outside it
// reads as the nearest end (time.Time.UnixNano is undefined beyond it, and
// a time past the last deadline a header can hold would make every entry
// expire as it is written).
const (
	minClockNanos = 0
	maxClockNanos = maxDeadline - 1
)

var (
	minClock = time.Unix(0, minClockNanos)
	maxClock = time.Unix(0, maxClockNanos)
)

// now returns the current time in Unix nanoseconds, from minClockNanos to
// maxClockNanos.
func (b *Backend) now() int64 {
	if b.clock == nil {
		return time.Now().UnixNano()
	}
	t := b.clock()
	switch {
	case t.Before(minClock):
		return minClockNanos
	case t.After(maxClock):
		return maxClockNanos
	}
	return t.UnixNano()
}

// coarseNow returns the time a hit on an entry that expires at exp is
// judged by when its freshness need not be exact (GetLocalMarked): the
// coarse clock's (see clock.go), but the precise clock's when the coarse
// one leaves less than nearExpiry before exp.
func (b *Backend) coarseNow(exp int64) int64 {
	if b.clock != nil {
		return b.now()
	}
	if now := coarse.now(); exp-now > nearExpiry {
		return now
	}
	return time.Now().UnixNano()
}

// deadline returns now+d for now as b.now returns it and d > 0, clamped to
// maxDeadline: a header cannot hold a later expiry, and the unchecked sum
// would overflow into copyFlag.
func deadline(now int64, d time.Duration) int64 {
	if int64(d) > maxDeadline-now {
		return maxDeadline
	}
	return now + int64(d)
}

// stripe returns the write mutex for key (FNV-1a, inlined to stay
// allocation-free).
func (b *Backend) stripe(key string) *sync.Mutex {
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	return &b.locks[h&(stripes-1)]
}

// check returns the error for a done context, a closed backend or one not
// made by New.
func (b *Backend) check(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return &core.Error{Kind: core.ContextKind(err), Op: op, Key: key, Err: err}
	}
	if b.closed.Load() {
		return &core.Error{Kind: core.KindPermanent, Op: op, Key: key, Msg: "backend closed"}
	}
	if b.c == nil {
		return &core.Error{Kind: core.KindConfig, Op: op, Key: key, Msg: "Backend not created by New"}
	}
	return nil
}

// header is the decoded header of a stored entry.
type header struct {
	exp   int64          // expiry, Unix nanoseconds; 0: none
	copy  bool           // stored by SetCopy: fresh is the value's freshness
	fresh int64          // a fresh deadline, freshUnknown or freshForever
	mark  core.GuardMark // stored by SetCopyMarked; 0 otherwise
	size  int            // header bytes in front of the value
}

// parseHeader decodes the header of a stored entry; ok is false for bytes
// too short to hold one.
func parseHeader(data []byte) (h header, ok bool) {
	if len(data) < headerSize {
		return header{}, false
	}
	w := binary.LittleEndian.Uint64(data)
	if w&copyFlag == 0 {
		return header{exp: int64(w), size: headerSize}, true
	}
	if len(data) < copyHeaderSize {
		return header{}, false
	}
	h = header{exp: int64(w &^ copyFlag), copy: true, fresh: int64(binary.LittleEndian.Uint64(data[headerSize:])), size: copyHeaderSize}
	if h.fresh > markedWord || h.fresh < markedWord-255 {
		return h, true
	}
	if len(data) < markedHeaderSize {
		return header{}, false
	}
	h.mark = core.GuardMark(markedWord - h.fresh)
	h.fresh = int64(binary.LittleEndian.Uint64(data[copyHeaderSize:]))
	h.size = markedHeaderSize
	return h, true
}

// expiry decodes the expiry of a stored entry.
func expiry(data []byte) (exp int64, ok bool) {
	h, ok := parseHeader(data)
	return h.exp, ok
}

// freshness is what Get reports for a live entry with header h, left
// nanoseconds before its expiry, at now: the entry's own remaining lifetime,
// or for a copy the value's freshness, never less than the copy's.
func (h header) freshness(left, now int64) core.Freshness {
	if !h.copy {
		return core.Freshness{Known: true, FreshFor: time.Duration(left)}
	}
	switch h.fresh {
	case freshUnknown:
		return core.UnknownFreshness
	case freshForever:
		return core.Freshness{Known: true, NoExpiry: true}
	}
	return core.Freshness{Known: true, FreshFor: time.Duration(max(h.fresh-now, left))}
}

// Get implements core.Backend. A hit reports the remaining lifetime in
// Freshness (Known always true); an expired entry is a miss and is deleted.
func (b *Backend) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	if err := b.check(ctx, "bigcache.get", key); err != nil {
		return core.Entry{}, false, err
	}
	data, err := b.c.Get(key)
	if err != nil {
		if err == bc.ErrEntryNotFound {
			return core.Entry{}, false, nil
		}
		return core.Entry{}, false, &core.Error{Kind: core.KindPermanent, Op: "bigcache.get", Key: key, Err: err}
	}
	v, fresh, _, ok := b.judge(key, data, false)
	if !ok {
		return core.Entry{}, false, nil
	}
	return core.Entry{Value: v, Freshness: fresh}, true, nil
}

// judge returns the value behind the header of data, the stored bytes
// just read for key (a copy: the value may be handed out), with its
// freshness and mark. ok is false when the entry is not live; an expired
// one is then deleted. With coarse, the clock is read as coarseNow does.
func (b *Backend) judge(key string, data []byte, coarse bool) (v []byte, fresh core.Freshness, mark core.GuardMark, ok bool) {
	h, ok := parseHeader(data)
	if !ok {
		b.expiredHits.Add(1)
		return nil, core.Freshness{}, 0, false
	}
	v = data[h.size:len(data):len(data)]
	if h.exp == 0 {
		return v, core.Freshness{Known: true, NoExpiry: true}, h.mark, true
	}
	var now int64
	if coarse {
		now = b.coarseNow(h.exp)
	} else {
		now = b.now()
	}
	left := h.exp - now
	if left <= 0 {
		b.expiredHits.Add(1)
		b.dropExpired(key)
		return nil, core.Freshness{}, 0, false
	}
	return v, h.freshness(left, now), h.mark, true
}

// GetLocal implements tier.LocalGetter: everything this backend holds is in
// process, so it is Get.
func (b *Backend) GetLocal(ctx context.Context, key string) (core.Entry, bool, error) {
	return b.Get(ctx, key)
}

// GetLocalMarked implements tier.MarkedLocalGetter: a hit of Get, with the
// mark SetCopyMarked stored with the entry (0 for any other write). It
// reads the coarse clock (see clock.go): an entry is served until it
// expires, as by Get, but its Freshness may overstate the time left by a
// millisecond or so, as the tier contract allows. A closed backend answers
// nothing; ctx is not looked at (the read does no I/O).
func (b *Backend) GetLocalMarked(_ context.Context, key string) ([]byte, core.Freshness, core.GuardMark, bool) {
	if b.closed.Load() || b.c == nil {
		return nil, core.Freshness{}, 0, false
	}
	data, err := b.c.Get(key)
	if err != nil {
		return nil, core.Freshness{}, 0, false
	}
	return b.judge(key, data, true)
}

// InMemory implements tier.InMemory: entries live in bigcache's shards, in
// process, and no call performs I/O. A composition over another tier
// therefore writes its backfills into this backend inline.
func (b *Backend) InMemory() bool { return true }

// read is Get's lookup for the backend's own use (TTL, Expire): it keeps
// those reads out of the hit/miss statistics. It returns the stored bytes,
// header included, of a live entry.
func (b *Backend) read(key string) (data []byte, exp int64, found bool, err error) {
	data, err = b.c.Get(key)
	if err != nil {
		b.internalMisses.Add(1)
		if err == bc.ErrEntryNotFound {
			return nil, 0, false, nil
		}
		return nil, 0, false, err
	}
	b.internalHits.Add(1)
	exp, ok := expiry(data)
	if !ok {
		return nil, 0, false, nil
	}
	if exp != 0 && exp <= b.now() {
		return nil, 0, false, nil
	}
	return data, exp, true, nil
}

// dropExpired deletes key if it (still) holds an expired entry.
func (b *Backend) dropExpired(key string) {
	mu := b.stripe(key)
	mu.Lock()
	defer mu.Unlock()
	data, err := b.c.Get(key)
	if err != nil {
		return
	}
	b.internalHits.Add(1)
	if exp, ok := expiry(data); !ok || (exp != 0 && exp <= b.now()) {
		_ = b.c.Delete(key)
	}
}

// Write buffers (header + value) come from pools by size class: powers of
// two from 1 KiB to 4 MiB, one sync.Pool each, so that a large value neither
// allocates its buffer on every write nor makes small writes hold a large
// buffer. Larger entries (bigger than any default shard) allocate.
const (
	minClassShift = 10
	maxClassShift = 22
)

var bufPools [maxClassShift - minClassShift + 1]sync.Pool

// sizeClass returns the pool class of an n-byte buffer, or -1 above the
// largest class.
func sizeClass(n int) int {
	switch {
	case n <= 1<<minClassShift:
		return 0
	case n > 1<<maxClassShift:
		return -1
	}
	return bits.Len(uint(n-1)) - minClassShift
}

// getBuf returns an empty buffer of capacity at least n and its class (-1:
// not pooled).
func getBuf(n int) (*[]byte, int) {
	c := sizeClass(n)
	if c < 0 {
		b := make([]byte, 0, n)
		return &b, -1
	}
	if pb, ok := bufPools[c].Get().(*[]byte); ok {
		return pb, c
	}
	b := make([]byte, 0, 1<<(c+minClassShift))
	return &b, c
}

// putBuf gives a buffer from getBuf back.
func putBuf(pb *[]byte, c int) {
	if c >= 0 {
		*pb = (*pb)[:0]
		bufPools[c].Put(pb)
	}
}

// Set implements core.Backend. ttl == core.NoExpiry stores the entry
// without expiry; a negative ttl is a *core.Error of KindInvalidInput.
func (b *Backend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl < 0 {
		return &core.Error{Kind: core.KindInvalidInput, Op: "bigcache.set", Key: key, Msg: "negative TTL " + ttl.String()}
	}
	if err := b.check(ctx, "bigcache.set", key); err != nil {
		return err
	}
	var exp int64
	if ttl > 0 {
		exp = deadline(b.now(), ttl)
	}
	return b.store(key, value, uint64(exp), 0, 0)
}

// SetCopy implements tier.CopySetter: the entry expires after keep, and
// until then Get reports fresh, aged, as the value's freshness. It is
// stored behind a 16-byte header (see the package doc).
func (b *Backend) SetCopy(ctx context.Context, key string, value []byte, keep time.Duration, fresh core.Freshness) error {
	return b.setCopy(ctx, "bigcache.setcopy", key, value, keep, fresh, 0)
}

// SetCopyMarked implements tier.MarkedCopySetter: SetCopy, with mark stored
// in the copy's header (24 bytes instead of 16) for GetLocalMarked.
func (b *Backend) SetCopyMarked(ctx context.Context, key string, value []byte, keep time.Duration, fresh core.Freshness, mark core.GuardMark) error {
	return b.setCopy(ctx, "bigcache.setcopymarked", key, value, keep, fresh, mark)
}

func (b *Backend) setCopy(ctx context.Context, op, key string, value []byte, keep time.Duration, fresh core.Freshness, mark core.GuardMark) error {
	if err := tier.CheckCopy(op, key, keep, fresh); err != nil {
		return err
	}
	if err := b.check(ctx, op, key); err != nil {
		return err
	}
	now := b.now()
	var fw int64
	switch {
	case !fresh.Known:
		fw = freshUnknown
	case fresh.NoExpiry:
		fw = freshForever
	default:
		fw = now
		if fresh.FreshFor > 0 {
			fw = deadline(now, fresh.FreshFor)
		}
	}
	return b.store(key, value, uint64(deadline(now, keep))|copyFlag, fw, mark)
}

// store writes value behind its header: w0, for a copy (copyFlag set in
// w0) w1, and for a copy with a mark the marked word before w1.
func (b *Backend) store(key string, value []byte, w0 uint64, w1 int64, mark core.GuardMark) error {
	hsize := headerSize
	if w0&copyFlag != 0 {
		hsize = copyHeaderSize
		if mark != 0 {
			hsize = markedHeaderSize
		}
	}
	pb, class := getBuf(hsize + len(value))
	buf := binary.LittleEndian.AppendUint64((*pb)[:0], w0)
	if hsize == markedHeaderSize {
		buf = binary.LittleEndian.AppendUint64(buf, uint64(markedWord-int64(mark)))
	}
	if hsize >= copyHeaderSize {
		buf = binary.LittleEndian.AppendUint64(buf, uint64(w1))
	}
	buf = append(buf, value...)
	mu := b.stripe(key)
	mu.Lock()
	err := b.c.Set(key, buf) // bigcache copies the entry into its shard
	mu.Unlock()
	putBuf(pb, class)
	if err != nil {
		return classifySetError(key, err)
	}
	if b.maxEntries > 0 && b.c.Len() > b.maxEntries {
		b.enforceMaxEntries(key)
	}
	return nil
}

// classifySetError turns a bigcache Set error into a *core.Error: an entry
// too large for a shard is KindPayloadTooLarge.
func classifySetError(key string, err error) error {
	kind := core.KindPermanent
	if err.Error() == "entry is bigger than max shard size" {
		kind = core.KindPayloadTooLarge
	}
	return &core.Error{Kind: kind, Op: "bigcache.set", Key: key, Msg: "bigcache rejected the entry", Err: err}
}

// enforceMaxEntries evicts entries until the count is about 1/16 of
// maxEntries below the bound: expired entries met on the way, then others,
// never keep (the key just written).
func (b *Backend) enforceMaxEntries(keep string) {
	if !b.evicting.TryLock() {
		return // another writer is evicting
	}
	defer b.evicting.Unlock()
	over := b.c.Len() - (b.maxEntries - max(b.maxEntries/16, 1))
	if over <= 0 {
		return
	}
	now := b.now()
	it := b.c.Iterator()
	for over > 0 && it.SetNext() {
		info, err := it.Value()
		if err != nil || info.Key() == keep {
			continue
		}
		k := info.Key()
		mu := b.stripe(k)
		mu.Lock()
		err = b.c.Delete(k)
		mu.Unlock()
		if err == nil {
			over--
			if exp, ok := expiry(info.Value()); !ok || exp == 0 || exp > now {
				b.evictions.Add(1)
			}
		}
	}
}

// Delete implements core.Backend. Deleting a missing key succeeds.
func (b *Backend) Delete(ctx context.Context, key string) error {
	if err := b.check(ctx, "bigcache.delete", key); err != nil {
		return err
	}
	mu := b.stripe(key)
	mu.Lock()
	err := b.c.Delete(key)
	mu.Unlock()
	if err != nil && !errors.Is(err, bc.ErrEntryNotFound) {
		return &core.Error{Kind: core.KindPermanent, Op: "bigcache.delete", Key: key, Err: err}
	}
	return nil
}

// Clear implements tier.Clearer: it drops every entry (bigcache keeps the
// memory of its queues). A composition clears its L1 when it loses track of
// its lower tier's invalidations.
func (b *Backend) Clear(ctx context.Context) error {
	if err := b.check(ctx, "bigcache.clear", ""); err != nil {
		return err
	}
	_ = b.c.Reset() // always nil
	return nil
}

// Exists implements core.Backend.
func (b *Backend) Exists(ctx context.Context, key string) (bool, error) {
	if err := b.check(ctx, "bigcache.exists", key); err != nil {
		return false, err
	}
	_, _, found, err := b.read(key)
	if err != nil {
		return false, &core.Error{Kind: core.KindPermanent, Op: "bigcache.exists", Key: key, Err: err}
	}
	return found, nil
}

// Health implements core.Backend: an open backend is always healthy.
func (b *Backend) Health(ctx context.Context) error {
	return b.check(ctx, "bigcache.health", "")
}

// TTL implements core.TTLInspector.
func (b *Backend) TTL(ctx context.Context, key string) (time.Duration, bool, error) {
	if err := b.check(ctx, "bigcache.ttl", key); err != nil {
		return 0, false, err
	}
	_, exp, found, err := b.read(key)
	if err != nil {
		return 0, false, &core.Error{Kind: core.KindPermanent, Op: "bigcache.ttl", Key: key, Err: err}
	}
	if !found {
		return 0, false, nil
	}
	if exp == 0 {
		return core.NoExpiry, true, nil
	}
	return time.Duration(max(exp-b.now(), 1)), true, nil
}

// Expire implements core.TTLRefresher: it rewrites the entry's header. ttl
// must be positive (KindInvalidInput otherwise).
func (b *Backend) Expire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, &core.Error{Kind: core.KindInvalidInput, Op: "bigcache.expire", Key: key, Msg: "TTL must be positive, got " + ttl.String()}
	}
	if err := b.check(ctx, "bigcache.expire", key); err != nil {
		return false, err
	}
	mu := b.stripe(key)
	mu.Lock()
	defer mu.Unlock()
	data, _, found, err := b.read(key)
	if err != nil {
		return false, &core.Error{Kind: core.KindPermanent, Op: "bigcache.expire", Key: key, Err: err}
	}
	if !found {
		return false, nil
	}
	// data is bigcache's copy: rewrite its header in place and store it. A
	// copy becomes a plain entry: its value's freshness is now the new TTL.
	if h, _ := parseHeader(data); h.copy {
		n := copy(data[headerSize:], data[h.size:])
		data = data[:headerSize+n]
	}
	binary.LittleEndian.PutUint64(data, uint64(deadline(b.now(), ttl)))
	if err := b.c.Set(key, data); err != nil {
		return false, classifySetError(key, err)
	}
	return true, nil
}

// Stats implements core.StatsReporter with one tier named "bigcache": Hits
// and Misses of Get (an expired entry counts as a miss), Evictions (entries
// pushed out by the byte or entry bound), Collisions (bigcache hash
// collisions), Entries (entries held, expired ones not yet removed
// included) and SizeBytes (bytes allocated by bigcache's queues).
func (b *Backend) Stats() []core.TierStats {
	if b.c == nil {
		return []core.TierStats{{Name: "bigcache"}}
	}
	s := b.c.Stats()
	hits := s.Hits - b.internalHits.Load() - b.expiredHits.Load()
	misses := s.Misses - b.internalMisses.Load() + b.expiredHits.Load()
	return []core.TierStats{{
		Name:       "bigcache",
		Hits:       uint64(max(hits, 0)),
		Misses:     uint64(max(misses, 0)),
		Evictions:  b.evictions.Load(),
		Collisions: uint64(max(s.Collisions, 0)),
		Entries:    int64(b.c.Len()),
		SizeBytes:  int64(b.c.Capacity()),
	}}
}

// Close implements io.Closer: it drops every entry and releases bigcache's
// memory; later calls fail with a *core.Error of KindPermanent. Close may be
// called more than once.
func (b *Backend) Close() error {
	b.closeOnce.Do(func() {
		b.closed.Store(true)
		if b.c != nil {
			_ = b.c.Close()
			_ = b.c.Reset()
			if b.clock == nil {
				coarse.release()
			}
		}
	})
	return nil
}
