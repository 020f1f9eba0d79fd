package offload

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// Defaults of an Offloader made by New without options.
const (
	// DefaultLimit is the default number of tasks that may run at once.
	DefaultLimit = 64
	// DefaultTimeout is the default time a task may run before its context
	// is canceled.
	DefaultTimeout = 5 * time.Second
)

// Outcome is what Submit did with a task.
type Outcome uint8

const (
	// Accepted: the task was started.
	Accepted Outcome = iota
	// Duplicate: a task with the same non-empty key was still running; the
	// new one was dropped.
	Duplicate
	// Full: the concurrency limit was reached; the task was dropped.
	Full
	// Closed: the Offloader was closed; the task was dropped.
	Closed
)

var outcomeNames = [...]string{Accepted: "accepted", Duplicate: "duplicate", Full: "full", Closed: "closed"}

// String returns the outcome's name.
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// Option configures an Offloader. An option given a bad value makes New
// fail with a *core.Error of KindConfig.
type Option func(*Offloader) error

// badOption is the error of an option given a bad value.
func badOption(msg string) error {
	return core.NewError(core.KindConfig, "offload.new", msg, nil)
}

// WithLimit sets how many tasks may run at once (default DefaultLimit). A
// value below 1 is a configuration error.
func WithLimit(n int) Option {
	return func(o *Offloader) error {
		if n < 1 {
			return badOption("WithLimit: the limit must be at least 1, got " + strconv.Itoa(n))
		}
		o.limit = n
		return nil
	}
}

// WithTimeout sets how long one task may run before its context is canceled
// (default DefaultTimeout). A value of zero or below is a configuration
// error.
func WithTimeout(d time.Duration) Option {
	return func(o *Offloader) error {
		if d <= 0 {
			return badOption("WithTimeout: the timeout must be above zero, got " + d.String())
		}
		o.timeout = d
		return nil
	}
}

// Stats are an Offloader's counters.
type Stats struct {
	// Accepted counts tasks started; Completed those that returned (a task
	// that panicked counts as completed and as a panic).
	Accepted, Completed uint64
	// Duplicates, Full and Closed count tasks dropped for each reason.
	Duplicates, Full, Closed uint64
	// TimedOut counts tasks whose context expired before they returned.
	TimedOut uint64
	// Panics counts tasks that panicked; the panic was recovered.
	Panics uint64
	// Running is the number of tasks running now.
	Running int
}

// Dropped returns the number of tasks dropped for any reason.
func (s Stats) Dropped() uint64 { return s.Duplicates + s.Full + s.Closed }

// Offloader runs background tasks with a bound on how many run at once,
// per-key de-duplication and a per-task timeout. It never queues: a task that
// cannot start at once is dropped and Submit says why, so a caller is never
// blocked and memory never grows with load. Every task runs in its own
// goroutine, which the Offloader tracks until it returns; Wait and Shutdown
// observe them, so no goroutine outlives a drained Offloader.
//
// The zero Offloader is not usable; make one with New. All methods are safe
// for concurrent use.
type Offloader struct {
	limit   int
	timeout time.Duration

	base   context.Context // canceled by Shutdown when its ctx ends
	cancel context.CancelFunc

	mu      sync.Mutex
	running int
	keys    map[string]struct{}
	closed  bool
	idle    chan struct{} // closed when running drops to 0; nil while idle

	accepted, completed, duplicates, full, closedDrops, timedOut, panics atomic.Uint64
}

// New returns an Offloader, ready to accept tasks. It fails with a
// *core.Error of KindConfig when an option is nil or was given a bad value.
func New(opts ...Option) (*Offloader, error) {
	o := &Offloader{limit: DefaultLimit, timeout: DefaultTimeout, keys: make(map[string]struct{})}
	for i, opt := range opts {
		if opt == nil {
			return nil, badOption("option " + strconv.Itoa(i+1) + " is nil")
		}
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	o.base, o.cancel = context.WithCancel(context.Background())
	return o, nil
}

// Limit returns how many tasks may run at once.
func (o *Offloader) Limit() int { return o.limit }

// Timeout returns how long one task may run before its context is canceled.
func (o *Offloader) Timeout() time.Duration { return o.timeout }

// Submit starts fn in a new goroutine, unless the Offloader is closed, the
// concurrency limit is reached, or key is non-empty and a task with the same
// key is still running; it never blocks on the task and never queues it.
//
// fn receives a context that carries parent's values but not its
// cancellation or deadline (a background task outlives the request that
// started it); it is canceled after the Offloader's timeout, or when
// Shutdown gives up waiting. fn must honour it. A panic in fn is recovered
// and counted.
func (o *Offloader) Submit(parent context.Context, key string, fn func(ctx context.Context)) Outcome {
	o.mu.Lock()
	switch {
	case o.closed:
		o.mu.Unlock()
		o.closedDrops.Add(1)
		return Closed
	case o.running >= o.limit:
		o.mu.Unlock()
		o.full.Add(1)
		return Full
	}
	if key != "" {
		if _, dup := o.keys[key]; dup {
			o.mu.Unlock()
			o.duplicates.Add(1)
			return Duplicate
		}
		o.keys[key] = struct{}{}
	}
	if o.running == 0 {
		o.idle = make(chan struct{})
	}
	o.running++
	o.mu.Unlock()
	o.accepted.Add(1)

	if parent == nil {
		parent = context.Background()
	}
	go o.run(parent, key, fn)
	return Accepted
}

// run executes one task and releases its slot.
func (o *Offloader) run(parent context.Context, key string, fn func(ctx context.Context)) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), o.timeout)
	stop := context.AfterFunc(o.base, cancel)
	defer func() {
		if r := recover(); r != nil {
			o.panics.Add(1)
		}
		if ctx.Err() == context.DeadlineExceeded {
			o.timedOut.Add(1)
		}
		stop()
		cancel()
		o.completed.Add(1)
		o.release(key)
	}()
	fn(ctx)
}

// release frees a task's slot and key, and wakes waiters when idle.
func (o *Offloader) release(key string) {
	o.mu.Lock()
	if key != "" {
		delete(o.keys, key)
	}
	o.running--
	if o.running == 0 && o.idle != nil {
		close(o.idle)
		o.idle = nil
	}
	o.mu.Unlock()
}

// Wait blocks until no task is running or ctx ends, whichever comes first,
// and returns ctx's error in the latter case. It does not stop new tasks from
// being submitted; Shutdown does.
func (o *Offloader) Wait(ctx context.Context) error {
	o.mu.Lock()
	ch := o.idle
	o.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Shutdown stops accepting tasks and waits for the running ones to return.
// If ctx ends first, it cancels the contexts of the tasks still running,
// waits for them to return, and reports ctx's error. A task that ignores its
// context delays Shutdown. Calling Shutdown again is safe.
func (o *Offloader) Shutdown(ctx context.Context) error {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	err := o.Wait(ctx)
	if err != nil {
		o.cancel()
		_ = o.Wait(context.Background())
	}
	o.cancel()
	return err
}

// Close stops accepting tasks and waits for the running ones to return; each
// is bounded by the Offloader's timeout. It implements io.Closer and always
// returns nil.
func (o *Offloader) Close() error {
	return o.Shutdown(context.Background())
}

// Stats returns a snapshot of the Offloader's counters.
func (o *Offloader) Stats() Stats {
	o.mu.Lock()
	running := o.running
	o.mu.Unlock()
	return Stats{
		Accepted:   o.accepted.Load(),
		Completed:  o.completed.Load(),
		Duplicates: o.duplicates.Load(),
		Full:       o.full.Load(),
		Closed:     o.closedDrops.Load(),
		TimedOut:   o.timedOut.Load(),
		Panics:     o.panics.Load(),
		Running:    running,
	}
}
