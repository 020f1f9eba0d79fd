package bigcache

import (
	"sync"
	"sync/atomic"
	"time"
)

// The coarse clock.
//
// Reading the time costs a hit more than anything else this backend does
// besides bigcache's lookup (≈ 50 ns for time.Now on a VM, ≈ 2 ns for an
// atomic load). While at least one Backend without WithClock is open, one
// goroutine per process stores the time every coarseTick, and the hot read
// (GetLocalMarked) judges a hit by that instead: it lags the true time (by
// a tick, or more when the goroutine is scheduled late), so it is used only
// when it leaves more than nearExpiry before the entry expires; closer to
// the end the precise clock decides. An entry is thus served exactly until
// it expires unless the goroutine falls more than nearExpiry behind, and the
// Freshness reported overstates the time left by at most the lag. Every
// other operation, writes included, reads the precise clock.
//
// The last Close stops the goroutine (and waits for it), so a process that
// closes its backends leaks none.

const (
	coarseTick = time.Millisecond
	nearExpiry = int64(time.Second)
)

// coarseClock is the process's coarse clock: nanos is read's time at the
// last tick, 0 while no Backend uses it.
type coarseClock struct {
	read  func() int64
	nanos atomic.Int64

	mu    sync.Mutex
	users int
	stop  chan struct{}
	done  chan struct{}
}

// coarse is the clock of every Backend without WithClock: time.Now in Unix
// nanoseconds.
var coarse = &coarseClock{read: func() int64 { return time.Now().UnixNano() }}

// acquire counts a user, and starts the goroutine for the first.
func (c *coarseClock) acquire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.users++
	if c.users > 1 {
		return
	}
	c.nanos.Store(c.read())
	c.stop, c.done = make(chan struct{}), make(chan struct{})
	go c.run(c.stop, c.done)
}

// release uncounts a user, and stops the goroutine after the last.
func (c *coarseClock) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.users--
	if c.users > 0 {
		return
	}
	close(c.stop)
	<-c.done
	c.nanos.Store(0)
}

func (c *coarseClock) run(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(coarseTick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			c.nanos.Store(c.read())
		}
	}
}

// now returns the coarse time, or the precise one when the clock is not
// running.
func (c *coarseClock) now() int64 {
	if n := c.nanos.Load(); n != 0 {
		return n
	}
	return c.read()
}
