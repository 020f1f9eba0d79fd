package core

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// flightGroup runs one call per key at a time and hands its result to every
// caller that asked meanwhile (single-flight).
//
// The first caller of a key leads the flight on its own goroutine: handing
// the work to a new goroutine would cost every flight two goroutine wake-ups,
// which on a busy or virtualised machine is tens of microseconds, more than
// the in-process work of a Redis hit. A leader may finish the flight later
// from another goroutine (GetOrLoad does, for a load a cancellable caller
// may walk away from), and may end it with errLeaderGone when it gave up
// before there was a result: the callers still waiting then start over, one
// of them leading the next flight.
type flightGroup struct {
	mu    sync.Mutex
	calls map[string]*flightCall
}

type flightCall struct {
	done    chan struct{}
	val     any
	err     error
	callers int // how many callers joined, the leader included; final once done is closed

	// For the leader's finish (end): the flight's group and key, and
	// whether it was finished. Kept here, not in a closure and a sync.Once
	// of their own, to save two allocations per flight.
	g     *flightGroup
	key   string
	ended atomic.Bool
}

// end finishes the flight with its result; calls after the first do
// nothing.
func (call *flightCall) end(val any, err error) {
	if call.ended.CompareAndSwap(false, true) {
		call.g.finish(call.key, call, val, err)
	}
}

// errLeaderGone ends a flight whose leader gave up (its context ended)
// before the flight had a result. It never reaches a caller.
var errLeaderGone = errors.New("cachekit: the flight's leader gave up")

// join returns the call under way for key, or registers a new one, which
// the caller then leads (leader == true). Registration and the check are
// one step, so two callers can never both lead a flight for the same key.
func (g *flightGroup) join(key string) (call *flightCall, leader bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.calls == nil {
		g.calls = make(map[string]*flightCall)
	}
	if call, ok := g.calls[key]; ok {
		call.callers++
		return call, false
	}
	call = &flightCall{done: make(chan struct{}), callers: 1, g: g, key: key}
	g.calls[key] = call
	return call, true
}

// finish ends call, the flight of key, with its result.
func (g *flightGroup) finish(key string, call *flightCall, val any, err error) {
	g.mu.Lock()
	delete(g.calls, key)
	g.mu.Unlock()
	call.val, call.err = val, err
	close(call.done)
}

// start runs fn for key on a goroutine made by spawn, unless a call for key
// is under way already; it reports whether it started one. Nobody waits for
// the result: it is for background work (refreshes).
func (g *flightGroup) start(key string, spawn func(func()), fn func() (any, error)) (started bool) {
	call, leader := g.join(key)
	if !leader {
		return false
	}
	spawn(func() {
		var val any
		err := errLeaderGone // if fn panics
		defer func() { g.finish(key, call, val, err) }()
		val, err = fn()
	})
	return true
}

// do returns the result of the flight for key: it joins the one under way,
// or leads a new one by calling lead(ctx, finish) on the caller's goroutine.
// shared reports whether the result went to more than one caller (counting
// callers that joined and then gave up): a result one caller has alone is
// that caller's to keep and modify.
// lead must call finish exactly once, before it returns or later from
// another goroutine; finish(nil, errLeaderGone) says the leader gave up. A
// caller whose ctx ends while it waits returns at once with a
// KindCanceled/KindTimeout error; the flight goes on for the others.
func (g *flightGroup) do(ctx context.Context, key string, lead func(ctx context.Context, finish func(any, error))) (val any, shared bool, err error) {
	for {
		call, leader := g.join(key)
		if leader {
			g.lead(ctx, key, call, lead)
		}
		select {
		case <-call.done: // a result beats a context that ended meanwhile
		default:
			select {
			case <-call.done:
			case <-ctx.Done():
				return nil, false, Wrap(ctx.Err(), KindCanceled, "load")
			}
		}
		if call.err != errLeaderGone {
			return call.val, call.callers > 1, call.err
		}
		if err := ctx.Err(); err != nil {
			return nil, false, Wrap(err, KindCanceled, "load")
		}
		if leader { // a leader gives up only when its ctx ended
			return nil, false, &Error{Kind: KindUnknown, Op: "load", Msg: "the read-through flight ended without a result"}
		}
		// The leader gave up before there was a result: start over.
	}
}

// lead calls lead for call. If lead panics, the callers waiting on call
// start over (unless it finished already) and the panic goes on.
func (g *flightGroup) lead(ctx context.Context, key string, call *flightCall, lead func(context.Context, func(any, error))) {
	finish := call.end
	defer func() {
		if r := recover(); r != nil {
			finish(nil, errLeaderGone)
			panic(r)
		}
	}()
	lead(ctx, finish)
}
