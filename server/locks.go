package server

import (
	"container/heap"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Defaults of the lock table.
const (
	// DefaultLockQuota is how many live leases one tenant may hold at once
	// in a Server (Config.LockQuota).
	DefaultLockQuota = 10_000
	// DefaultLockMemoryBytes bounds the estimated memory of all tenants'
	// live leases in a Server (Config.LockMemoryBytes): 32 MiB, about
	// 150,000 leases of 64-byte keys.
	DefaultLockMemoryBytes = 32 << 20
	// leaseOverhead estimates the bytes one lease costs beyond its strings:
	// the item, its map entry and heap slot, and the per-tenant count.
	leaseOverhead = 160
	// lockShards is the number of independently locked shards of the
	// table (a power of two). A tenant's leases live in one shard.
	lockShards = 64
)

// admitResult is the lock table's verdict on a new lease.
type admitResult int

const (
	admitted      admitResult = iota
	overQuota                 // the tenant holds its quota of live leases
	overMemory                // the table holds its memory bound
	lockContended             // a live lease holds the key
)

// lockTable holds lock leases in this process, keyed by storage key (so they
// are tenant-scoped). With a Locker-capable store it only tracks the leases
// this process handed out, for the health endpoint's active_locks and the
// per-tenant quota.
//
// The table is split into shards by tenant, each with its own mutex, map,
// per-tenant counts and min-heap of expiry times: every operation costs
// O(log n) in the shard's size plus the expired leases it drops (each
// lease is dropped once, so that is amortised into its insertion), and no
// operation walks the table.
type lockTable struct {
	now      func() time.Time
	quota    int   // per tenant; <= 0: unbounded
	maxBytes int64 // all tenants; <= 0: unbounded
	bytes    atomic.Int64
	seed     maphash.Seed
	shards   [lockShards]lockShard
}

type lockShard struct {
	mu        sync.Mutex
	m         map[string]*leaseItem
	h         leaseHeap
	perTenant map[string]int
}

// leaseItem is one live (or expired, not yet dropped) lease.
type leaseItem struct {
	key, tenant, id string
	expires         time.Time
	idx             int // position in the shard's heap
}

func (l *leaseItem) size() int64 {
	return int64(len(l.key)+len(l.tenant)+len(l.id)) + leaseOverhead
}

func newLockTable(now func() time.Time, quota int, maxBytes int64) *lockTable {
	t := &lockTable{now: now, quota: quota, maxBytes: maxBytes, seed: maphash.MakeSeed()}
	for i := range t.shards {
		t.shards[i].m = make(map[string]*leaseItem)
		t.shards[i].perTenant = make(map[string]int)
	}
	return t
}

func (t *lockTable) shard(tenant string) *lockShard {
	return &t.shards[maphash.String(t.seed, tenant)%lockShards]
}

// admitLocked checks the tenant's quota and the memory bound for one more
// lease of item's size.
func (t *lockTable) admitLocked(sh *lockShard, tenant string, size int64) admitResult {
	if t.quota > 0 && sh.perTenant[tenant] >= t.quota {
		return overQuota
	}
	if t.maxBytes > 0 && t.bytes.Load()+size > t.maxBytes {
		return overMemory
	}
	return admitted
}

// acquire takes the lock on key (a storage key of tenant) for d unless a
// live lease holds it, the tenant holds its quota, or the table its memory
// bound.
func (t *lockTable) acquire(tenant, key string, d time.Duration) (string, admitResult) {
	sh := t.shard(tenant)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	now := t.now()
	t.expireLocked(sh, now)
	if _, ok := sh.m[key]; ok { // live: expired ones were dropped above
		return "", lockContended
	}
	id := uuid.NewString()
	it := &leaseItem{key: key, tenant: tenant, id: id, expires: now.Add(d)}
	if r := t.admitLocked(sh, tenant, it.size()); r != admitted {
		return "", r
	}
	t.insertLocked(sh, it)
	return id, admitted
}

// admit reports whether tenant may take one more lease on key, for a
// lease the store grants (checked before asking the store).
func (t *lockTable) admit(tenant, key string) admitResult {
	sh := t.shard(tenant)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t.expireLocked(sh, t.now())
	if _, ok := sh.m[key]; ok {
		return admitted // a re-grant replaces the lease: no new slot
	}
	return t.admitLocked(sh, tenant, int64(len(key)+len(tenant)+36)+leaseOverhead)
}

// track records a lease granted elsewhere (by the store), replacing any
// lease this table holds on key. Concurrent grants may take a tenant a
// little past its quota, by at most the requests in flight.
func (t *lockTable) track(tenant, key, id string, d time.Duration) {
	sh := t.shard(tenant)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	now := t.now()
	t.expireLocked(sh, now)
	if old, ok := sh.m[key]; ok {
		t.removeLocked(sh, old)
	}
	t.insertLocked(sh, &leaseItem{key: key, tenant: tenant, id: id, expires: now.Add(d)})
}

// release frees key's lock if id holds a live lease on it.
func (t *lockTable) release(tenant, key, id string) bool {
	sh := t.shard(tenant)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t.expireLocked(sh, t.now())
	it, ok := sh.m[key]
	if !ok || it.id != id {
		return false
	}
	t.removeLocked(sh, it)
	return true
}

// active counts tenant's live leases.
func (t *lockTable) active(tenant string) int {
	sh := t.shard(tenant)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t.expireLocked(sh, t.now())
	return sh.perTenant[tenant]
}

// memoryBytes is the estimated memory of the leases held (expired ones not
// yet dropped included).
func (t *lockTable) memoryBytes() int64 { return t.bytes.Load() }

func (t *lockTable) insertLocked(sh *lockShard, it *leaseItem) {
	sh.m[it.key] = it
	heap.Push(&sh.h, it)
	sh.perTenant[it.tenant]++
	t.bytes.Add(it.size())
}

func (t *lockTable) removeLocked(sh *lockShard, it *leaseItem) {
	heap.Remove(&sh.h, it.idx)
	delete(sh.m, it.key)
	if n := sh.perTenant[it.tenant] - 1; n > 0 {
		sh.perTenant[it.tenant] = n
	} else {
		delete(sh.perTenant, it.tenant)
	}
	t.bytes.Add(-it.size())
}

// expireLocked drops the shard's expired leases, earliest first.
func (t *lockTable) expireLocked(sh *lockShard, now time.Time) {
	for len(sh.h) > 0 && !now.Before(sh.h[0].expires) {
		t.removeLocked(sh, sh.h[0])
	}
}

// leaseHeap is a min-heap of leases by expiry (container/heap).
type leaseHeap []*leaseItem

func (h leaseHeap) Len() int           { return len(h) }
func (h leaseHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h leaseHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}

func (h *leaseHeap) Push(x any) {
	it := x.(*leaseItem)
	it.idx = len(*h)
	*h = append(*h, it)
}

func (h *leaseHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return it
}
