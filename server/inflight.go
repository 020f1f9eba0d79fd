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
	// MaxBodyBytesInFlight before it is answered 503 with Retry-After.
	DefaultBodyWait = time.Second
)

// byteSem is a FIFO weighted semaphore over bytes: a request reserves its
// body's size before reading it and returns it once the write is done.
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
	if s.used+n <= s.limit && s.waiters.Len() == 0 {
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
	front := s.waiters.Front() == el
	s.waiters.Remove(el)
	if front { // the ones behind may fit now
		s.grantLocked()
	}
	return false
}

// release returns n reserved bytes and grants waiters that now fit.
func (s *byteSem) release(n int64) {
	s.mu.Lock()
	s.used -= n
	s.grantLocked()
	s.mu.Unlock()
}

// grantLocked grants waiters in arrival order while the oldest fits.
func (s *byteSem) grantLocked() {
	for e := s.waiters.Front(); e != nil; e = s.waiters.Front() {
		w := e.Value.(*semWaiter)
		if s.used+w.n > s.limit {
			return
		}
		s.used += w.n
		s.waiters.Remove(e)
		close(w.ready)
	}
}
