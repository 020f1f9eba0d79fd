package compose

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"time"

	"github.com/cachekit-io/cachekit-go/compose/offload"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
)

// notSupported is the error of a capability the lower tier lacks.
func notSupported(op string) error {
	return core.NewError(core.KindNotSupported, op, "the lower tier does not support it", nil)
}

// GetLocal implements tier.LocalGetter: with the sequential read policy, a
// fresh hit in the upper tier when that tier can answer in process (it is a
// LocalGetter itself); a miss otherwise. Stale and missing local copies are
// left to Get, which reads the lower tier and counts the outcome. The race
// and parallel-freshest policies always consult the lower tier, so for them
// GetLocal always misses.
func (b *Backend) GetLocal(ctx context.Context, key string) (core.Entry, bool, error) {
	lg, ok := b.upper.(tier.LocalGetter)
	if !ok || b.read != ReadSequential {
		return core.Entry{}, false, nil
	}
	t := b.obsStart()
	e, found, err := lg.GetLocal(ctx, key)
	if err != nil || !found || e.Freshness.Stale {
		return core.Entry{}, false, nil
	}
	b.st[upperTier].hits.Add(1)
	b.observe(ctx, upperTier, core.OpGet, core.ResultHit, nil, len(e.Value), t)
	return e, true, nil
}

// GetLocalMarked implements tier.MarkedLocalGetter: a hit of GetLocal,
// with the mark the upper tier stored with the copy when the composition
// checks its copies (WithGuard); otherwise a hit of GetLocal with a zero
// mark. A local read that fails is no answer: Get then decides.
func (b *Backend) GetLocalMarked(ctx context.Context, key string) ([]byte, core.Freshness, core.GuardMark, bool) {
	if b.marked == nil || b.read != ReadSequential {
		e, found, _ := b.GetLocal(ctx, key)
		return e.Value, e.Freshness, 0, found
	}
	t := b.obsStart()
	v, fresh, mark, found := b.marked.GetLocalMarked(ctx, key)
	if !found || fresh.Stale {
		return nil, core.Freshness{}, 0, false
	}
	b.st[upperTier].hits.Add(1)
	b.observe(ctx, upperTier, core.OpGet, core.ResultHit, nil, len(v), t)
	return v, fresh, mark, true
}

// TTL implements core.TTLInspector by asking the lower (authoritative) tier.
// It fails with core.KindNotSupported when the lower tier cannot.
func (b *Backend) TTL(ctx context.Context, key string) (time.Duration, bool, error) {
	ti, ok := b.lower.(core.TTLInspector)
	if !ok {
		return 0, false, notSupported("compose.ttl")
	}
	ttl, found, err := ti.TTL(ctx, key)
	if err != nil {
		b.st[lowerTier].errors.Add(1)
		return 0, false, core.Wrap(err, core.KindUnknown, "compose.ttl")
	}
	return ttl, found, nil
}

// Expire implements core.TTLRefresher: it changes the lifetime in the lower
// (authoritative) tier, then deletes the upper copy, which may otherwise
// outlive a shortened lifetime; the next read backfills it with the new
// freshness. It fails with core.KindNotSupported when the lower tier cannot,
// and with the upper tier's error when the upper copy could not be deleted.
func (b *Backend) Expire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	tr, ok := b.lower.(core.TTLRefresher)
	if !ok {
		return false, notSupported("compose.expire")
	}
	if err := ctx.Err(); err != nil {
		return false, done(err, "compose.expire")
	}
	b.gens.begin(key)
	defer b.gens.end(key)
	found, err := tr.Expire(ctx, key, ttl)
	if err != nil {
		b.st[lowerTier].errors.Add(1)
		return false, core.Wrap(err, core.KindUnknown, "compose.expire")
	}
	if derr := b.upper.Delete(ctx, key); derr != nil {
		b.st[upperTier].errors.Add(1)
		return found, core.Wrap(derr, core.KindUnknown, "compose.expire")
	}
	return found, nil
}

// SetIfAbsent implements core.ConditionalSetter by delegating to the lower
// (authoritative) tier, then deleting the upper copy whatever the outcome,
// so that the upper tier never holds a value the lower tier refused; the
// next read backfills it. It fails with core.KindNotSupported when the
// lower tier cannot (the client then writes back with Set).
func (b *Backend) SetIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	cs, ok := b.lower.(core.ConditionalSetter)
	if !ok {
		return false, notSupported("compose.setifabsent")
	}
	if err := ctx.Err(); err != nil {
		return false, done(err, "compose.setifabsent")
	}
	b.gens.begin(key)
	defer b.gens.end(key)
	stored, err := cs.SetIfAbsent(ctx, key, value, ttl)
	if err != nil {
		b.st[lowerTier].errors.Add(1)
		b.invalidateUpper(ctx, key)
		return false, core.Wrap(err, core.KindUnknown, "compose.setifabsent")
	}
	if derr := b.upper.Delete(ctx, key); derr != nil {
		b.st[upperTier].errors.Add(1)
		return stored, core.Wrap(derr, core.KindUnknown, "compose.setifabsent")
	}
	return stored, nil
}

// Lock implements core.Locker with the lower (authoritative) tier's locks.
// It fails with core.KindNotSupported when the lower tier has none.
func (b *Backend) Lock(ctx context.Context, key string, lease time.Duration) (string, bool, error) {
	l, ok := b.lower.(core.Locker)
	if !ok {
		return "", false, notSupported("compose.lock")
	}
	return l.Lock(ctx, key, lease)
}

// Unlock implements core.Locker with the lower (authoritative) tier's locks.
// It fails with core.KindNotSupported when the lower tier has none.
func (b *Backend) Unlock(ctx context.Context, key, token string) (bool, error) {
	l, ok := b.lower.(core.Locker)
	if !ok {
		return false, notSupported("compose.unlock")
	}
	return l.Unlock(ctx, key, token)
}

// getMany reads keys from t in one call when it is a core.BatchGetter, else
// one by one.
func getMany(ctx context.Context, t core.Backend, keys []string) ([]core.BatchResult, error) {
	if bg, ok := t.(core.BatchGetter); ok {
		return bg.GetMany(ctx, keys)
	}
	res := make([]core.BatchResult, len(keys))
	for i, k := range keys {
		e, found, err := t.Get(ctx, k)
		if err != nil {
			return nil, err
		}
		res[i] = core.BatchResult{Entry: e, Found: found}
	}
	return res, nil
}

// setMany writes items to t in one call when it is a core.BatchSetter, else
// one by one.
func setMany(ctx context.Context, t core.Backend, items []core.BatchItem) error {
	if bs, ok := t.(core.BatchSetter); ok {
		return bs.SetMany(ctx, items)
	}
	for _, it := range items {
		if err := t.Set(ctx, it.Key, it.Value, it.TTL); err != nil {
			return err
		}
	}
	return nil
}

// GetMany implements core.BatchGetter, sequentially whatever the read
// policy: the upper tier first (one batch when it is a core.BatchGetter),
// then one lower-tier batch for the keys it lacked; fresh lower-tier hits are
// backfilled in one background task under the same rules as Get. An
// upper-tier failure falls through for every key; a lower-tier failure fails
// the call.
func (b *Backend) GetMany(ctx context.Context, keys []string) ([]core.BatchResult, error) {
	if len(keys) == 0 {
		return []core.BatchResult{}, nil
	}
	res, err := getMany(ctx, b.upper, keys)
	if err != nil || len(res) != len(keys) {
		b.st[upperTier].errors.Add(1)
		res = make([]core.BatchResult, len(keys))
	}
	var missing []int
	for i := range res {
		if res[i].Found && !res[i].Entry.Freshness.Stale {
			b.st[upperTier].hits.Add(1)
			continue
		}
		if res[i].Found {
			b.st[upperTier].staleHits.Add(1)
		} else if err == nil {
			b.st[upperTier].misses.Add(1)
		}
		missing = append(missing, i)
	}
	if len(missing) == 0 {
		return res, nil
	}
	lkeys := make([]string, len(missing))
	words := make([]uint64, len(missing))
	snaps := make([]bool, len(missing))
	for j, i := range missing {
		lkeys[j] = keys[i]
		words[j], snaps[j] = b.gens.snapshot(keys[i])
	}
	readAt := time.Now()
	lres, lerr := getMany(ctx, b.lower, lkeys)
	if lerr == nil && len(lres) != len(lkeys) {
		lerr = core.NewError(core.KindPermanent, "compose.getmany", "the lower tier returned a wrong number of results", nil)
	}
	if lerr != nil {
		b.st[lowerTier].errors.Add(1)
		return nil, core.Wrap(lerr, core.KindUnknown, "compose.getmany")
	}
	var fills []batchFill
	for j, i := range missing {
		r := lres[j]
		b.count(lowerTier, r.Entry, r.Found, nil)
		if !r.Found {
			res[i] = core.BatchResult{} // the lower tier is authoritative
			continue
		}
		res[i] = r
		if f, ok := b.prepareFill(keys[i], r.Entry, words[j], snaps[j]); ok {
			fills = append(fills, f)
		}
	}
	if len(fills) > 0 {
		out := b.off.Submit(ctx, "", func(ctx context.Context) {
			for _, f := range fills {
				if t, fr, ok := b.copyTTL(f.ttl, f.fresh, readAt); ok {
					b.applyBackfill(ctx, f.key, f.value, t, fr, f.word)
				}
			}
		})
		if out != offload.Accepted {
			b.bf.dropped.Add(uint64(len(fills)))
		} else {
			b.bf.submitted.Add(uint64(len(fills)))
		}
	}
	return res, nil
}

// batchFill is one pending backfill of a GetMany.
type batchFill struct {
	key   string
	value []byte
	ttl   time.Duration
	fresh core.Freshness // the value's, as the lower tier reported it
	word  uint64
}

// prepareFill applies the backfill rules of Get to one lower-tier hit.
func (b *Backend) prepareFill(key string, e core.Entry, word uint64, snapOK bool) (batchFill, bool) {
	if b.refill == RefillNever || !snapOK {
		b.bf.skipped.Add(1)
		return batchFill{}, false
	}
	ttl, ok := e.Freshness.Bound(b.cap)
	if !ok {
		b.bf.skipped.Add(1)
		return batchFill{}, false
	}
	v := bytes.Clone(e.Value)
	if v == nil {
		v = []byte{}
	}
	return batchFill{key: key, value: v, ttl: ttl, fresh: e.Freshness, word: word}, true
}

// SetMany implements core.BatchSetter, write-through whatever the write
// policy: the lower tier first (one batch when it is a core.BatchSetter),
// then the upper tier. A lower-tier failure fails the call and invalidates
// the upper copies; an upper-tier failure invalidates the upper copies and
// fails the call only if that fails too. While the composition follows live
// invalidations it writes around the upper tier, as Set does: the upper
// copies are deleted, not rewritten.
func (b *Backend) SetMany(ctx context.Context, items []core.BatchItem) error {
	for _, it := range items {
		if it.TTL < 0 {
			return &core.Error{Kind: core.KindInvalidInput, Op: "compose.setmany", Key: it.Key, Msg: "negative ttl"}
		}
	}
	if err := ctx.Err(); err != nil {
		return done(err, "compose.setmany")
	}
	words := make([]uint64, len(items))
	for i, it := range items {
		words[i] = b.gens.begin(it.Key)
	}
	defer func() {
		for _, it := range items {
			b.gens.end(it.Key)
		}
	}()
	if err := setMany(ctx, b.lower, items); err != nil {
		b.st[lowerTier].errors.Add(1)
		b.invalidateUpperMany(ctx, items)
		return core.Wrap(err, core.KindUnknown, "compose.setmany")
	}
	if b.writeAround() {
		var errs []error
		for _, it := range items {
			if err := b.dropUpper(it.Key); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) > 0 {
			return core.Wrap(errors.Join(errs...), core.KindUnknown, "compose.setmany")
		}
		return nil
	}
	if err := setMany(ctx, b.upper, items); err != nil {
		b.st[upperTier].errors.Add(1)
		if !b.invalidateUpperMany(ctx, items) {
			return core.Wrap(err, core.KindUnknown, "compose.setmany")
		}
		return nil
	}
	for i, it := range items {
		b.recheck(ctx, it.Key, words[i])
	}
	return nil
}

// DeleteMany implements core.BatchDeleter: the upper tier, then the lower
// (authoritative) tier, each in one batch when it is a core.BatchDeleter and
// key by key otherwise, as Delete does for one key. It fails when either
// tier fails; a lower-tier failure may leave some keys deleted.
func (b *Backend) DeleteMany(ctx context.Context, keys []string) error {
	if err := ctx.Err(); err != nil {
		return done(err, "compose.deletemany")
	}
	if len(keys) == 0 {
		return nil
	}
	for _, k := range keys {
		b.gens.begin(k)
	}
	defer func() {
		for _, k := range keys {
			b.gens.end(k)
		}
	}()
	uerr := deleteMany(ctx, b.upper, keys)
	if uerr != nil {
		b.st[upperTier].errors.Add(1)
	}
	lerr := deleteMany(ctx, b.lower, keys)
	if lerr != nil {
		b.st[lowerTier].errors.Add(1)
	}
	return bothErr("compose.deletemany", "", uerr, lerr)
}

// deleteMany deletes keys from t in one call when it is a core.BatchDeleter,
// else one by one, stopping at the first error.
func deleteMany(ctx context.Context, t core.Backend, keys []string) error {
	if bd, ok := t.(core.BatchDeleter); ok {
		return bd.DeleteMany(ctx, keys)
	}
	for _, k := range keys {
		if err := t.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// invalidateUpperMany deletes every item's key from the upper tier and
// reports whether all deletes succeeded.
func (b *Backend) invalidateUpperMany(ctx context.Context, items []core.BatchItem) bool {
	ok := true
	for _, it := range items {
		ok = b.invalidateUpper(ctx, it.Key) && ok
	}
	return ok
}

// Stats implements core.StatsReporter: one core.TierStats per tier, named
// "compose.<name>" (see WithNames), top to bottom. Hits, misses, stale hits,
// backfills and errors are the composition's own counts of what each tier
// answered it; evictions, entries, size and collisions come from the tier
// itself when it is a core.StatsReporter. A tier that is itself a
// composition (or reports several tiers) contributes its own list as it is.
func (b *Backend) Stats() []core.TierStats {
	out := make([]core.TierStats, 0, 2)
	for i, t := range [2]core.Backend{b.upper, b.lower} {
		var own []core.TierStats
		if r, ok := t.(core.StatsReporter); ok {
			own = r.Stats()
			if _, nested := t.(*Backend); nested || len(own) > 1 {
				out = append(out, own...)
				continue
			}
		}
		name := b.names[i]
		s := core.TierStats{}
		if len(own) == 1 {
			s = own[0]
			if name == "" {
				name = strings.TrimPrefix(s.Name, "compose.")
			}
		}
		if name == "" {
			name = b.defaultNames[i]
		}
		c := &b.st[i]
		s.Name = "compose." + name
		s.Hits = c.hits.Load()
		s.Misses = c.misses.Load()
		s.StaleHits = c.staleHits.Load()
		s.Backfills = c.backfills.Load()
		if i == upperTier {
			s.BackfillsDropped = b.bf.dropped.Load()
		}
		s.Errors = c.errors.Load()
		out = append(out, s)
	}
	return out
}
