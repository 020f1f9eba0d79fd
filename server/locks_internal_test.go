package server

import (
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock for the lock table's tests.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (t *lockTable) size() (n int) {
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// A tenant's quota of live leases is enforced, counts only that tenant,
// and frees up as leases expire or are released.
func TestLockTableQuota(t *testing.T) {
	c := &testClock{t: time.Unix(1000, 0)}
	lt := newLockTable(c.now, 3, 0)
	var ids []string
	for i := range 3 {
		id, r := lt.acquire("a", fmt.Sprintf("t:a:k%d", i), time.Second)
		if r != admitted {
			t.Fatalf("lease %d: %v", i, r)
		}
		ids = append(ids, id)
	}
	if _, r := lt.acquire("a", "t:a:k3", time.Second); r != overQuota {
		t.Fatalf("4th lease of a quota of 3: %v, want overQuota", r)
	}
	if r := lt.admit("a", "t:a:k3"); r != overQuota {
		t.Fatalf("admit beyond the quota: %v, want overQuota", r)
	}
	if _, r := lt.acquire("b", "t:b:k0", time.Second); r != admitted {
		t.Fatalf("another tenant: %v, want admitted", r)
	}
	if got := lt.active("a"); got != 3 {
		t.Fatalf("active(a) = %d, want 3", got)
	}
	if !lt.release("a", "t:a:k0", ids[0]) {
		t.Fatal("release of a live lease failed")
	}
	if _, r := lt.acquire("a", "t:a:k3", time.Second); r != admitted {
		t.Fatalf("after a release: %v, want admitted", r)
	}
	c.add(time.Second)
	if got := lt.active("a"); got != 0 {
		t.Fatalf("active(a) after expiry = %d, want 0", got)
	}
	if got := lt.active("b"); got != 0 {
		t.Fatalf("active(b) after expiry = %d, want 0", got)
	}
	if got := lt.size(); got != 0 {
		t.Fatalf("%d leases left after every lease expired", got)
	}
	if got := lt.memoryBytes(); got != 0 {
		t.Fatalf("memoryBytes = %d with no lease held", got)
	}
}

// Leases count against the table's memory bound, across tenants.
func TestLockTableMemoryBound(t *testing.T) {
	c := &testClock{t: time.Unix(1000, 0)}
	one := (&leaseItem{key: "t:a:k0", tenant: "a", id: "00000000-0000-0000-0000-000000000000"}).size()
	lt := newLockTable(c.now, 0, 2*one)
	for i, tenant := range []string{"a", "b"} {
		if _, r := lt.acquire(tenant, "t:"+tenant+":k0", time.Second); r != admitted {
			t.Fatalf("lease %d: %v", i, r)
		}
	}
	if _, r := lt.acquire("c", "t:c:k0", time.Second); r != overMemory {
		t.Fatalf("lease beyond the memory bound: %v, want overMemory", r)
	}
	if lt.memoryBytes() != 2*one {
		t.Fatalf("memoryBytes = %d, want %d", lt.memoryBytes(), 2*one)
	}
}

// Expiry, replacement, contention and release keep the map and the heap
// in step: a lease replaced by track, or released, never expires another.
func TestLockTableExpiryOrder(t *testing.T) {
	c := &testClock{t: time.Unix(1000, 0)}
	lt := newLockTable(c.now, 0, 0)
	if _, r := lt.acquire("a", "t:a:x", 10*time.Second); r != admitted {
		t.Fatal(r)
	}
	if _, r := lt.acquire("a", "t:a:x", time.Second); r != lockContended {
		t.Fatalf("second acquire of a live lease: %v, want lockContended", r)
	}
	lt.track("a", "t:a:y", "id1", time.Second)
	lt.track("a", "t:a:y", "id2", 5*time.Second) // replaces id1
	c.add(2 * time.Second)
	if lt.active("a") != 2 {
		t.Fatalf("active = %d, want 2 (x for 10 s, y re-granted for 5 s)", lt.active("a"))
	}
	if lt.release("a", "t:a:y", "id1") {
		t.Fatal("released with the replaced lease's id")
	}
	if !lt.release("a", "t:a:y", "id2") {
		t.Fatal("release with the current id failed")
	}
	c.add(8 * time.Second)
	if _, r := lt.acquire("a", "t:a:x", time.Second); r != admitted {
		t.Fatalf("acquire after expiry: %v, want admitted", r)
	}
	if lt.size() != 1 {
		t.Fatalf("size = %d, want 1", lt.size())
	}
}

// benchmarkLocks measures an acquire and a release with n live leases of
// other tenants held (a tenant each per 10,000, as the quota allows).
func benchmarkLocks(b *testing.B, n int) {
	c := &testClock{t: time.Unix(1000, 0)}
	lt := newLockTable(c.now, 0, 0)
	for i := range n {
		tenant := "t" + strconv.Itoa(i/DefaultLockQuota)
		if _, r := lt.acquire(tenant, "t:"+tenant+":k"+strconv.Itoa(i), time.Hour); r != admitted {
			b.Fatal(r)
		}
	}
	runtime.GC() // the setup's garbage is not the table's cost
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		key := "t:bench:k" + strconv.Itoa(i&1023)
		id, r := lt.acquire("bench", key, time.Minute)
		if r != admitted {
			b.Fatal(r)
		}
		lt.release("bench", key, id)
	}
}

func BenchmarkLockAcquireRelease(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("live=%d", n), func(b *testing.B) { benchmarkLocks(b, n) })
	}
}
