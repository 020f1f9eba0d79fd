package core

import (
	"context"
	"strconv"
	"time"
)

// Observer receives what a client (and the tiers under it) do, in the
// manner of net/http/httptrace.ClientTrace: a struct of optional hooks,
// each called synchronously on the goroutine doing the work. A nil hook
// costs one comparison; a client without an Observer (WithObserver not
// given) costs one nil check per operation and allocates nothing.
//
// Hooks must be fast and must not block: they run inside cache operations,
// sometimes while a write of the key is ordered against others. They must
// not call the client that calls them. They may be called concurrently.
// Events carry no key and no value: a key may hold personal data (see the
// package doc, "Observation and logs"). The contexts passed are the
// callers' own (for OnOp of a load, the load's detached context), so a
// tracing hook finds the caller's span in them.
//
// The modules observe/otel and observe/prometheus build Observers that
// export these events; Join combines several.
type Observer struct {
	// Timing makes the client read the clock before and after each
	// operation so that OpEvent.Duration is set. A clock read costs 20 ns
	// on a machine with a fast clock source and over 100 ns on some
	// virtual machines, more than an in-process hit itself; without Timing,
	// Duration is 0.
	Timing bool
	// OnOp is called when an operation of a tier ends: the client's own
	// view of a Get, Set, Delete, Exists or load (Tier "client"), or, in a
	// composition built with an observer, one tier's part of it. A batch
	// call (GetMany, SetMany, DeleteMany, GetOrLoadMany) reports one event
	// per distinct key it sent to the backend (see OpEvent.Batch), and one
	// OpLoad per call of a batch loader. TTL, Expire and Lock are not
	// reported yet.
	OnOp func(ctx context.Context, e OpEvent)
	// OnRetry is called before a failed backend call is tried again.
	OnRetry func(ctx context.Context, e RetryEvent)
	// OnBreaker is called when a circuit breaker changes state.
	OnBreaker func(e BreakerEvent)
	// OnSelfHeal is called when a read path treats a stored value it
	// cannot read (decode, decrypt, authenticate) as a miss and overwrites
	// it with a loaded value.
	OnSelfHeal func(ctx context.Context, e SelfHealEvent)
	// OnInvalidation is called when a tier drops in-process copies because
	// the shared tier reported a change (cross-process invalidation).
	OnInvalidation func(e InvalidationEvent)
	// OnEviction is called when a tier drops entries to make room or
	// because they expired, where the tier reports it.
	OnEviction func(e EvictionEvent)
}

// TierClient is the Tier of the events a Client reports about its own
// calls: what the caller saw of the whole stack under it. Compositions name
// their tiers ("l1", "l2", … by default).
const TierClient = "client"

// Op names an operation in an OpEvent.
type Op uint8

// The operations.
const (
	// OpGet is a read: Get, GetOrLoad's read, GetMany per key.
	OpGet Op = iota + 1
	// OpSet is a write: Set, SetMany per key, a loaded value's write-back.
	OpSet
	// OpDelete is a delete: Delete, DeleteMany per key.
	OpDelete
	// OpExists is an existence check.
	OpExists
	// OpLoad is one call of a GetOrLoad/Cached loader (a miss or a
	// background refresh).
	OpLoad
)

// String returns the operation's name: "get", "set", "delete", "exists",
// "load".
func (o Op) String() string {
	switch o {
	case OpGet:
		return "get"
	case OpSet:
		return "set"
	case OpDelete:
		return "delete"
	case OpExists:
		return "exists"
	case OpLoad:
		return "load"
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// Result is the outcome of an operation in an OpEvent.
type Result uint8

// The results.
const (
	// ResultOK is a write, delete, exists or load that succeeded.
	ResultOK Result = iota + 1
	// ResultHit is a read that found a fresh value.
	ResultHit
	// ResultMiss is a read that found nothing.
	ResultMiss
	// ResultStale is a read that found a value its tier reports stale.
	ResultStale
	// ResultError is a failed operation; OpEvent.Kind says how.
	ResultError
)

// String returns the result's name: "ok", "hit", "miss", "stale",
// "error".
func (r Result) String() string {
	switch r {
	case ResultOK:
		return "ok"
	case ResultHit:
		return "hit"
	case ResultMiss:
		return "miss"
	case ResultStale:
		return "stale"
	case ResultError:
		return "error"
	}
	return "result(" + strconv.Itoa(int(r)) + ")"
}

// OpEvent is one operation of one tier.
type OpEvent struct {
	// Op is the operation.
	Op Op
	// Tier is TierClient for the client's own view, or a composition's
	// tier name.
	Tier string
	// Namespace is the client's namespace ("" without one, and for tier
	// events).
	Namespace string
	// Result is the outcome.
	Result Result
	// Kind is the error's kind when Result is ResultError, else KindUnknown
	// (the zero Kind).
	Kind Kind
	// Bytes is the size of the stored value read (a hit) or written (a
	// set), as stored: after encoding and encryption. 0 otherwise.
	Bytes int
	// Duration is how long the operation took, when Observer.Timing is
	// set; 0 otherwise. For an event of a batch (Batch > 0) it is the
	// whole batch call's.
	Duration time.Duration
	// Batch is, for a key served by one backend call together with
	// others (a batch capability serving GetMany, SetMany, DeleteMany or
	// GetOrLoadMany), the number of keys that call served; each of them has
	// an event. It is 0 when the backend call served this key alone.
	// Exporters count batch events as operations but keep their Duration
	// out of per-operation latency (it is the batch's, not the key's).
	Batch int
}

// RetryEvent is a failed backend call about to be tried again.
type RetryEvent struct {
	// Attempt is the number of the attempt that failed, from 1.
	Attempt int
	// Kind is the failure's kind.
	Kind Kind
	// Delay is the backoff before the next attempt.
	Delay time.Duration
}

// BreakerEvent is a circuit breaker's change of state.
type BreakerEvent struct {
	// From and To are the states before and after.
	From, To BreakerState
}

// SelfHealEvent is a stored value that could not be read and was treated
// as a miss.
type SelfHealEvent struct {
	// Namespace is the client's namespace.
	Namespace string
	// Kind is why the value could not be read (KindSerialization,
	// KindEncryption, …).
	Kind Kind
}

// InvalidationEvent is a tier dropping copies on a report of the shared
// tier.
type InvalidationEvent struct {
	// Tier is the tier that dropped copies.
	Tier string
	// Keys is the number of keys the report named (0 with All).
	Keys int
	// All says that every copy was dropped (the report stream was lost).
	All bool
}

// EvictionEvent is a tier dropping entries of its own accord.
type EvictionEvent struct {
	// Tier is the tier's name.
	Tier string
	// Reason is why: "expired", "size" (room was needed), or a tier's own
	// word.
	Reason string
	// Count is the number of entries dropped.
	Count int
}

// WithObserver sets the Observer that receives the client's events (nil:
// none, the default). Namespace views share it.
func WithObserver(o *Observer) Option {
	return func(s *settings) error {
		s.observer = o
		return nil
	}
}

// Join returns an Observer that calls the hooks of each of obs in turn
// (nil entries are skipped); it times operations if any of them does.
func Join(obs ...*Observer) *Observer {
	var list []*Observer
	for _, o := range obs {
		if o != nil {
			list = append(list, o)
		}
	}
	if len(list) == 1 {
		return list[0]
	}
	j := &Observer{}
	for _, o := range list {
		j.Timing = j.Timing || o.Timing
	}
	j.OnOp = joinHook(list, func(o *Observer) func(context.Context, OpEvent) { return o.OnOp })
	j.OnRetry = joinHook(list, func(o *Observer) func(context.Context, RetryEvent) { return o.OnRetry })
	j.OnSelfHeal = joinHook(list, func(o *Observer) func(context.Context, SelfHealEvent) { return o.OnSelfHeal })
	j.OnBreaker = joinHook1(list, func(o *Observer) func(BreakerEvent) { return o.OnBreaker })
	j.OnInvalidation = joinHook1(list, func(o *Observer) func(InvalidationEvent) { return o.OnInvalidation })
	j.OnEviction = joinHook1(list, func(o *Observer) func(EvictionEvent) { return o.OnEviction })
	return j
}

func joinHook[E any](list []*Observer, get func(*Observer) func(context.Context, E)) func(context.Context, E) {
	var hs []func(context.Context, E)
	for _, o := range list {
		if h := get(o); h != nil {
			hs = append(hs, h)
		}
	}
	if len(hs) == 0 {
		return nil
	}
	return func(ctx context.Context, e E) {
		for _, h := range hs {
			h(ctx, e)
		}
	}
}

func joinHook1[E any](list []*Observer, get func(*Observer) func(E)) func(E) {
	var hs []func(E)
	for _, o := range list {
		if h := get(o); h != nil {
			hs = append(hs, h)
		}
	}
	if len(hs) == 0 {
		return nil
	}
	return func(e E) {
		for _, h := range hs {
			h(e)
		}
	}
}

// opStart returns the time an operation began when the observer times
// operations, else the zero time (no clock read).
func (c *Client) opStart() time.Time {
	if o := c.obs; o != nil && o.Timing {
		return time.Now()
	}
	return time.Time{}
}

// opDone reports an operation of the client to its observer, if any. It is
// small enough to inline: without an observer it is one nil check.
func (c *Client) opDone(ctx context.Context, op Op, r Result, err error, n int, start time.Time) {
	if c.obs != nil {
		c.emitOp(ctx, op, r, err, n, start, 0)
	}
}

// opDoneEach reports an operation of each of the n keys of one batch
// backend call, as opDone does for one (OpEvent.Batch is n): bytes(i)
// (nil: 0) is key i's value size. Without an observer it is one nil check.
func (c *Client) opDoneEach(ctx context.Context, op Op, n int, err error, bytes func(i int) int, start time.Time) {
	if c.obs == nil {
		return
	}
	for i := range n {
		b := 0
		if bytes != nil && err == nil {
			b = bytes(i)
		}
		c.emitOp(ctx, op, ResultOK, err, b, start, n)
	}
}

// opDoneBatch is opDone for one key of a batch backend call of n keys.
func (c *Client) opDoneBatch(ctx context.Context, op Op, r Result, err error, bytes int, start time.Time, n int) {
	if c.obs != nil {
		c.emitOp(ctx, op, r, err, bytes, start, n)
	}
}

func (c *Client) emitOp(ctx context.Context, op Op, r Result, err error, n int, start time.Time, batch int) {
	o := c.obs
	if o.OnOp == nil {
		return
	}
	e := OpEvent{Op: op, Tier: TierClient, Namespace: c.namespace, Result: r, Bytes: n, Batch: batch}
	if err != nil {
		e.Result, e.Kind = ResultError, KindOf(err)
	}
	if !start.IsZero() {
		e.Duration = time.Since(start)
	}
	o.OnOp(ctx, e)
}

// observeRetry reports a retry to o, if any (the client's retries, and
// the reliability stack's).
func observeRetry(ctx context.Context, o *Observer, attempt int, err error, delay time.Duration) {
	if o != nil && o.OnRetry != nil {
		o.OnRetry(ctx, RetryEvent{Attempt: attempt, Kind: KindOf(err), Delay: delay})
	}
}

// observeSelfHeal reports a healed read to the observer, if any.
func (c *Client) observeSelfHeal(ctx context.Context, err error) {
	if o := c.obs; o != nil && o.OnSelfHeal != nil {
		o.OnSelfHeal(ctx, SelfHealEvent{Namespace: c.namespace, Kind: KindOf(err)})
	}
}

// observeBreaker reports a breaker's change of state to o, if any.
func observeBreaker(o *Observer, from, to BreakerState) {
	if o != nil && o.OnBreaker != nil {
		o.OnBreaker(BreakerEvent{From: from, To: to})
	}
}

// hitResult is the Result of a read that found a value of freshness f.
func hitResult(f Freshness) Result {
	if f.Stale {
		return ResultStale
	}
	return ResultHit
}
