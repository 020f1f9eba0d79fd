package core

import (
	"bytes"
	"context"
)

// BatchLoader loads the values of many keys at once (for example with one
// SQL query "WHERE id IN (...)"). It returns the values it found; a key it
// leaves out of the map is absent (not cached, not in GetOrLoadMany's
// result). Keys it returns that it was not asked for are ignored.
type BatchLoader[K comparable, V any] func(ctx context.Context, missing []K) (map[K]V, error)

// batchRounds bounds the rounds of GetOrLoadMany that join flights: a key
// whose flight ended without a usable result (its leader gave up, it loaded
// another type, or it read before a write of this client) is tried again;
// past this bound the call loads it without sharing.
const batchRounds = 3

// GetOrLoadMany returns the values of keys: the cached ones, and for the
// keys missing from every tier one call of load, whose values it caches
// (written back in one batch when the backend is a BatchSetter) and
// returns. key maps a K to its cache key (it follows the key rules; a bad
// one fails the call before any I/O). Duplicate keys are read once. The
// result holds every key that was cached or that load returned.
//
//   - Reads: the object cache, then one batch read (GetMany's path: L1
//     first in a composition, one Redis pipeline) of the keys it did not
//     answer. A read failing with a retryable kind (or an open circuit) is
//     answered by load (Stats.Degraded); a value that does not decode fails
//     the call.
//
//   - Sharing: each key missing from the cache joins the single-flight of
//     GetOrLoad: a key another GetOrLoad or GetOrLoadMany call of this client
//     is loading is not loaded again, its result is shared; the keys this
//     call leads go to load in ONE call. (The distributed fill lock is not
//     taken for batches.)
//
//   - Load: runs detached from ctx (bounded by WithLoadTimeout), so that
//     callers sharing it still get the values if this caller gives up; an
//     error from it is returned as is, and nothing is cached.
//
//   - Stale-while-revalidate, TTL and the write ordering of GetOrLoad apply
//     per key (a stale value is returned and refreshed by a call of load for
//     that key alone).
//
//   - Negative caching (WithNegativeCache, CacheAbsent): the keys load
//     leaves out are stored as negative entries; a key with a negative
//     entry is left out of the result and not loaded again until it expires.
//
// opts are GetOrLoad's: TTL, TTLJitter, StaleWhileRevalidate, FreshRatio,
// CacheAbsent (FillLock is accepted and has no effect).
func GetOrLoadMany[K comparable, V any](ctx context.Context, c *Client, keys []K, key func(K) string, load BatchLoader[K, V], opts ...CallOption) (map[K]V, error) {
	if load == nil || key == nil {
		return nil, &Error{Kind: KindInvalidInput, Op: "loadmany", Msg: "nil loader or key function"}
	}
	ls, err := c.callSettings("loadmany", true, opts)
	if err != nil {
		return nil, err
	}
	b := &batchLoad[K, V]{c: c, ls: ls, load: load, out: make(map[K]V, len(keys)), sks: make(map[K]string, len(keys))}
	var todo []K
	for _, k := range keys {
		if _, dup := b.sks[k]; dup {
			continue
		}
		ck := key(k)
		sk, err := c.StorageKey(ck)
		if err != nil {
			return nil, err
		}
		b.sks[k] = sk
		if c.sh.objects != nil {
			if v, ok := lookupObject[V](c, ck); ok {
				b.out[k] = v
				continue
			}
		}
		todo = append(todo, k)
	}
	for round := 0; len(todo) > 0; round++ {
		if todo, err = b.round(ctx, todo, round < batchRounds); err != nil {
			return nil, err
		}
	}
	return b.out, nil
}

// batchLoad is one GetOrLoadMany call.
type batchLoad[K comparable, V any] struct {
	c    *Client
	ls   callSettings
	load BatchLoader[K, V]
	out  map[K]V
	sks  map[K]string
}

// led is a key whose flight this call leads (call is nil when it loads
// without sharing, or once the flight is finished).
type led[K comparable] struct {
	k    K
	call *flightCall
	gen  uint64 // before the read
}

// round reads and loads todo: it leads the flights of the keys nobody is
// loading (all of them, without flights, when share is false) and waits
// for the others. It returns the keys to try again.
func (b *batchLoad[K, V]) round(ctx context.Context, todo []K, share bool) (again []K, err error) {
	c := b.c
	var (
		mine   []*led[K]
		others []K
		calls  []*flightCall
		joined []uint64
	)
	for _, k := range todo {
		sk := b.sks[k]
		if !share {
			mine = append(mine, &led[K]{k: k})
			continue
		}
		j := c.sh.versions.current(sk)
		call, leader := c.sh.flight.join(sk)
		if leader {
			mine = append(mine, &led[K]{k: k, call: call})
			continue
		}
		others, calls, joined = append(others, k), append(calls, call), append(joined, j)
	}
	// Every flight this call leads ends, even if the loader or a codec
	// panics: a flight left open would block its key for good.
	defer func() {
		for _, l := range mine {
			b.finish(l, nil, errLeaderGone)
		}
	}()
	if err := b.lead(ctx, mine); err != nil {
		return nil, err
	}
	for i, k := range others {
		select {
		case <-calls[i].done:
		case <-ctx.Done():
			return nil, Wrap(ctx.Err(), ContextKind(ctx.Err()), "loadmany")
		}
		v, ok, err := b.take(k, calls[i], joined[i])
		if err != nil {
			return nil, err
		}
		if !ok {
			again = append(again, k)
		}
		if ok && v != nil {
			b.out[k] = *v
		}
	}
	return again, nil
}

// take turns the result of another caller's flight of k into a value of
// this call. ok is false when the key must be tried again; v is nil for an
// absent key.
func (b *batchLoad[K, V]) take(k K, call *flightCall, joined uint64) (v *V, ok bool, err error) {
	if call.err == errLeaderGone {
		return nil, false, nil
	}
	if call.err != nil {
		return nil, false, call.err
	}
	switch r := call.val.(type) {
	case *flightRead:
		if joinedAfterWrite(joined, r.gen) {
			return nil, false, nil
		}
		x, err := decodeValue[V](b.c, bytes.Clone(r.entry.Value), true, b.sks[k])
		if err == ErrAbsent {
			return nil, true, nil
		}
		if err != nil {
			return nil, false, err
		}
		return &x, true, nil
	case *flightLoad:
		if joinedAfterWrite(joined, r.gen) {
			return nil, false, nil
		}
		if _, absent := r.v.(absentMarker); absent || r.v == nil {
			return nil, true, nil
		}
		x, isV := r.v.(V)
		if !isV {
			return nil, false, nil // loaded as another type
		}
		return &x, true, nil
	}
	return nil, false, nil
}

// lead reads the keys of mine in one batch, serves the hits, loads the
// misses in one call of load and writes them back in one batch, finishing
// each key's flight with its result.
func (b *batchLoad[K, V]) lead(ctx context.Context, mine []*led[K]) error {
	if len(mine) == 0 {
		return nil
	}
	c := b.c
	fresh := b.ls.swr || c.sh.objects != nil
	read := make([]string, len(mine))
	for i := range mine {
		read[i] = b.sks[mine[i].k]
		mine[i].gen = c.sh.versions.current(read[i]) // before the read
	}
	finish := b.finish
	res, _, rerr := c.readMany(ctx, read, fresh)
	if rerr != nil {
		if k := KindOf(rerr); !k.Retryable() && k != KindCircuitOpen {
			for _, l := range mine {
				finish(l, nil, rerr)
			}
			return rerr
		}
		c.sh.counters.degraded.Add(uint64(len(mine)))
		res = make([]BatchResult, len(mine)) // answered by the loader
	}
	var missing []*led[K]
	for i, l := range mine {
		if !res[i].Found {
			missing = append(missing, l)
			continue
		}
		e, sk := res[i].Entry, read[i]
		r := &flightRead{entry: e, gen: l.gen, stale: b.ls.swr && c.stale(e.Freshness, b.ls.ttl, b.ls.freshRatio)}
		v, err := serveRead[V](c, sk, r, bytes.Clone(e.Value), true, b.loadOne(l.k), b.ls.storeTTL())
		finish(l, r, nil)
		if err == ErrAbsent {
			continue // a negative-cache entry: absent, not loaded
		}
		if err != nil {
			for _, l := range mine[i+1:] {
				finish(l, nil, errLeaderGone)
			}
			return err
		}
		b.out[l.k] = v
	}
	if len(missing) == 0 {
		return nil
	}
	ks := make([]K, len(missing))
	for i, l := range missing {
		ks[i] = l.k
	}
	got, err := b.callLoad(ks)
	if err != nil {
		for _, l := range missing {
			finish(l, nil, err)
		}
		return err
	}
	ats := b.store(missing, got)
	for i, l := range missing {
		v, ok := got[l.k]
		if !ok && b.ls.absentTTL > 0 {
			finish(l, &flightLoad{v: absentMarker{}, gen: ats[i]}, nil) // cached as absent
			continue
		}
		if !ok {
			finish(l, nil, errLeaderGone) // absent: a GetOrLoad sharing the key loads it itself
			continue
		}
		b.out[l.k] = v
		finish(l, &flightLoad{v: v, gen: ats[i]}, nil)
	}
	return nil
}

// finish ends l's flight, once, with a result.
func (b *batchLoad[K, V]) finish(l *led[K], val any, err error) {
	if l.call != nil {
		b.c.sh.flight.finish(b.sks[l.k], l.call, val, err)
		l.call = nil
	}
}

// callLoad calls load for ks, detached from any caller and bounded by
// WithLoadTimeout.
func (b *batchLoad[K, V]) callLoad(ks []K) (m map[K]V, err error) {
	c := b.c
	ctx, cancel := context.WithTimeout(context.Background(), c.loadTimeout)
	defer cancel()
	c.sh.counters.loads.Add(1)
	t := c.opStart()
	defer func() {
		c.opDone(ctx, OpLoad, ResultOK, err, 0, t)
		if err != nil {
			c.sh.counters.loadErrors.Add(1)
		}
	}()
	defer recoverLoader(&err) // runs first
	return b.load(ctx, ks)
}

// store writes the loaded values of missing back (those no write of this
// client overtook), in one batch when the backend is a BatchSetter. A
// failed write-back is counted and logged, not returned. It returns, per
// key, the generation at which its value is this client's latest word.
func (b *batchLoad[K, V]) store(missing []*led[K], got map[K]V) []uint64 {
	c := b.c
	ctx, cancel := context.WithTimeout(context.Background(), c.loadTimeout)
	defer cancel()
	ats := make([]uint64, len(missing))
	var (
		items []BatchItem
		held  []int // indexes into missing of the keys being written back
		dones []chan struct{}
	)
	for i, l := range missing {
		ats[i] = l.gen
		var v any
		ttl := b.ls.storeTTL()
		if x, ok := got[l.k]; ok {
			v = x
		} else if b.ls.absentTTL > 0 {
			v, ttl = absentMarker{}, b.ls.absentTTL
		} else {
			continue
		}
		sk := b.sks[l.k]
		data, err := c.encode(sk, v)
		if err != nil {
			c.sh.warn.warn("cachekit: encoding a loaded value failed", KindOf(err), LogKeyOp, "loadmany", LogKeyNamespace, c.namespace)
			continue
		}
		verdict, done := c.sh.versions.beginStore(ctx, sk, l.gen)
		if verdict != storeNow {
			c.sh.counters.writesDropped.Add(1)
			continue
		}
		items = append(items, BatchItem{Key: sk, Value: data, TTL: ttl})
		held, dones = append(held, i), append(dones, done)
	}
	if len(items) > 0 {
		// Each write is bounded as a GetOrLoad write-back is (readTimeout:
		// OpTimeout under the reliability stack), not by the load timeout:
		// a backend that stops answering must not hold the batch's callers.
		wctx, wcancel := withOwnTimeout(ctx, c.readTimeout())
		t := c.opStart()
		absent, err := useCapability(wctx, c, "loadmany", "BatchSetter", func(ctx context.Context, bs BatchSetter) error {
			return bs.SetMany(ctx, items)
		})
		wcancel()
		if absent {
			err = nil
			for _, it := range items {
				wctx, wcancel := withOwnTimeout(ctx, c.readTimeout())
				werr := c.write(wctx, it.Key, it.Value, it.TTL)
				wcancel()
				if werr != nil && err == nil {
					err = werr
				}
			}
		} else {
			c.opDoneEach(ctx, OpSet, len(items), err, func(i int) int { return len(items[i].Value) }, t)
			if err != nil {
				c.sh.counters.errors.Add(1)
			}
		}
		if err != nil {
			c.sh.warn.warn("cachekit: storing loaded values failed", KindOf(err), LogKeyOp, "setmany", LogKeyNamespace, c.namespace)
		}
	}
	for j, i := range held {
		ats[i] = c.sh.versions.endStore(items[j].Key, dones[j])
	}
	return ats
}

// loadOne is load for one key, as a background refresh calls it.
func (b *batchLoad[K, V]) loadOne(k K) func(context.Context) (any, error) {
	return func(ctx context.Context) (any, error) {
		m, err := b.load(ctx, []K{k})
		if err != nil {
			return nil, err
		}
		v, ok := m[k]
		if !ok && b.ls.absentTTL > 0 {
			return absentMarker{ttl: b.ls.absentTTL}, nil
		}
		if !ok {
			return nil, &Error{Kind: KindPermanent, Op: "loadmany", Msg: "the batch loader no longer returns the key"}
		}
		return v, nil
	}
}
