package core

import (
	"context"
	"sync"
)

// flightGroup runs one call per key at a time and hands its result to every
// caller that asked meanwhile (single-flight). The call runs on its own
// goroutine with a context detached from the callers', so a caller that gives
// up (its ctx done) returns at once without failing the others.
type flightGroup struct {
	mu    sync.Mutex
	calls map[string]*flightCall
}

type flightCall struct {
	done chan struct{}
	val  any
	err  error
}

// start registers a call of fn for key and runs it through spawn, unless a
// call for key is under way already; it returns the call either way and
// whether this caller started it. Registration and the check are one step, so
// two callers can never both start a call for the same key.
func (g *flightGroup) start(key string, spawn func(func()), fn func() (any, error)) (call *flightCall, started bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.calls == nil {
		g.calls = make(map[string]*flightCall)
	}
	if call, ok := g.calls[key]; ok {
		return call, false
	}
	call = &flightCall{done: make(chan struct{})}
	g.calls[key] = call
	spawn(func() {
		defer func() {
			g.mu.Lock()
			delete(g.calls, key)
			g.mu.Unlock()
			close(call.done)
		}()
		call.val, call.err = fn()
	})
	return call, true
}

// do runs fn for key unless a call for key is under way, and waits for the
// result or for ctx.
func (g *flightGroup) do(ctx context.Context, key string, spawn func(func()), fn func() (any, error)) (any, error) {
	call, _ := g.start(key, spawn, fn)
	select {
	case <-call.done:
		return call.val, call.err
	case <-ctx.Done():
		return nil, Wrap(ctx.Err(), KindCanceled, "load")
	}
}
