package core

import (
	"strconv"
	"testing"
	"time"
)

// strayLocks stays bounded: past maxStrayLocks entries it first drops the
// ones whose lease ran out, then refuses new ones (the lease ends them);
// take forgets what it returns, and calls an expired entry not ours.
func TestStrayLocksBounded(t *testing.T) {
	var s strayLocks
	for i := range maxStrayLocks {
		s.add("k"+strconv.Itoa(i), "t", time.Hour)
	}
	s.add("over", "t", time.Hour)
	if _, ok := s.take("over"); ok || len(s.m) != maxStrayLocks {
		t.Fatalf("a full table took another entry (len %d)", len(s.m))
	}
	s.add("k2", "t2", time.Hour) // a key it holds is updated, full or not
	if tok, ok := s.take("k2"); !ok || tok != "t2" {
		t.Fatalf("take(k2) = %q, %v; want the updated token", tok, ok)
	}
	s.add("k2", "t", time.Hour)
	if tok, ok := s.take("k1"); !ok || tok != "t" {
		t.Fatalf("take(k1) = %q, %v", tok, ok)
	}
	if _, ok := s.take("k1"); ok {
		t.Fatal("take returned an entry twice")
	}
	s.add("gone", "t", -time.Second) // its lease has run out
	if _, ok := s.take("gone"); ok {
		t.Fatal("an expired entry was returned as ours")
	}
	s.add("e1", "t", -time.Second)
	s.add("e2", "t", -time.Second) // full again, with one expired entry
	s.add("fresh", "t", time.Hour)
	if _, ok := s.take("fresh"); !ok {
		t.Fatal("a full table with expired entries did not make room")
	}
	if s.n.Load() != int32(len(s.m)) {
		t.Fatalf("n = %d, len = %d", s.n.Load(), len(s.m))
	}
}
