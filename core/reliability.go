package core

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The reliability stack: every backend call of a Client (Get, Set, Delete,
// Exists, the capability entry points and batches; Health excepted) passes
// through
//
//	backpressure(breaker(retry(deadline(op))))
//
// when the stack is on (WithReliability, or a preset other than minimal
// given to WithPreset). It is one mechanism in core, so every backend gets
// it; its defaults are DefaultReliability's, stated once below.

// Reliability configures the reliability stack of a Client. The zero value
// of a field means "the default" only through DefaultReliability: build a
// Reliability by changing the fields of DefaultReliability() you want to
// differ. WithReliability validates it.
type Reliability struct {
	// Retries is how many more times a call that failed with KindTransient
	// or KindTimeout is tried (0: never). Other kinds are never retried.
	// Backoff before retry n (from 0) is a uniformly random duration in
	// [0, min(BackoffCap, BackoffBase×2ⁿ)) ("full jitter"). A retry whose
	// backoff would end past the call's deadline is not made: the call
	// fails at once with the last error. Every call the client retries
	// is idempotent (a Set stores the same bytes again, a SetIfAbsent
	// stores nothing twice); Lock and Unlock may report a retried
	// attempt's lock as held or not released (see Client.Lock).
	Retries     int
	BackoffBase time.Duration
	BackoffCap  time.Duration

	// The circuit breaker, one per Client (shared by its namespace views).
	// It opens after BreakerFailures consecutive failures of a tripping
	// kind (KindTransient, or KindTimeout that was not the caller's own
	// deadline) that all fall within BreakerWindow; any answer of the
	// backend (a success, a miss, or an error of another kind) resets the
	// count; an unclassified error neither counts nor resets. While open,
	// calls fail at once with KindCircuitOpen without reaching the backend.
	// The first call after BreakerOpenFor makes it half-open and starts a
	// background prober: callers keep failing fast while it checks the
	// backend's Health (each check bounded by OpTimeout) until
	// BreakerProbes checks in a row succeed and the breaker closes. A check
	// that ran out of time is made again at once; one that failed fast (a
	// refused dial, a dead pooled connection) after 10 ms, 32 times in a
	// row, then every 100 ms: a restarted backend's dead connections are
	// drained in well under a second, and the client is back within one
	// check of the backend.
	BreakerFailures int
	BreakerWindow   time.Duration
	BreakerOpenFor  time.Duration
	BreakerProbes   int

	// Backpressure: at most MaxConcurrent backend calls of the client run
	// at once. A call beyond that waits at most QueueWait for a slot, with
	// at most MaxQueue calls waiting; otherwise it fails at once with
	// KindBackpressure (counted in Stats.Shed).
	MaxConcurrent int
	MaxQueue      int
	QueueWait     time.Duration

	// OpTimeout bounds one client operation (all its attempts and
	// backoffs) when the caller's context has no deadline. The backend read
	// of a GetOrLoad flight, each re-read of a fill-lock waiter, and a
	// load's write-back (one key or a GetOrLoadMany batch) are bounded by it
	// too (and by WithLoadTimeout). A context.Background() or context.TODO()
	// call shares a deadline context made every OpTimeout/4 and costs no
	// allocation; another context without a deadline costs a derived
	// context.WithTimeout per call.
	OpTimeout time.Duration

	// GetFailOpen makes Get answer "not found" (found == false, nil error)
	// instead of an error of a transient kind, an open circuit or
	// backpressure. Off by default: a miss would lie about the backend.
	GetFailOpen bool

	// OnBreakerChange, when not nil, is called with the breaker's new state
	// each time it changes. It is called synchronously on the goroutine of
	// the call that changed the state: it must not block.
	OnBreakerChange func(BreakerState)

	on bool // set by DefaultReliability and WithReliability
}

// DefaultReliability returns the stack the production, secure and io presets
// turn on. The defaults, compared with cachekit-rs:
//
//	retry        2 retries (3 attempts), full jitter in [0, 100 ms×2ⁿ), cap 5 s
//	             (rs: 3 attempts, 100 ms doubling to 5 s, jitter ×[0.5, 1.5))
//	breaker      opens after 5 consecutive transient failures within 60 s,
//	             open 1 s, closes after 3 successful background probes
//	             (no caller waits on a probe)
//	             (rs: 5 failures in 60 s, not necessarily consecutive; open 5 s)
//	backpressure 100 concurrent calls, 1,000 waiting, 100 ms wait (as rs)
//	deadline     500 ms per operation when the caller's context has none
//	             (rs: none; a paused backend then blocks for the driver's
//	             own timeouts)
//
// Consecutive failures, rather than failures in a window, keep a sporadic
// error among many successes from opening the breaker; full jitter spreads
// the retries of many clients better than ×[0.5, 1.5). The breaker stays
// open 1 s rather than 5 s so that the client is back within 2 s of the
// backend; while the backend stays down, that costs at most BreakerProbes
// calls per second that wait for OpTimeout.
func DefaultReliability() Reliability {
	return Reliability{
		Retries:         2,
		BackoffBase:     100 * time.Millisecond,
		BackoffCap:      5 * time.Second,
		BreakerFailures: 5,
		BreakerWindow:   60 * time.Second,
		BreakerOpenFor:  time.Second,
		BreakerProbes:   3,
		MaxConcurrent:   100,
		MaxQueue:        1000,
		QueueWait:       100 * time.Millisecond,
		OpTimeout:       500 * time.Millisecond,
		on:              true,
	}
}

// validate checks r's bounds, as WithReliability's KindConfig error.
func (r Reliability) validate() error {
	bad := func(msg string) error { return configErr("WithReliability: " + msg) }
	switch {
	case r.Retries < 0 || r.Retries > 10:
		return bad("Retries must be in [0, 10], got " + strconv.Itoa(r.Retries))
	case r.BackoffBase < 0 || r.BackoffBase > time.Minute || r.BackoffCap < r.BackoffBase || r.BackoffCap > 5*time.Minute:
		return bad("want 0 ≤ BackoffBase ≤ BackoffCap, BackoffBase ≤ 1m and BackoffCap ≤ 5m")
	case r.BreakerFailures < 1 || r.BreakerProbes < 1:
		return bad("BreakerFailures and BreakerProbes must be at least 1")
	case r.BreakerWindow <= 0 || r.BreakerOpenFor <= 0:
		return bad("BreakerWindow and BreakerOpenFor must be positive")
	case r.MaxConcurrent < 1 || r.MaxQueue < 0 || r.QueueWait < 0:
		return bad("want MaxConcurrent ≥ 1, MaxQueue ≥ 0 and QueueWait ≥ 0")
	case r.OpTimeout <= 0:
		return bad("OpTimeout must be positive")
	}
	return nil
}

// WithReliability turns the reliability stack on with r (start from
// DefaultReliability and change what you need). An r with a field out of
// bounds, or the zero Reliability, is a KindConfig error. It overrides the
// preset's choice, whatever the order of the options; WithRetries given as
// well overrides r's Retries and BackoffBase.
func WithReliability(r Reliability) Option {
	return func(s *settings) error {
		if !r.on && r.MaxConcurrent == 0 && r.OpTimeout == 0 && r.BreakerFailures == 0 {
			return configErr("WithReliability: the zero Reliability; start from DefaultReliability(), or use WithoutReliability")
		}
		r.on = true
		if err := r.validate(); err != nil {
			return err
		}
		s.rel, s.relSet = r, true
		return nil
	}
}

// WithoutReliability turns the reliability stack off, whatever the preset:
// every call reaches the backend directly, bounded only by the caller's
// context and the retries of WithRetries (none by default).
func WithoutReliability() Option {
	return func(s *settings) error {
		s.rel, s.relSet = Reliability{}, true
		return nil
	}
}

// BreakerState is the state of a Client's circuit breaker.
type BreakerState uint32

// The breaker states. BreakerOff is reported by a client without the
// reliability stack.
const (
	BreakerOff BreakerState = iota
	BreakerClosed
	BreakerOpen
	BreakerHalfOpen
)

// String returns the state's name: "off", "closed", "open", "half-open".
func (s BreakerState) String() string {
	switch s {
	case BreakerOff:
		return "off"
	case BreakerClosed:
		return "closed"
	case BreakerOpen:
		return "open"
	case BreakerHalfOpen:
		return "half-open"
	}
	return "BreakerState(" + strconv.Itoa(int(s)) + ")"
}

// clock is what the stack reads time and randomness from; tests inject a
// fake one.
type clock interface {
	// now is a monotonic reading in nanoseconds.
	now() int64
	// jitter returns a uniformly random duration in [0, n) (n > 0).
	jitter(n time.Duration) time.Duration
	// sleep waits d or until ctx is done; it reports whether d elapsed.
	sleep(ctx context.Context, d time.Duration) bool
}

type realClock struct{ epoch time.Time }

func (c realClock) now() int64                                    { return int64(time.Since(c.epoch)) }
func (realClock) jitter(n time.Duration) time.Duration            { return rand.N(n) }
func (realClock) sleep(ctx context.Context, d time.Duration) bool { return sleepCtx(ctx, d) }

// sleepCtx waits d, or until ctx ends; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// stack is a client's reliability state, shared by its namespace views.
type stack struct {
	cfg   Reliability
	clk   clock
	brk   breaker
	bh    bulkhead
	bgDL  atomic.Pointer[sharedDeadline]
	count *counters
	obs   *Observer // WithObserver, or nil
}

func newStack(r Reliability, clk clock, k *counters, health func(context.Context) error) *stack {
	s := &stack{cfg: r, clk: clk, count: k}
	s.brk.cfg, s.brk.clk, s.brk.count = &s.cfg, clk, k
	s.brk.health = health
	s.brk.life, s.brk.end = context.WithCancel(context.Background())
	s.brk.state.Store(uint32(BreakerClosed))
	s.bh.max, s.bh.maxQueue = int64(r.MaxConcurrent), int64(r.MaxQueue)
	s.bh.wake = make(chan struct{}, r.MaxQueue+1)
	return s
}

// close stops the prober and waits for it, and releases the shared
// deadline context. The stack fails fast (breaker open) or calls through
// (closed) afterwards, but starts no prober.
func (s *stack) close() {
	b := &s.brk
	b.proberMu.Lock()
	b.closed = true
	b.end()
	b.proberMu.Unlock()
	b.wg.Wait()
	if d := s.bgDL.Swap(nil); d != nil {
		if d.retire != nil {
			d.retire.Stop()
		}
		d.cancel()
	}
}

// sharedDeadline is a deadline context shared by the calls made with a
// context.Background() or context.TODO() while it is current: they get a
// deadline between OpTimeout and 1.25×OpTimeout away without allocating a
// context or reading the clock. A timer retires it after OpTimeout/4; the
// next such call makes a new one.
type sharedDeadline struct {
	ctx    context.Context
	cancel context.CancelFunc
	retire *time.Timer
}

// deadline returns ctx bounded by OpTimeout when it has no deadline, and a
// cancel func (nil when there is nothing to cancel).
func (s *stack) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, nil
	}
	if ctx != context.Background() && ctx != context.TODO() {
		return context.WithTimeout(ctx, s.cfg.OpTimeout)
	}
	if d := s.bgDL.Load(); d != nil {
		return d.ctx, nil
	}
	return s.newSharedDeadline(), nil
}

// newSharedDeadline makes the current shared deadline context (or returns
// the one another call made meanwhile).
func (s *stack) newSharedDeadline() context.Context {
	nd := &sharedDeadline{}
	nd.ctx, nd.cancel = context.WithTimeout(context.Background(), s.cfg.OpTimeout+s.cfg.OpTimeout/4)
	if !s.bgDL.CompareAndSwap(nil, nd) {
		nd.cancel()
		if d := s.bgDL.Load(); d != nil {
			return d.ctx
		}
		return s.newSharedDeadline()
	}
	// The calls holding it keep it until its own deadline ends it.
	nd.retire = time.AfterFunc(s.cfg.OpTimeout/4, func() { s.bgDL.CompareAndSwap(nd, nil) })
	return nd.ctx
}

// do runs attempt under the stack: a slot of the bulkhead, the breaker, and
// retries with backoff, within OpTimeout when ctx has no deadline. attempt
// receives the context to use. The path of a call that succeeds at once
// with the breaker closed costs two atomic adds and a few loads.
func (s *stack) do(ctx context.Context, attempt func(context.Context) error) error {
	if !s.bh.tryAcquire() {
		if err := s.bh.acquire(ctx, s); err != nil {
			return err
		}
	}
	defer s.bh.release()
	dctx := ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		if dctx, cancel = s.deadline(ctx); cancel != nil {
			defer cancel()
		}
	}
	if s.brk.state.Load() == uint32(BreakerClosed) {
		err := attempt(dctx)
		if err == nil {
			if s.brk.failures.Load() != 0 {
				s.brk.failures.Store(0)
			}
			return nil
		}
		return s.retry(ctx, dctx, attempt, err)
	}
	if err := s.brk.allow(); err != nil {
		return err
	}
	err := attempt(dctx)
	if err == nil {
		s.brk.record(ctx, nil)
		return nil
	}
	return s.retry(ctx, dctx, attempt, err)
}

// retry records the failure err of a first attempt, then retries as the
// configuration says, and returns the last error.
func (s *stack) retry(ctx, dctx context.Context, attempt func(context.Context) error, err error) error {
	for n := 0; ; n++ {
		s.brk.record(ctx, err)
		if err == nil || n >= s.cfg.Retries || !retryKind(KindOf(err)) || dctx.Err() != nil {
			return err
		}
		d := s.backoff(n)
		if dl, ok := dctx.Deadline(); ok && time.Until(dl) <= d {
			return err // the retry could not finish in time: fail now
		}
		s.count.retries.Add(1)
		observeRetry(ctx, s.obs, n+1, err, d)
		if d > 0 && !s.clk.sleep(dctx, d) {
			return err
		}
		if err = s.brk.allow(); err != nil {
			return err
		}
		err = attempt(dctx)
	}
}

// backoff is the full-jitter delay before retry n (from 0).
func (s *stack) backoff(n int) time.Duration {
	d := s.cfg.BackoffBase
	for range n {
		if d >= s.cfg.BackoffCap/2 {
			d = s.cfg.BackoffCap
			break
		}
		d *= 2
	}
	d = min(d, s.cfg.BackoffCap)
	if d <= 0 {
		return 0
	}
	return s.clk.jitter(d)
}

// retryKind reports whether the stack retries a failure of kind k: the
// transient kinds only. Backpressure is not retried (that would add to the
// load it reports), nor is an open circuit.
func retryKind(k Kind) bool { return k == KindTransient || k == KindTimeout }

// breaker is the circuit breaker of a stack. Its closed state costs a call
// one atomic load, and a success one more.
type breaker struct {
	cfg   *Reliability
	clk   clock
	count *counters
	obs   *Observer // WithObserver, or nil

	state    atomic.Uint32 // a BreakerState
	failures atomic.Int64  // consecutive tripping failures (closed)
	probing  atomic.Bool   // the prober runs (half-open)
	openedAt atomic.Int64  // clk.now() when it last opened

	mu        sync.Mutex
	firstFail int64 // clk.now() of the first of the consecutive failures

	health   func(context.Context) error // the backend's Health
	life     context.Context             // ends when the stack is closed: the prober stops
	end      context.CancelFunc
	proberMu sync.Mutex // orders startProber against close
	closed   bool
	wg       sync.WaitGroup // the prober
}

var errCircuitOpen = &Error{Kind: KindCircuitOpen, Op: "call", Msg: "the circuit breaker is open: the backend was not called"}

// allow decides whether a call may reach the backend: in the closed state
// only. The first call after BreakerOpenFor starts the prober.
func (b *breaker) allow() error {
	switch BreakerState(b.state.Load()) {
	case BreakerClosed:
		return nil
	case BreakerOpen:
		if b.clk.now()-b.openedAt.Load() >= int64(b.cfg.BreakerOpenFor) &&
			b.probing.CompareAndSwap(false, true) {
			if b.state.CompareAndSwap(uint32(BreakerOpen), uint32(BreakerHalfOpen)) {
				b.changed(BreakerOpen, BreakerHalfOpen)
				b.startProber()
			} else {
				b.probing.Store(false)
			}
		}
	}
	if BreakerState(b.state.Load()) == BreakerClosed {
		return nil
	}
	b.count.breakerRejects.Add(1)
	return errCircuitOpen
}

// startProber runs the prober on a goroutine of its own, unless the stack
// is closed.
func (b *breaker) startProber() {
	b.proberMu.Lock()
	defer b.proberMu.Unlock()
	if b.closed {
		b.probing.Store(false)
		return
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		defer b.probing.Store(false)
		b.probe()
	}()
}

// probe checks the backend's health until BreakerProbes checks in a row
// succeed (the breaker closes) or the stack is closed. A check that failed
// after waiting (a paused backend) is made again at once: the wait spaced
// them. One that failed fast (a refused dial, a dead pooled connection) is
// made again after 10 ms, 32 times in a row at most, then every 100 ms.
func (b *breaker) probe() {
	good, quick := 0, 0
	for b.life.Err() == nil {
		ctx, cancel := context.WithTimeout(b.life, b.cfg.OpTimeout)
		start := b.clk.now()
		err := b.health(ctx)
		cancel()
		if b.life.Err() != nil {
			return
		}
		if err == nil || !trips(context.Background(), err) {
			good++
			if good >= b.cfg.BreakerProbes {
				if b.state.CompareAndSwap(uint32(BreakerHalfOpen), uint32(BreakerClosed)) {
					b.failures.Store(0)
					b.changed(BreakerHalfOpen, BreakerClosed)
				}
				return
			}
			continue
		}
		good = 0
		if b.clk.now()-start >= int64(b.cfg.OpTimeout)/10 {
			quick = 0
			continue
		}
		quick++
		pause := 10 * time.Millisecond
		if quick > 32 {
			pause = 100 * time.Millisecond
		}
		b.clk.sleep(b.life, pause)
	}
}

// ownDeadlineKey marks a context whose deadline the client set itself (the
// read of a GetOrLoad flight, a write-back): its value is the context the
// deadline was put on. Running into such a deadline is the backend's
// failure, not the caller's.
type ownDeadlineKey struct{}

// withOwnTimeout is context.WithTimeout(parent, d), marked as the client's
// own deadline.
func withOwnTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(parent, d)
	return context.WithValue(ctx, ownDeadlineKey{}, parent), cancel
}

// callerDone reports whether the caller's own context (not a deadline the
// client set) has ended.
func callerDone(ctx context.Context) bool {
	if ctx.Err() == nil {
		return false
	}
	if p, ok := ctx.Value(ownDeadlineKey{}).(context.Context); ok {
		return p.Err() != nil
	}
	return true
}

// trips reports whether err counts as the backend failing: a transient
// kind, or a timeout that was not the caller's own context ending.
func trips(ctx context.Context, err error) bool {
	switch KindOf(err) {
	case KindTransient:
		return true
	case KindTimeout:
		return !callerDone(ctx)
	}
	return false
}

// neutral reports whether err tells the breaker nothing about the backend:
// the caller gave up, or the error is not classified.
func neutral(ctx context.Context, err error) bool {
	if trips(ctx, err) {
		return false
	}
	k := KindOf(err)
	return k == KindCanceled || k == KindUnknown || callerDone(ctx)
}

// record reports a call's outcome to the breaker (closed state). A call
// the caller canceled, or an unclassified error, tells it nothing.
func (b *breaker) record(ctx context.Context, err error) {
	if err != nil && neutral(ctx, err) {
		return
	}
	if err == nil || !trips(ctx, err) {
		if b.failures.Load() != 0 {
			b.failures.Store(0)
		}
		return
	}
	now := b.clk.now()
	b.mu.Lock()
	n := b.failures.Load()
	if n == 0 || now-b.firstFail > int64(b.cfg.BreakerWindow) {
		b.firstFail, n = now, 0
	}
	n++
	b.failures.Store(n)
	b.mu.Unlock()
	if n >= int64(b.cfg.BreakerFailures) {
		b.open(BreakerClosed)
	}
}

// open moves the breaker from state from to open.
func (b *breaker) open(from BreakerState) {
	b.openedAt.Store(b.clk.now())
	if b.state.CompareAndSwap(uint32(from), uint32(BreakerOpen)) {
		b.count.breakerOpens.Add(1)
		b.changed(from, BreakerOpen)
	}
}

func (b *breaker) changed(from, s BreakerState) {
	observeBreaker(b.obs, from, s)
	if f := b.cfg.OnBreakerChange; f != nil {
		f(s)
	}
}

// bulkhead bounds concurrent backend calls, with a bounded queue.
type bulkhead struct {
	inflight atomic.Int64
	waiting  atomic.Int64
	max      int64
	maxQueue int64
	wake     chan struct{} // a token per release seen by waiters
}

var errShed = &Error{Kind: KindBackpressure, Op: "call", Msg: "too many concurrent backend calls: the call was shed"}

func (h *bulkhead) tryAcquire() bool {
	if h.inflight.Add(1) <= h.max {
		return true
	}
	h.inflight.Add(-1)
	return false
}

// acquire takes a slot, waiting at most QueueWait in the queue; it fails
// with KindBackpressure when the queue is full or the wait ran out.
// The caller tried tryAcquire first.
func (h *bulkhead) acquire(ctx context.Context, s *stack) error {
	if h.waiting.Add(1) > h.maxQueue || s.cfg.QueueWait <= 0 {
		h.waiting.Add(-1)
		s.count.shed.Add(1)
		return errShed
	}
	defer h.waiting.Add(-1)
	t := time.NewTimer(s.cfg.QueueWait)
	defer t.Stop()
	for {
		if h.tryAcquire() {
			return nil
		}
		select {
		case <-h.wake:
		case <-t.C:
			if h.tryAcquire() {
				return nil
			}
			s.count.shed.Add(1)
			return errShed
		case <-ctx.Done():
			return Wrap(ctx.Err(), KindCanceled, "call")
		}
	}
}

func (h *bulkhead) release() {
	h.inflight.Add(-1)
	if h.waiting.Load() > 0 {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
}
