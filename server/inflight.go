package server

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// Defaults of the bound on request bodies in flight.
const (
	// DefaultMaxBodyBytesInFlight bounds the bytes of PUT bodies being
	// received and stored at once, all tenants together (64 MiB).
	DefaultMaxBodyBytesInFlight = 64 << 20
	// DefaultBodyWait is how long a PUT waits for room under
	// MaxBodyBytesInFlight before it is answered 503 with Retry-After, and
	// at most for its tenant's upload rate before it is answered 429.
	DefaultBodyWait = time.Second
	// smallBody is the largest body that may pass waiting large ones, and
	// use the headroom kept for small bodies.
	smallBody = 64 << 10
	// smallHeadroom is the part of the bound large bodies leave to small
	// ones, so that a few slow or large uploads holding the rest do not
	// turn every small PUT away.
	smallHeadroom = 1 << 20
)

// byteSem is a weighted semaphore over bytes: a request reserves its
// body's size before reading it and returns it once the write is done.
// Large reservations are granted in arrival order within limit −
// smallHeadroom; small ones (at most smallBody) are granted whenever they
// fit within limit, ahead of waiting large ones.
type byteSem struct {
	mu      sync.Mutex
	limit   int64
	used    int64
	waiters list.List // of *semWaiter, oldest first
}

type semWaiter struct {
	n     int64
	ready chan struct{} // closed once the reservation is granted
}

// acquire reserves n bytes (at most the limit), waiting up to wait, or
// until ctx ends, for room. It reports whether the reservation was made;
// if so the caller must release(n).
func (s *byteSem) acquire(ctx context.Context, n int64, wait time.Duration) bool {
	s.mu.Lock()
	if s.fits(n) && (s.waiters.Len() == 0 || n <= smallBody) {
		s.used += n
		s.mu.Unlock()
		return true
	}
	w := &semWaiter{n: n, ready: make(chan struct{})}
	el := s.waiters.PushBack(w)
	s.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-w.ready:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-w.ready: // granted while giving up: keep it
		return true
	default:
	}
	s.waiters.Remove(el)
	s.grantLocked() // the ones behind may fit now
	return false
}

// release returns n reserved bytes and grants waiters that now fit.
func (s *byteSem) release(n int64) {
	s.mu.Lock()
	s.used -= n
	s.grantLocked()
	s.mu.Unlock()
}

// fits reports whether a reservation of n bytes fits now.
func (s *byteSem) fits(n int64) bool {
	if n <= smallBody {
		return s.used+n <= s.limit
	}
	return s.used+n <= s.limit-smallHeadroom
}

// grantLocked grants waiters in arrival order while the oldest fits, and
// any small waiter that fits.
func (s *byteSem) grantLocked() {
	blocked := false
	for e := s.waiters.Front(); e != nil; {
		next := e.Next()
		w := e.Value.(*semWaiter)
		if (!blocked || w.n <= smallBody) && s.fits(w.n) {
			s.used += w.n
			s.waiters.Remove(e)
			close(w.ready)
		} else {
			blocked = true
		}
		e = next
	}
}
