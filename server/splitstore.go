package server

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/l1/bigcache"
)

// LargeValueThreshold is the size (stored bytes, the server's entry header
// included) above which the built-in store keeps a value apart from the
// small ones: see NewBuiltinStore.
const LargeValueThreshold = 16 << 10

// smallEntryNeed is what bigcache needs per entry of at most
// LargeValueThreshold bytes: the value, its headers and key, rounding.
const smallEntryNeed = LargeValueThreshold + 16<<10

// largeEntryOverhead is what the large-value store counts per entry beyond
// its value and key: the map slot, list element and entry record.
const largeEntryOverhead = 160

// NewBuiltinStore returns the server's built-in in-process store, bounded to
// storeBytes (0: unbounded) for values of up to maxValue bytes. It is two
// stores behind one core.Backend: values of up to LargeValueThreshold bytes
// go to bigcache, larger ones to a store of their own, each with half of
// storeBytes. Storing a large value then never holds a lock that small
// entries need, nor evicts them: the large store keeps the caller's slice
// (no copy) and evicts its own oldest entries, each in O(1) under its own
// mutex. bigcache keeps a buffer of the largest entry each shard stored
// outside its bound, and a shard must be twice the largest entry to always
// take one; so its shard count drops from 64 until shards × 3 × 32 KiB fits
// in its half. A storeBytes with no room for that, or whose half is smaller
// than a maxValue entry, is refused.
//
// Set keeps the value it is given: the caller must not modify it
// afterwards. Get returns a copy. A key moves between the two stores when a
// write changes its size class; a Get racing that write may miss.
func NewBuiltinStore(storeBytes, maxValue int64) (core.Backend, error) {
	if storeBytes <= 0 {
		small, err := bigcache.New()
		if err != nil {
			return nil, err
		}
		return &splitStore{small: small, large: newLargeStore(0)}, nil
	}
	smallBytes := storeBytes / 2
	largeBytes := storeBytes - smallBytes
	if largeBytes < maxValue+entryHeaderSize+largeEntryOverhead+1<<10 || smallBytes < 3*smallEntryNeed {
		return nil, fmt.Errorf("a store of %d MiB is too small for values of %d bytes: each half needs room for one", storeBytes>>20, maxValue)
	}
	shards := bigcache.DefaultShards
	for shards > 1 && smallBytes < 3*int64(shards)*smallEntryNeed {
		shards /= 2
	}
	small, err := bigcache.New(bigcache.WithMaxBytes(smallBytes-int64(shards)*smallEntryNeed), bigcache.WithShards(shards))
	if err != nil {
		return nil, err
	}
	return &splitStore{small: small, large: newLargeStore(largeBytes)}, nil
}

// splitStore routes values by size between bigcache and a largeStore.
type splitStore struct {
	small core.Backend
	large *largeStore
}

func (s *splitStore) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	e, found, err := s.small.Get(ctx, key)
	if err != nil || found {
		return e, found, err
	}
	return s.large.get(key)
}

func (s *splitStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if len(value) > LargeValueThreshold {
		if err := s.small.Delete(ctx, key); err != nil {
			return err
		}
		return s.large.set(key, value, ttl)
	}
	s.large.delete(key)
	return s.small.Set(ctx, key, value, ttl)
}

func (s *splitStore) Delete(ctx context.Context, key string) error {
	s.large.delete(key)
	return s.small.Delete(ctx, key)
}

func (s *splitStore) Exists(ctx context.Context, key string) (bool, error) {
	ok, err := s.small.Exists(ctx, key)
	if err != nil || ok {
		return ok, err
	}
	_, ok, _ = s.large.get(key)
	return ok, nil
}

func (s *splitStore) Health(ctx context.Context) error { return s.small.Health(ctx) }

// Stats reports bigcache's tier with the large values' entries added.
func (s *splitStore) Stats() []core.TierStats {
	var st []core.TierStats
	if sr, ok := s.small.(core.StatsReporter); ok {
		st = sr.Stats()
	}
	s.large.mu.Lock()
	n := int64(len(s.large.byKey))
	s.large.mu.Unlock()
	return append(st, core.TierStats{Name: "large", Entries: n})
}

// largeStore holds large values by reference, bounded in bytes (0:
// unbounded), evicting the oldest write first.
type largeStore struct {
	bound int64

	mu    sync.Mutex
	bytes int64
	byKey map[string]*list.Element // of *largeEntry
	order list.List                // oldest write at the front
}

type largeEntry struct {
	key       string
	value     []byte
	expiresAt time.Time // zero: no expiry
}

func (e *largeEntry) cost() int64 {
	return int64(len(e.value)+len(e.key)) + largeEntryOverhead
}

func newLargeStore(bound int64) *largeStore {
	return &largeStore{bound: bound, byKey: make(map[string]*list.Element)}
}

func (l *largeStore) get(key string) (core.Entry, bool, error) {
	l.mu.Lock()
	el, ok := l.byKey[key]
	var e *largeEntry
	if ok {
		e = el.Value.(*largeEntry)
		if !e.expiresAt.IsZero() && !time.Now().Before(e.expiresAt) {
			l.removeLocked(el)
			e = nil
		}
	}
	l.mu.Unlock()
	if e == nil {
		return core.Entry{}, false, nil
	}
	// Copy outside the lock: the stored slice is never modified.
	return core.Entry{Value: append([]byte(nil), e.value...)}, true, nil
}

func (l *largeStore) set(key string, value []byte, ttl time.Duration) error {
	e := &largeEntry{key: key, value: value}
	if ttl > 0 {
		e.expiresAt = time.Now().Add(ttl)
	}
	if l.bound > 0 && e.cost() > l.bound {
		return &core.Error{Kind: core.KindPayloadTooLarge, Op: "set", Msg: "value larger than the store"}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.byKey[key]; ok {
		l.removeLocked(el)
	}
	for l.bound > 0 && l.bytes+e.cost() > l.bound {
		l.removeLocked(l.order.Front())
	}
	l.byKey[key] = l.order.PushBack(e)
	l.bytes += e.cost()
	return nil
}

func (l *largeStore) delete(key string) {
	l.mu.Lock()
	if el, ok := l.byKey[key]; ok {
		l.removeLocked(el)
	}
	l.mu.Unlock()
}

func (l *largeStore) removeLocked(el *list.Element) {
	e := l.order.Remove(el).(*largeEntry)
	delete(l.byKey, e.key)
	l.bytes -= e.cost()
}
