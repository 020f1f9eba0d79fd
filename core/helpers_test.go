package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// jsonCodec is a test codec (the CacheKit codecs live in the protocol module).
type jsonCodec struct{}

func (jsonCodec) Format() string   { return "msgpack" }
func (jsonCodec) Compressed() bool { return false }
func (jsonCodec) Marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, core.NewError(core.KindSerialization, "encode", "", err)
	}
	return b, nil
}
func (jsonCodec) Unmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return core.NewError(core.KindSerialization, "decode", "", err)
	}
	return nil
}

// memBackend is a map backend with a controllable clock that reports
// freshness, and counters to assert on.
type memBackend struct {
	mu      sync.Mutex
	now     time.Time
	items   map[string]memItem
	sets    atomic.Int64
	gets    atomic.Int64
	failGet atomic.Pointer[error]
	failSet atomic.Pointer[error]
	// failHealth, when set, is Health's error; blockHealth, when set, makes
	// Health wait for its context.
	failHealth  atomic.Pointer[error]
	blockHealth atomic.Bool
	healths     atomic.Int64
}

type memItem struct {
	val    []byte
	expire time.Time // zero: never
}

func newMem() *memBackend {
	return &memBackend{now: time.Unix(1_700_000_000, 0), items: map[string]memItem{}}
}

func (m *memBackend) advance(d time.Duration) {
	m.mu.Lock()
	m.now = m.now.Add(d)
	m.mu.Unlock()
}

func (m *memBackend) raw(key string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[key]
	return it.val, ok
}

func (m *memBackend) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	m.gets.Add(1)
	if p := m.failGet.Load(); p != nil {
		return core.Entry{}, false, *p
	}
	if err := ctx.Err(); err != nil {
		return core.Entry{}, false, core.Wrap(err, core.KindCanceled, "mem.get")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[key]
	if !ok {
		return core.Entry{}, false, nil
	}
	if !it.expire.IsZero() && !m.now.Before(it.expire) {
		delete(m.items, key)
		return core.Entry{}, false, nil
	}
	f := core.ForeverFresh()
	if !it.expire.IsZero() {
		f = core.FreshFor(it.expire.Sub(m.now))
	}
	return core.Entry{Value: append([]byte(nil), it.val...), Freshness: f}, true, nil
}

func (m *memBackend) Set(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	m.sets.Add(1)
	if p := m.failSet.Load(); p != nil {
		return *p
	}
	if ttl < 0 {
		return core.NewError(core.KindInvalidInput, "mem.set", "negative ttl", nil)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	it := memItem{val: append([]byte(nil), v...)}
	if ttl > 0 {
		it.expire = m.now.Add(ttl)
	}
	m.items[key] = it
	return nil
}

func (m *memBackend) Delete(ctx context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.items, key)
	return nil
}

func (m *memBackend) Exists(ctx context.Context, key string) (bool, error) {
	_, ok, err := m.Get(ctx, key)
	return ok, err
}

func (m *memBackend) Health(ctx context.Context) error {
	m.healths.Add(1)
	if m.blockHealth.Load() {
		<-ctx.Done()
		return core.Wrap(ctx.Err(), core.ContextKind(ctx.Err()), "mem.health")
	}
	if p := m.failHealth.Load(); p != nil {
		return *p
	}
	return nil
}

func (m *memBackend) Stats() []core.TierStats {
	return []core.TierStats{{Name: "mem", Entries: int64(len(m.items))}}
}

var errTransient error = core.NewError(core.KindTransient, "mem", "connection reset", errors.New("ECONNRESET"))
