package core

import (
	"context"
	"sync"
	"time"
)

// ObjectCacheLen reports how many entries c's object cache holds (tests only).
func ObjectCacheLen(c *Client) int {
	if c.sh.objects == nil {
		return 0
	}
	return c.sh.objects.len()
}

// RetryDelay is retryDelay (tests only).
var RetryDelay = retryDelay

// FlightCallers reports how many callers wait on the GetOrLoad flight of
// storage key sk, the leader included (0: no flight) (tests only).
func FlightCallers(c *Client, sk string) int {
	g := &c.sh.flight
	g.mu.Lock()
	defer g.mu.Unlock()
	if call, ok := g.calls[sk]; ok {
		return call.callers
	}
	return 0
}

// FakeClock is a clock for the reliability stack's tests: time moves only
// by Advance and by the stack's sleeps (which return at once), and jitter
// returns the largest value of its range (n-1), so delays are exact.
type FakeClock struct {
	mu     sync.Mutex
	t      int64
	sleeps []time.Duration
}

func (f *FakeClock) now() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *FakeClock) jitter(n time.Duration) time.Duration { return n - 1 }

func (f *FakeClock) sleep(ctx context.Context, d time.Duration) bool {
	f.mu.Lock()
	f.sleeps = append(f.sleeps, d)
	f.t += int64(d)
	f.mu.Unlock()
	return ctx.Err() == nil
}

// Advance moves the clock forward by d.
func (f *FakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	f.t += int64(d)
	f.mu.Unlock()
}

// Sleeps returns the backoffs the stack slept, in order.
func (f *FakeClock) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

// WithClock makes the client's reliability stack and rate-limited
// warnings read time from f (tests only).
func WithClock(f *FakeClock) Option {
	return func(s *settings) error {
		s.clk = f
		return nil
	}
}

// ObjectQueueSlots reports how many queue slots (live or dead) c's object
// cache holds over all shards, and how many entries (tests only).
func ObjectQueueSlots(c *Client) (slots, entries int) {
	o := c.sh.objects
	for i := range o.shards {
		sh := &o.shards[i]
		sh.mu.RLock()
		slots += len(sh.small.buf) - sh.small.head + len(sh.main.buf) - sh.main.head
		entries += len(sh.m)
		sh.mu.RUnlock()
	}
	return slots, entries
}

// SetFillPoll sets the longest backoff of c's fill-lock waiters; call it
// before c is used (tests only).
func SetFillPoll(c *Client, max time.Duration) { c.fill.poll = max }
