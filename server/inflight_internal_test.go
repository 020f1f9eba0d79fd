package server

import (
	"context"
	"testing"
	"time"
)

// The byte semaphore grants in arrival order, times out, and hands room
// freed by a waiter that gave up to the ones behind it.
func TestByteSem(t *testing.T) {
	s := &byteSem{limit: 10}
	ctx := context.Background()
	if !s.acquire(ctx, 8, 0) {
		t.Fatal("first reservation refused")
	}
	if s.acquire(ctx, 5, 10*time.Millisecond) {
		t.Fatal("reservation beyond the limit granted")
	}
	got := make(chan bool, 1)
	go func() { got <- s.acquire(ctx, 5, 5*time.Second) }()
	time.Sleep(20 * time.Millisecond)
	s.release(8)
	if !<-got {
		t.Fatal("waiter not granted after a release")
	}
	if !s.acquire(ctx, 5, 0) || s.acquire(ctx, 1, 0) {
		t.Fatal("accounting after grants is off")
	}
	s.release(5)
	s.release(5)
	if s.used != 0 || s.waiters.Len() != 0 {
		t.Fatalf("used %d, waiters %d after every release", s.used, s.waiters.Len())
	}
}

// Large reservations leave smallHeadroom to small ones, and small ones
// pass a large one waiting in the queue.
func TestByteSemSmallPassLarge(t *testing.T) {
	const large = 2 << 20
	s := &byteSem{limit: large + smallHeadroom}
	ctx := context.Background()
	if !s.acquire(ctx, large, 0) {
		t.Fatal("a large reservation within limit - headroom refused")
	}
	if s.acquire(ctx, large, 0) || s.acquire(ctx, smallBody+1, 0) {
		t.Fatal("a large reservation took the small bodies' headroom")
	}
	got := make(chan bool, 1)
	go func() { got <- s.acquire(ctx, large, 5*time.Second) }()
	for s.queued() == 0 {
		time.Sleep(time.Millisecond)
	}
	for range smallHeadroom / smallBody {
		if !s.acquire(ctx, smallBody, 0) {
			t.Fatal("a small reservation did not pass the waiting large one")
		}
	}
	if s.acquire(ctx, 1, 0) {
		t.Fatal("reservation beyond the limit granted")
	}
	s.release(large)
	for range smallHeadroom / smallBody {
		s.release(smallBody)
	}
	if !<-got {
		t.Fatal("the large waiter was not granted")
	}
}

func (s *byteSem) queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiters.Len()
}
