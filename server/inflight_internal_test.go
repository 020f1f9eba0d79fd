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
