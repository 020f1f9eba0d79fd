// Package memstore is a small in-process core.Backend (a map with expiry):
// the reference server's "-storage memory" option, and handy in tests.
package memstore

import (
	"context"
	"sync"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// Store is an in-memory core.Backend safe for concurrent use.
type Store struct {
	mu sync.RWMutex
	m  map[string]item
}

type item struct {
	v   []byte
	exp time.Time // zero: no expiry
}

// New returns an empty Store.
func New() *Store { return &Store{m: make(map[string]item)} }

func (s *Store) live(it item, now time.Time) bool { return it.exp.IsZero() || now.Before(it.exp) }

// Get implements core.Backend.
func (s *Store) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	if err := ctx.Err(); err != nil {
		return core.Entry{}, false, core.Wrap(err, core.KindCanceled, "memstore.get")
	}
	s.mu.RLock()
	it, ok := s.m[key]
	s.mu.RUnlock()
	if !ok || !s.live(it, time.Now()) {
		return core.Entry{}, false, nil
	}
	return core.Entry{Value: append([]byte(nil), it.v...)}, true, nil
}

// Set implements core.Backend.
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return core.Wrap(err, core.KindCanceled, "memstore.set")
	}
	if ttl < 0 {
		return core.NewError(core.KindInvalidInput, "memstore.set", "negative ttl", nil)
	}
	it := item{v: append([]byte(nil), value...)}
	if ttl > 0 {
		it.exp = time.Now().Add(ttl)
	}
	s.mu.Lock()
	s.m[key] = it
	if len(s.m)%4096 == 0 {
		s.sweepLocked()
	}
	s.mu.Unlock()
	return nil
}

func (s *Store) sweepLocked() {
	now := time.Now()
	for k, it := range s.m {
		if !s.live(it, now) {
			delete(s.m, k)
		}
	}
}

// Delete implements core.Backend.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return core.Wrap(err, core.KindCanceled, "memstore.delete")
	}
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
	return nil
}

// Exists implements core.Backend.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	_, ok, err := s.Get(ctx, key)
	return ok, err
}

// Health implements core.Backend.
func (s *Store) Health(ctx context.Context) error {
	return core.Wrap(ctx.Err(), core.KindCanceled, "memstore.health")
}

// Stats implements core.StatsReporter (the entry count only).
func (s *Store) Stats() []core.TierStats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return []core.TierStats{{Name: "memstore", Entries: int64(len(s.m))}}
}
