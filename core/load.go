package core

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"
)

// Loader produces the value for a key on a miss (or a refresh).
type Loader[T any] func(ctx context.Context) (T, error)

// GetOrLoad returns the value cached under key, or calls load, caches what it
// returns and returns it (read-through). opts tune this call: TTL (of the
// value stored), StaleWhileRevalidate and FreshRatio.
//
//   - Single-flight: however many goroutines of this process ask for the same
//     key at once, the backend is read once and, on a miss, load runs once;
//     all of them get the result (a hit is decoded by each caller into its
//     own value; a loaded value is the one value load returned). A fresh hit
//     in an in-process tier (a backend that is a tier.LocalGetter, such as
//     l1/bigcache or a composition over it) and an object-cache hit are
//     answered before any flight. The first caller reads (and loads) on its
//     own goroutine; a caller that gives up (its ctx done) returns at once
//     with a KindCanceled/KindTimeout error and the others still get the
//     value: a read the first caller gives up is made again by one of the
//     others, and a load runs detached from any one caller's context, to
//     its end (bounded by WithLoadTimeout); its context keeps the first
//     caller's values (a trace span, say) but not its cancellation.
//   - Stale-while-revalidate (on by default except for the minimal preset):
//     a value past its fresh window (DefaultFreshRatio of its TTL, ±10 %
//     jitter, or a backend's server-side stale flag) but not yet expired is
//     returned at once while one background refresh runs. A refresh never
//     overwrites a Set or Delete made meanwhile by this client; its errors
//     are absorbed, logged and counted (Stats.RefreshErrors). Past expiry the
//     caller waits for the load.
//   - A read that fails with a retryable kind (transient, timeout,
//     backpressure) or an open circuit is answered by the loader (counted in
//     Stats.Degraded), except with the minimal preset, which returns the
//     error.
//   - Self-healing: a stored value that cannot be read — it does not decode
//     (truncated, foreign, another type), does not decrypt or authenticate,
//     or is over the size limit — is a miss: the loader runs (once per
//     flight), its value overwrites the bad one (unless this client wrote
//     the key meanwhile), and the event is counted in Stats.SelfHealed and
//     logged, rate-limited, without key or value. Get still returns the
//     typed error.
//   - A loader error is returned as is and nothing is cached, except
//     ErrAbsent under negative caching (WithNegativeCache, CacheAbsent):
//     then a negative entry is stored, and this call and later reads of
//     the key return ErrAbsent without calling the loader until it expires.
//   - With the distributed fill lock (WithFillLock; on when WithPreset
//     names production, secure or io), a miss is loaded once across every
//     process sharing the backend: see WithFillLock.
//   - If storing the loaded value fails, the value is still returned with a
//     nil error; the failure is counted in Stats.Errors and logged
//     (rate-limited).
//   - A value loaded after a miss is written back with the backend's
//     SetIfAbsent when it is a ConditionalSetter (backend/redis): a Set of
//     another process that landed while the load ran is not overwritten.
//   - While a loaded value is being written back, a Set or Delete of its
//     key by this client waits for that write (or for its own context), so
//     that it lands after it; writes of other keys never wait.
//   - A load that this client's Set or Delete of the key overtook is not
//     stored. A caller that joins a flight (a shared read or load) after
//     such a write began never takes what the flight read or loaded before
//     the write: it reads again (once), so that it sees its own client's
//     write. Callers that were already waiting before the write get the
//     flight's result, which is linearizable: they began before the write
//     returned.
func GetOrLoad[T any](ctx context.Context, c *Client, key string, load Loader[T], opts ...CallOption) (T, error) {
	var zero T
	if load == nil {
		return zero, &Error{Kind: KindInvalidInput, Op: "load", Msg: "nil loader"}
	}
	ls, err := c.callSettings("load", true, opts)
	if err != nil {
		return zero, err
	}
	if c.sh.objects != nil {
		if err := ValidateKey(key); err != nil {
			return zero, err
		}
		if v, ok := lookupObject[T](c, key); ok {
			return v, nil
		}
	}
	sk, err := c.StorageKey(key)
	if err != nil {
		return zero, err
	}

	// In-process tiers answer outside the flight: a local hit costs no
	// coordination. A copy the stack checked on its way in (readLocal)
	// decodes without the guard's walk, as in Get. Its freshness comes from
	// a coarse clock (off by at most the clock's lag, about a millisecond),
	// which is exact enough to decide staleness; the object cache, which
	// keeps what it decodes for the time left, takes the path below.
	if c.marked != nil && c.sh.objects == nil {
		var gen uint64
		if ls.swr {
			gen = c.sh.versions.current(sk) // before the read: a Set meanwhile wins over a refresh
		}
		if data, fresh, mark, found := c.readLocal(ctx, sk); found {
			var v T
			if err := decodeMarked(c, data, sk, mark, &v); err != nil {
				if unreadable(err) {
					return heal(ctx, c, sk, gen, ls.storeTTL(), anyLoader(ls, load), load, err)
				}
				return v, err
			}
			if ls.swr && c.stale(fresh, ls.ttl, ls.freshRatio) {
				c.sh.counters.staleServed.Add(1)
				c.refreshInBackground(sk, gen, anyLoader(ls, load), ls.storeTTL())
			}
			return v, nil
		}
	} else if lg, ok := c.backend.(localGetter); ok {
		var gen uint64
		if c.sh.objects != nil || ls.swr {
			gen = c.sh.versions.current(sk) // before the read: a Set meanwhile wins over a refresh
		}
		t := c.opStart()
		if e, found, err := lg.GetLocal(ctx, sk); err == nil && found && len(e.Value) <= c.maxStored {
			c.sh.counters.hits.Add(1)
			c.opDone(ctx, OpGet, ResultHit, nil, len(e.Value), t)
			r := &flightRead{entry: e, gen: gen, stale: ls.swr && c.stale(e.Freshness, ls.ttl, ls.freshRatio)}
			loadAny := anyLoader(ls, load)
			v, err := serveRead[T](c, sk, r, e.Value, false, loadAny, ls.storeTTL())
			if err != nil && unreadable(err) {
				return heal(ctx, c, sk, gen, ls.storeTTL(), loadAny, load, err)
			}
			return v, err
		}
	}

	// Everything else is one flight per key: the backend read and, on a
	// miss, the load are shared by every caller that asks meanwhile.
	loadAny := anyLoader(ls, load)
	var (
		v      any
		shared bool
	)
	for attempt := 0; ; attempt++ {
		joined := c.sh.versions.current(sk)
		v, shared, err = c.sh.flight.do(ctx, sk, func(ctx context.Context, finish func(any, error)) {
			c.readOrLoad(ctx, sk, ls, loadAny, finish)
		})
		if err != nil {
			return zero, err
		}
		// A caller that joined the flight after a Set or Delete of this
		// client began must not take what the flight's read saw (or loaded)
		// before that write: it reads again, once, so that it sees its
		// client's write (a second overtaken result is returned).
		var read uint64
		switch r := v.(type) {
		case *flightLoad:
			v, read = r.v, r.gen
		case *flightRead:
			read = r.gen
		}
		if attempt > 0 || !joinedAfterWrite(joined, read) {
			break
		}
	}
	if r, ok := v.(*flightRead); ok {
		// The read's bytes are the flight's (a Backend's Get returns memory
		// the caller owns): one caller alone may decode and decrypt them in
		// place; callers that share them each decode a copy of their own.
		data := r.entry.Value
		if shared {
			data = bytes.Clone(data)
		}
		t, err := serveRead[T](c, sk, r, data, true, loadAny, ls.storeTTL())
		if err != nil && unreadable(err) {
			return heal(ctx, c, sk, r.gen, ls.storeTTL(), loadAny, load, err)
		}
		return t, err
	}
	return loadedAs(ctx, c, v, load)
}

// loadedAs turns a flight's loaded value v into GetOrLoad's answer: an
// absent marker is ErrAbsent; a value of another type — another call
// loaded this key as a different type at the same time — makes this call
// load its own (rare; the keys of two types should differ).
func loadedAs[T any](ctx context.Context, c *Client, v any, load Loader[T]) (T, error) {
	if _, absent := v.(absentMarker); absent {
		var zero T
		return zero, ErrAbsent
	}
	t, ok := v.(T)
	if !ok && v != nil {
		return callLoader(ctx, c, load)
	}
	return t, nil
}

// unreadable reports whether err says a stored value cannot be read: it
// does not decode (a truncated or foreign frame, another type), does not
// decrypt or authenticate (a flipped byte, another tenant's key), or is over
// the size limit. GetOrLoad and Cached treat such a value as a miss.
func unreadable(err error) bool {
	switch KindOf(err) {
	case KindSerialization, KindEncryption, KindPayloadTooLarge:
		return true
	}
	return false
}

// anyLoader is load as a GetOrLoad flight calls it (see absentAware). A
// local hit makes none: it is built where a load may follow.
func anyLoader[T any](ls callSettings, load Loader[T]) func(context.Context) (any, error) {
	return absentAware(ls, func(ctx context.Context) (any, error) { return load(ctx) })
}

// heal answers a GetOrLoad whose stored value could not be read (cause):
// it counts and logs (rate-limited) the event, then runs the loader in a
// flight of the key and overwrites the bad value with the loaded one,
// unless a write of this client since gen, taken before the read, overtook
// it. Callers of the key asking meanwhile share the load.
func heal[T any](ctx context.Context, c *Client, sk string, gen uint64, ttl time.Duration, loadAny func(context.Context) (any, error), load Loader[T], cause error) (T, error) {
	var zero T
	c.sh.counters.selfHealed.Add(1)
	c.observeSelfHeal(ctx, cause)
	c.sh.warn.warn("cachekit: a stored value could not be read; GetOrLoad treated it as a miss and replaces it", KindOf(cause))
	v, _, err := c.sh.flight.do(ctx, sk, func(ctx context.Context, finish func(any, error)) {
		c.runLoad(ctx, sk, gen, ttl, loadAny, overwrite, nil, finish)
	})
	if err != nil {
		return zero, err
	}
	switch r := v.(type) {
	case *flightLoad:
		v = r.v
	case *flightRead:
		// Joined a flight that read the key afresh: decode what it read.
		t, err := decodeValue[T](c, bytes.Clone(r.entry.Value), true, sk)
		if err == nil {
			return t, nil
		}
		return callLoader(ctx, c, load)
	}
	return loadedAs(ctx, c, v, load)
}

// flightRead is a backend hit, shared by the callers of one flight: each
// decodes it into its own T. The first to serve a stale one starts the
// background refresh.
type flightRead struct {
	entry   Entry
	gen     uint64 // stripe generation before the read (object cache, refresh)
	stale   bool
	claimed atomic.Bool
}

// serveRead decodes data, r's bytes or a copy of them, for one caller;
// owned says that the caller has data to itself, so it may be decrypted in
// place. It starts the refresh of a stale value once, and keeps a fresh
// value in the object cache.
//
// A codec may decode into values that share the bytes (msgpack bin into a
// []byte does), so callers that share a read each decode a copy taken
// before any of them has a value: no two callers' values share memory.
func serveRead[T any](c *Client, sk string, r *flightRead, data []byte, owned bool, load func(context.Context) (any, error), ttl time.Duration) (T, error) {
	v, err := decodeValue[T](c, data, owned, sk)
	if err != nil {
		return v, err
	}
	switch {
	case r.stale:
		c.sh.counters.staleServed.Add(1)
		if r.claimed.CompareAndSwap(false, true) {
			c.refreshInBackground(sk, r.gen, load, ttl)
		}
	case c.sh.objects != nil:
		c.keepObject(sk, r.gen, v, r.entry.Freshness)
	}
	return v, nil
}

// readOrLoad leads a GetOrLoad flight for sk on the calling goroutine and
// ends it with finish: one backend read, bounded by WithLoadTimeout and by
// ctx, the leader's context; on a miss, or a read failing with a retryable
// kind (answered by the loader, counted in Stats.Degraded), one load.
//
// If ctx ends during the read, the flight ends without a result and the
// callers still waiting start over. The load runs on the calling goroutine
// when ctx can never end; otherwise on a goroutine of its own, detached from
// ctx, so that the leader can give up while the others (and the cache) still
// get the value.
func (c *Client) readOrLoad(ctx context.Context, sk string, ls callSettings, load func(context.Context) (any, error), finish func(any, error)) {
	gen := c.sh.versions.current(sk) // before the read: a Set meanwhile wins over the load
	rctx, cancel := withOwnTimeout(ctx, c.readTimeout())
	// Freshness matters to stale-while-revalidate and the object cache only.
	e, found, err := c.read(rctx, sk, ls.swr || c.sh.objects != nil)
	cancel()
	switch {
	case err != nil:
		if ctx.Err() != nil {
			finish(nil, errLeaderGone)
			return
		}
		k := KindOf(err)
		if unreadable(err) {
			break
		}
		if !unreachable(k) || c.preset == PresetMinimal {
			finish(nil, err)
			return
		}
		c.sh.counters.degraded.Add(1)
		c.sh.warn.warn("cachekit: the backend is unavailable; GetOrLoad answered from the loader", k)
	case found:
		finish(&flightRead{entry: e, gen: gen, stale: ls.swr && c.stale(e.Freshness, ls.ttl, ls.freshRatio)}, nil)
		return
	}
	if err != nil && unreadable(err) {
		// Over the size limit: a miss that the load overwrites.
		c.sh.counters.selfHealed.Add(1)
		c.observeSelfHeal(ctx, err)
		c.sh.warn.warn("cachekit: a stored value could not be read; GetOrLoad treated it as a miss and replaces it", KindOf(err))
		c.runLoad(ctx, sk, gen, ls.storeTTL(), load, overwrite, nil, finish)
		return
	}
	var fill *callSettings
	if err == nil && ls.fillLock {
		f := ls // a copy: taking ls's address would move it to the heap on every call
		fill = &f
	}
	c.runLoad(ctx, sk, gen, ls.storeTTL(), load, afterMiss, fill, finish)
}

// runLoad loads sk and writes it back (see loadAndStore), then ends the
// flight with finish: on the calling goroutine when ctx can never end;
// otherwise on a goroutine of its own, detached from ctx, so that the
// leader can give up while the others (and the cache) still get the value.
// With fill (the call's settings, when it takes the distributed fill lock)
// it first coordinates with the other processes (awaitFill), and ends the
// flight with the value another process wrote if there is one.
func (c *Client) runLoad(ctx context.Context, sk string, gen uint64, ttl time.Duration, load func(context.Context) (any, error), mode storeMode, fill *callSettings, finish func(any, error)) {
	if ctx.Done() == nil {
		c.loadFlight(ctx, sk, gen, ttl, load, mode, fill, finish)
		return
	}
	c.spawn(func() { c.loadFlight(ctx, sk, gen, ttl, load, mode, fill, finish) })
}

// loadFlight is runLoad's work, on whichever goroutine runLoad chose (a
// function of its own so that the inline case allocates no closure).
func (c *Client) loadFlight(ctx context.Context, sk string, gen uint64, ttl time.Duration, load func(context.Context) (any, error), mode storeMode, fill *callSettings, finish func(any, error)) {
	if fill != nil {
		// A miss (not a degraded read): coordinate with the fleet.
		hit, unlock := c.awaitFill(sk, *fill)
		if hit != nil {
			finish(hit, nil)
			return
		}
		defer unlock()
	}
	v, at, err := c.loadAndStore(ctx, sk, gen, ttl, load, mode)
	if err != nil {
		finish(nil, err)
		return
	}
	finish(&flightLoad{v: v, gen: at}, nil)
}

// readTimeout bounds the backend read of a GetOrLoad flight: WithLoadTimeout,
// and the stack's OpTimeout when it is shorter.
func (c *Client) readTimeout() time.Duration {
	if c.sh.st != nil {
		return min(c.loadTimeout, c.sh.st.cfg.OpTimeout)
	}
	return c.loadTimeout
}

// stale reports whether a value read with freshness f, stored with ttl, is
// past its fresh window.
func (c *Client) stale(f Freshness, ttl time.Duration, ratio float64) bool {
	if f.Stale {
		return true
	}
	if !f.Known || f.NoExpiry || ttl <= 0 {
		return false
	}
	// The fresh window is ttl × ratio, jittered by ±10 % per read. Only an
	// age inside the jitter band needs the random draw: younger is fresh
	// and older is stale whatever it draws (most reads of a hot key).
	age, base := float64(ttl-f.FreshFor), float64(ttl)*ratio
	switch {
	case age <= 0.9*base:
		return false
	case age > 1.1*base:
		return true
	}
	fresh := time.Duration(base * (0.9 + 0.2*rand.Float64()))
	return ttl-f.FreshFor > fresh
}

func callLoader[T any](ctx context.Context, c *Client, load Loader[T]) (v T, err error) {
	defer recoverLoader(&err)
	c.sh.counters.loads.Add(1)
	t := c.opStart()
	v, err = load(ctx)
	c.opDone(ctx, OpLoad, ResultOK, err, 0, t)
	if err != nil {
		c.sh.counters.loadErrors.Add(1)
	}
	return v, err
}

// flightLoad is a flight's loaded value. gen is the generation at which it
// is this client's latest word on the key: taken after its write-back, or,
// when it was not written back (a Set or Delete of this client overtook
// it), the generation before the read that missed.
type flightLoad struct {
	v   any
	gen uint64
}

// storeMode says how loadAndStore writes a loaded value back.
type storeMode uint8

const (
	// afterMiss: the value was loaded after a read that missed (or could
	// not reach the backend). It is written only where the key is still
	// absent when the backend is a ConditionalSetter, so that it never
	// overwrites a value another process wrote meanwhile.
	afterMiss storeMode = iota
	// overwrite: the value replaces what is stored (a refresh of a stale
	// value, or a value that could not be read).
	overwrite
)

// loadAndStore calls load with a context detached from parent's end (it
// keeps parent's values) and bounded by WithLoadTimeout, and writes the
// result back (as mode says) unless the key was written or deleted by this
// client since gen, the stripe generation taken before the read that
// missed. at is the generation at which v is current: after the write-back
// (tried: a failed write-back is only logged, rate-limited), or gen when v
// was not written back.
func (c *Client) loadAndStore(parent context.Context, sk string, gen uint64, ttl time.Duration, load func(context.Context) (any, error), mode storeMode) (v any, at uint64, err error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), c.loadTimeout) // the leader's values (its trace span), not its end
	defer cancel()
	c.sh.counters.loads.Add(1)
	t := c.opStart()
	v, err = func() (v any, err error) {
		defer recoverLoader(&err)
		return load(ctx)
	}()
	c.opDone(ctx, OpLoad, ResultOK, err, 0, t)
	if err != nil {
		c.sh.counters.loadErrors.Add(1)
		return nil, gen, err
	}
	ttl = absentTTL(v, ttl)
	data, encErr := c.encode(sk, v)
	if encErr != nil {
		return nil, gen, encErr
	}
	switch verdict, done := c.sh.versions.beginStore(ctx, sk, gen); verdict {
	case storeGaveUp:
		// Timed out behind another load's write-back of sk: no write of
		// this client overtook the value.
		c.sh.counters.writesDropped.Add(1)
		return v, gen, nil
	case storeOvertaken:
		c.sh.counters.writesDropped.Add(1)
		return v, gen, nil
	default:
		wctx, wcancel := writeContext(ctx, c.readTimeout())
		werr := c.writeBack(wctx, sk, data, ttl, mode)
		wcancel()
		at = c.sh.versions.endStore(sk, done)
		if werr != nil {
			c.sh.warn.warn("cachekit: storing a loaded value failed", KindOf(werr), LogKeyOp, "set", LogKeyNamespace, c.namespace, LogKeyHash, KeyHash(sk))
		}
		return v, at, nil
	}
}

// writeContext bounds a write-back made under ctx, the load's context, by
// d: withOwnTimeout(ctx, d), or ctx itself when its deadline comes first
// anyway (with the default settings it does: the load timeout started
// before the load). The two are the same to the write — the same deadline,
// and a deadline that passes is ctx's own either way (callerDone) — but
// the second costs no context, timer or registration with ctx.
func writeContext(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return ctx, func() {}
	}
	return withOwnTimeout(ctx, d)
}

// writeBack stores a loaded value as mode says: after a miss, with the
// backend's SetIfAbsent when it is a ConditionalSetter (a value found
// present is not overwritten, and counts in Stats.WritesDropped); otherwise
// with Set.
func (c *Client) writeBack(ctx context.Context, sk string, data []byte, ttl time.Duration, mode storeMode) error {
	if mode == afterMiss {
		if cs, ok := c.backend.(ConditionalSetter); ok {
			var stored bool
			err := c.withRetry(ctx, func(ctx context.Context) (err error) {
				stored, err = cs.SetIfAbsent(ctx, sk, data, ttl)
				return err
			})
			if err == nil || KindOf(err) != KindNotSupported {
				if err != nil {
					c.sh.counters.errors.Add(1)
					return Wrap(err, KindUnknown, "set")
				}
				if !stored {
					c.sh.counters.writesDropped.Add(1)
				}
				return nil
			}
			// A wrapper whose lower tier lacks it: a plain Set.
		}
	}
	return c.write(ctx, sk, data, ttl)
}

// recoverLoader turns a panicking loader into an error, so that a loader bug
// cannot crash the process from a background goroutine.
func recoverLoader(err *error) {
	if r := recover(); r != nil {
		*err = &Error{Kind: KindUnknown, Op: "load", Msg: fmt.Sprintf("loader panicked: %v", r)}
	}
}

// spawn runs f on a goroutine tracked by Wait/Close.
func (c *Client) spawn(f func()) {
	c.sh.pending.Add(1)
	c.sh.bg.Add(1)
	go func() {
		defer c.sh.bg.Done()
		defer c.sh.pending.Add(-1)
		f()
	}()
}

// refreshInBackground starts one bounded background refresh of sk, unless
// one (or a load) is already under way, the bound is reached, or the client
// is closed. gen is the stripe generation taken before the stale read: a
// Set or Delete of this client since then wins over the refresh.
func (c *Client) refreshInBackground(sk string, gen uint64, load func(context.Context) (any, error), ttl time.Duration) {
	if c.sh.closed.Load() {
		c.sh.counters.refreshSkipped.Add(1)
		return
	}
	select {
	case c.sh.refresh <- struct{}{}:
	default:
		c.sh.counters.refreshSkipped.Add(1)
		return
	}
	started := c.sh.refreshes.start(sk, c.spawn, func() (any, error) {
		defer func() { <-c.sh.refresh }()
		release, ok := c.claimRefresh(sk)
		if !ok { // another process is refreshing the key
			c.sh.counters.refreshSkipped.Add(1)
			return nil, nil
		}
		defer release()
		v, _, err := c.loadAndStore(context.Background(), sk, gen, ttl, load, overwrite)
		if err != nil {
			c.sh.counters.refreshErrors.Add(1)
			c.sh.warn.warn("cachekit: background refresh failed", KindOf(err), LogKeyOp, "refresh", LogKeyNamespace, c.namespace, LogKeyHash, KeyHash(sk))
		}
		return v, err
	})
	if !started {
		<-c.sh.refresh
		c.sh.counters.refreshSkipped.Add(1)
		return
	}
	c.sh.counters.refreshes.Add(1)
}

// Cached wraps fn so that its results are cached per argument: the wrapped
// function calls GetOrLoad under the key "{name}:{arg}". The argument must be
// a string, a bool, or an integer type; for other argument types use
// CachedWithKey. name follows the key rules.
//
// The key is a plain concatenation: name "a" with argument "b:c" and name
// "a:b" with argument "c" share the key "a:b:c", as do the arguments "1"
// and 1 of two functions with one name. Give each function a name no other
// name extends across a ':', or key calls with CachedWithKey and an
// unambiguous encoding (the protocol module's interop keys hash the
// canonical arguments).
//
// opts apply to every call as they do to GetOrLoad: TTL,
// StaleWhileRevalidate, FreshRatio.
func Cached[A any, R any](c *Client, name string, fn func(context.Context, A) (R, error), opts ...CallOption) func(context.Context, A) (R, error) {
	return CachedWithKey(c, name, fn, defaultArgKey[A], opts...)
}

// CachedWithKey is Cached with a caller-supplied key function: the key of a
// call is "{name}:{key(arg)}".
func CachedWithKey[A any, R any](c *Client, name string, fn func(context.Context, A) (R, error), key func(A) (string, error), opts ...CallOption) func(context.Context, A) (R, error) {
	return func(ctx context.Context, arg A) (R, error) {
		var zero R
		if fn == nil || key == nil {
			return zero, &Error{Kind: KindInvalidInput, Op: "cached", Msg: "nil function or key function"}
		}
		k, err := key(arg)
		if err != nil {
			return zero, Wrap(err, KindInvalidInput, "cached")
		}
		return GetOrLoad(ctx, c, name+":"+k, func(ctx context.Context) (R, error) { return fn(ctx, arg) }, opts...)
	}
}

func defaultArgKey[A any](arg A) (string, error) {
	switch v := any(arg).(type) {
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case int:
		return strconv.FormatInt(int64(v), 10), nil
	case int8:
		return strconv.FormatInt(int64(v), 10), nil
	case int16:
		return strconv.FormatInt(int64(v), 10), nil
	case int32:
		return strconv.FormatInt(int64(v), 10), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint8:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint16:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint32:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	}
	return "", &Error{Kind: KindInvalidInput, Op: "cached",
		Msg: fmt.Sprintf("argument type %T has no default key; use CachedWithKey", arg)}
}
