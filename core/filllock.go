package core

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// The distributed fill lock: single-flight across processes. Inside one
// process the flight group already runs one load per key; the fill lock
// extends that to a fleet that shares a backend, with the lock convention of
// the other CacheKit SDKs (Redis: SET "<storage key>:lock" <token> NX PX
// <lease>, released by a compare-and-delete script; the CacheKit API:
// POST/DELETE /v1/cache/{key}/lock).
//
// On a miss the flight's leader tries the key's lock once. The holder reads
// the key once more (another process may have filled it between the miss
// and the lock), loads, writes the value back and releases the lock. A
// process that finds the lock held waits: it sleeps with a growing, jittered
// backoff (5 ms doubling up to 100 ms, the other SDKs' poll interval),
// re-reads the key (at once when the stack reports the key's change: a
// composition following Redis's invalidations wakes its waiters by the
// holder's write) and returns the value as soon as it is there, and tries
// the lock again at every step, so that when a holder dies its lease runs
// out and one waiter takes the lock and loads. A waiter whose wait bound
// runs out loads without the lock; a lock or read error loads at once
// (fail-open): the fill lock can cost a duplicate load, never an error.
// A lock this client took and could not release (strayLocks) does not make
// its own next miss of the key wait: that miss frees it and takes it anew;
// nor does one whose attempt timed out (it may have been taken all the
// same): that miss loads without the lock.

// Defaults of the fill lock (WithFillLock).
const (
	// DefaultFillLockLease is the lease of a fill lock: 5 s, as the other
	// CacheKit SDKs take it.
	DefaultFillLockLease = 5 * time.Second
	// DefaultFillLockWait bounds how long a process waits for another
	// process's load before it loads itself: twice the default lease, so
	// that a dead holder's lease runs out (and one waiter takes the lock)
	// well before every waiter gives up.
	DefaultFillLockWait = 2 * DefaultFillLockLease
)

// Backoff of a fill-lock waiter between two re-reads.
const (
	fillPollMin = 5 * time.Millisecond
	fillPollMax = 100 * time.Millisecond
)

// changeWaiter is a backend that can tell a waiter when another process
// changes a key (compose.Backend over a tier that reports invalidations):
// WaitChange's channel is closed on a change of key; ok is false when the
// backend does not follow changes right now.
type changeWaiter interface {
	WaitChange(key string) (ch <-chan struct{}, cancel func(), ok bool)
}

// fillLock are a client's fill-lock settings.
type fillLock struct {
	on    bool
	lease time.Duration
	wait  time.Duration
	poll  time.Duration // the longest backoff between re-reads (fillPollMax; tests change it)
}

// defaultFillLock says whether the preset takes the fill lock: every preset
// but minimal (the protocol's minimal preset runs without a reliability
// stack). This is the one place the presets' fill-lock default is defined;
// like the reliability stack, it applies when WithPreset names the preset.
func (p Preset) defaultFillLock() bool { return p != PresetMinimal }

// WithFillLock turns the distributed fill lock of GetOrLoad and Cached on,
// with the given lease and wait bound, overriding the preset (on by default
// when WithPreset names production, secure or io; off for minimal and
// without WithPreset). On a miss, one process of
// the fleet takes the key's lock for lease, loads and writes the value; the
// others poll the key (bounded by wait) and return the written value. A
// holder that dies loses the lock when its lease runs out, and one waiter
// takes over. A waiter whose wait runs out, or that meets a lock or read
// error, loads itself. The lock is taken on the backend's core.Locker (on a
// backend without one, GetOrLoad loads as without the lock).
//
// Size lease above the loader's usual duration: a load that outlives it
// loses exclusivity (another process may load too). 0 < lease ≤
// MaxLockLease and 0 < wait ≤ MaxLockLease; other values are a KindConfig
// error. Defaults: DefaultFillLockLease and DefaultFillLockWait.
func WithFillLock(lease, wait time.Duration) Option {
	return func(s *settings) error {
		if lease <= 0 || lease > MaxLockLease {
			return configErr("WithFillLock: lease " + lease.String() + " is outside (0, " + MaxLockLease.String() + "]")
		}
		if wait <= 0 || wait > MaxLockLease {
			return configErr("WithFillLock: wait " + wait.String() + " is outside (0, " + MaxLockLease.String() + "]")
		}
		s.fill = fillLock{on: true, lease: lease, wait: wait}
		s.fillSet = true
		return nil
	}
}

// WithoutFillLock turns the distributed fill lock off, overriding the
// preset: each process loads on its own miss (single-flight still holds
// inside the process).
func WithoutFillLock() Option {
	return func(s *settings) error {
		s.fill = fillLock{lease: DefaultFillLockLease, wait: DefaultFillLockWait}
		s.fillSet = true
		return nil
	}
}

// FillLock turns the distributed fill lock on or off for one GetOrLoad or
// Cached call, overriding the client's setting (WithFillLock,
// WithoutFillLock, the preset). It is read-through only. Turned on for a
// client whose preset has it off, it uses DefaultFillLockLease and
// DefaultFillLockWait unless WithFillLock set others.
func FillLock(on bool) CallOption { return CallOption{kind: callFillLock, on: on} }

// resolveFillLock applies the preset's default when no option chose.
func (s *settings) resolveFillLock() fillLock {
	f := s.fill
	if f.lease == 0 {
		f.lease, f.wait = DefaultFillLockLease, DefaultFillLockWait
	}
	if !s.fillSet {
		f.on = s.presetSet && s.preset.defaultFillLock()
	}
	f.poll = fillPollMax
	return f
}

// awaitFill coordinates the load of sk, a key this process just missed, with
// the other processes of the fleet. It returns either hit, the value another
// process wrote meanwhile (the caller returns it and loads nothing), or
// unlock, which the caller calls once it has loaded and written the value
// back (a no-op when it loads without the lock: the lock was busy until the
// wait bound, failed, or the backend has none).
func (c *Client) awaitFill(sk string, ls callSettings) (hit *flightRead, unlock func()) {
	ctx, cancel := context.WithTimeout(context.Background(), c.fill.wait)
	defer cancel()
	fresh := ls.swr || c.sh.objects != nil
	reread := func() (*flightRead, bool) {
		gen := c.sh.versions.current(sk)
		// Each re-read is bounded as the flight's first read is (readTimeout:
		// OpTimeout under the reliability stack), not by the whole wait:
		// a backend that stops answering must not hold the flight, and
		// every caller that joined it, for the wait bound. The deadline is
		// the client's own: running into it counts against the backend.
		rctx, rcancel := withOwnTimeout(ctx, c.readTimeout())
		e, found, err := c.readBackend(rctx, sk, fresh)
		rcancel()
		if err != nil {
			c.sh.counters.errors.Add(1)
			return nil, false
		}
		if !found {
			return nil, true
		}
		c.sh.counters.fillWaits.Add(1)
		return &flightRead{entry: e, gen: gen, stale: ls.swr && c.stale(e.Freshness, ls.ttl, ls.freshRatio)}, true
	}
	backoff := fillPollMin
	for {
		l, acquired, err := c.tryFillLock(ctx, sk)
		if err != nil {
			return nil, func() {} // fail-open: load without the lock
		}
		if acquired {
			// The previous holder may have written the value and released
			// the lock between our miss and our lock: read once more.
			r, _ := reread()
			if r != nil {
				l.release(c)
				return r, nil
			}
			return nil, func() { l.release(c) }
		}
		// Sleep a jittered backoff (±25 %), or until the stack reports a
		// change of the key (the holder's write), then look for the value.
		d := backoff - backoff/4 + rand.N(backoff/2+1)
		var (
			changed <-chan struct{}
			stop    = func() {}
		)
		if cw, ok := c.backend.(changeWaiter); ok {
			if ch, cancel, ok := cw.WaitChange(sk); ok {
				changed, stop = ch, cancel
			}
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			stop()
			return nil, func() {} // the wait bound ran out: load ourselves
		case <-t.C:
		case <-changed:
			t.Stop()
		}
		stop()
		r, ok := reread()
		if r != nil {
			return r, nil
		}
		if !ok {
			return nil, func() {} // a read error: load (fail-open)
		}
		backoff = min(2*backoff, c.fill.poll)
	}
}

// heldFill is a fill lock this client holds.
type heldFill struct {
	locker Locker
	sk     string
	token  string
}

// tryFillLock tries once to take the fill lock of sk. A backend without a
// Locker is an error (the caller loads without the lock). It makes one
// attempt, without the client's retries: a waiter tries again at its next
// step anyway.
func (c *Client) tryFillLock(ctx context.Context, sk string) (heldFill, bool, error) {
	l, ok := c.backend.(Locker)
	if !ok {
		return heldFill{}, false, notSupportedErr("filllock", "Locker", nil)
	}
	if st := c.sh.st; st != nil {
		// The reliability stack's breaker and time bound hold for the lock
		// too: with the breaker not closed the backend is not called (the
		// caller loads without the lock), and one attempt waits at most
		// OpTimeout, not the whole wait bound, on a backend that hangs.
		if BreakerState(st.brk.state.Load()) != BreakerClosed {
			return heldFill{}, false, errCircuitOpen
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, st.cfg.OpTimeout)
		defer cancel()
	}
	token, acquired, err := l.Lock(ctx, sk, c.fill.lease)
	switch {
	case err != nil:
		if k := KindOf(err); k == KindTimeout || k == KindTransient {
			// The backend may have taken the lock for us all the same (a
			// reply lost to a timeout): remember that this client may
			// hold it, under a token it never learned.
			c.sh.strays.add(sk, "", c.fill.lease)
		}
	case acquired:
		c.sh.strays.drop(sk)
	default:
		if stray, ok := c.sh.strays.take(sk); ok {
			if stray == "" {
				// Probably this client's own lock from an attempt whose
				// outcome it could not learn: load now (fail-open)
				// rather than wait for its lease.
				return heldFill{}, false, errOwnLockUnknown
			}
			// The holder may be this client: a lock it took and could not
			// release. Free it (compare-and-delete: only if it is still
			// ours) and try once more, instead of waiting out our own lease.
			if freed, uerr := l.Unlock(ctx, sk, stray); uerr == nil && freed {
				token, acquired, err = l.Lock(ctx, sk, c.fill.lease)
			}
		}
	}
	if err != nil || !acquired {
		return heldFill{}, false, err
	}
	return heldFill{locker: l, sk: sk, token: token}, true, nil
}

// release releases the lock with a compare-and-delete, bounded by one
// second and by readTimeout (OpTimeout under the reliability stack); a
// failure is only logged (the lease ends the lock anyway). With the
// stack's breaker not closed the backend is not called: the lease ends the
// lock, and the caller that loaded (who waits for the release when its
// flight ran on its own goroutine) does not wait on a failing backend.
func (h heldFill) release(c *Client) {
	if st := c.sh.st; st != nil && BreakerState(st.brk.state.Load()) != BreakerClosed {
		c.sh.strays.add(h.sk, h.token, c.fill.lease)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), min(time.Second, c.readTimeout()))
	defer cancel()
	if _, err := h.locker.Unlock(ctx, h.sk, h.token); err != nil {
		c.sh.strays.add(h.sk, h.token, c.fill.lease)
		c.sh.warn.warn("cachekit: releasing a fill lock failed", KindOf(err), LogKeyOp, "unlock", LogKeyNamespace, c.namespace)
	}
}

// errOwnLockUnknown: the fill lock is busy, probably with this client's own
// lock from an attempt whose outcome it could not learn; the caller loads
// without the lock.
var errOwnLockUnknown = &Error{Kind: KindUnknown, Op: "filllock", Msg: "the lock may be this client's own, from an attempt whose outcome is unknown"}

// maxStrayLocks bounds the fill locks a client remembers as its own and
// unreleased; beyond it, a lock is left to its lease.
const maxStrayLocks = 1024

// strayLocks are the fill locks this client took and could not release
// (the release failed, or was not sent while the breaker was open), by
// storage key: its next flight of such a key frees the lock at once
// (tryFillLock) instead of waiting for its own lease to run out. An entry
// with an empty token is a lock attempt whose outcome is unknown (a
// timeout): the next flight that finds the lock busy loads without it. An
// entry is kept no longer than the lease.
type strayLocks struct {
	n  atomic.Int32 // len(m), read without mu on the path of a busy lock
	mu sync.Mutex
	m  map[string]strayLock
}

type strayLock struct {
	token string
	until time.Time
}

// add remembers token as this client's unreleased lock of sk.
func (s *strayLocks) add(sk, token string, lease time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.m == nil {
		s.m = make(map[string]strayLock)
	}
	if _, have := s.m[sk]; !have && len(s.m) >= maxStrayLocks {
		for k, l := range s.m {
			if now.After(l.until) {
				delete(s.m, k)
			}
		}
		if len(s.m) >= maxStrayLocks {
			return
		}
	}
	s.m[sk] = strayLock{token: token, until: now.Add(lease)}
	s.n.Store(int32(len(s.m)))
}

// drop forgets what was remembered of sk (its lock was just taken).
func (s *strayLocks) drop(sk string) {
	if s.n.Load() == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, sk)
	s.n.Store(int32(len(s.m)))
}

// take returns and forgets the unreleased lock of sk, if its lease may not
// have run out yet.
func (s *strayLocks) take(sk string) (string, bool) {
	if s.n.Load() == 0 {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.m[sk]
	if !ok {
		return "", false
	}
	delete(s.m, sk)
	s.n.Store(int32(len(s.m)))
	return l.token, time.Now().Before(l.until)
}

// claimRefresh takes the fill lock of sk for a background refresh, without
// waiting, as the protocol's stale-while-revalidate asks (one revalidation
// per fleet): ok is false when another process holds it (or the lock
// fails), and the refresh is skipped — the stale value was served, and a
// later stale read tries again. Without the fill lock (WithoutFillLock, the
// minimal preset) or a Locker, every refresh goes ahead. release ends the
// claim.
func (c *Client) claimRefresh(sk string) (release func(), ok bool) {
	if !c.fill.on {
		return func() {}, true
	}
	if _, has := c.backend.(Locker); !has {
		return func() {}, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.loadTimeout)
	defer cancel()
	l, acquired, err := c.tryFillLock(ctx, sk)
	if err != nil && KindOf(err) == KindNotSupported {
		return func() {}, true // a composition over a tier without locks
	}
	if err != nil || !acquired {
		return nil, false
	}
	return func() { l.release(c) }, true
}
