package server

import (
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// lockTable holds lock leases in this process, keyed by storage key (so they
// are tenant-scoped). With a Locker-capable store it only tracks the leases
// this process handed out, for the health endpoint's active_locks.
type lockTable struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[string]lease
}

type lease struct {
	id      string
	expires time.Time
}

func newLockTable(now func() time.Time) *lockTable {
	return &lockTable{now: now, m: make(map[string]lease)}
}

// acquire takes the lock on key for d unless a live lease holds it.
func (t *lockTable) acquire(key string, d time.Duration) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if l, ok := t.m[key]; ok && now.Before(l.expires) {
		return "", false
	}
	id := uuid.NewString()
	t.m[key] = lease{id: id, expires: now.Add(d)}
	t.sweepLocked(now)
	return id, true
}

// track records a lease granted elsewhere. Expired leases are swept as in
// acquire: leases granted by the store are forgotten here only by an unlock
// on this replica, which a crashed client never sends.
func (t *lockTable) track(key, id string, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.m[key] = lease{id: id, expires: now.Add(d)}
	t.sweepLocked(now)
}

// release frees key's lock if id holds a live lease on it.
func (t *lockTable) release(key, id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.m[key]
	if !ok || l.id != id {
		return false
	}
	delete(t.m, key)
	return t.now().Before(l.expires)
}

// active counts live leases whose key starts with prefix.
func (t *lockTable) active(prefix string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	now, n := t.now(), 0
	for k, l := range t.m {
		if now.Before(l.expires) && strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n
}

// sweepLocked drops expired leases once the table grows.
func (t *lockTable) sweepLocked(now time.Time) {
	if len(t.m) < 1024 {
		return
	}
	for k, l := range t.m {
		if !now.Before(l.expires) {
			delete(t.m, k)
		}
	}
}
