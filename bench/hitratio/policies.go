package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"
	grcache "github.com/go-redis/cache/v9"
	"github.com/maypok86/otter/v2"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/l1/bigcache"
	l1otter "github.com/cachekit-io/cachekit-go/l1/otter"
	"github.com/cachekit-io/cachekit-go/protocol"
)

// A cache under test, driven as a look-aside cache: get, and on a miss set.
type cache interface {
	get(key string) bool
	set(key string)
	close()
}

// A policy builds a cache that holds about capacity entries.
type policy struct {
	name  string
	desc  string
	build func(capacity int) (cache, error)
	// varies is set when the library draws a random seed this harness
	// cannot fix (a maphash seed, a randomised sketch, Go map iteration
	// order for eviction), so that two replays of one trace can differ
	// slightly (TestDeterministic bounds the difference at 3 points, 7 on
	// the loop trace, where otter's adaptive window swings further).
	varies bool
}

// life is every entry's TTL: far beyond a replay, so that nothing expires.
const life = time.Hour

var policies = []policy{
	{"cachekit-l1", "l1/bigcache as the presets build it (WithMaxBytes): bigcache's per-shard FIFO ring, bound in bytes, sized to hold the capacity", newBigcacheBytes, false},
	{"cachekit-l1-entries", "l1/bigcache with WithMaxEntries(capacity): evicts 1/16 of the bound at a time, in bigcache's iteration order", newBigcacheEntries, true},
	{"cachekit-l1-otter", "l1/otter as the presets build it (WithMaxBytes), sized to hold the capacity", newL1Otter, true},
	{"cachekit-objects", "core's object cache (WithObjectCache(capacity, 24h)) in front of a backend that holds every key", newObjects, true},
	{"goredis-tinylfu", "go-redis/cache v9 NewTinyLFU(capacity, 1h) (vmihailenco/go-tinylfu: LFU admission, LRU)", newTinyLFU, false},
	{"otter", "otter v2 MaximumSize(capacity) (adaptive W-TinyLFU)", newOtter, true},
	{"ristretto", "ristretto v2, cost 1 per entry, MaxCost capacity, 10× counters (TinyLFU admission, sampled LFU)", newRistretto, true},
}

// bigcache's footprint of an entry besides the key and the value: its queue
// blob header (a varint, 2 bytes at these sizes), bigcache's entry header
// (timestamp, hash, key length: 18 bytes) and l1/bigcache's expiry header.
const bigcacheOverhead = 2 + 18 + 8

// keyLen is the length of every key (see keyName).
const keyLen = 8

type bigcacheL1 struct {
	b     *bigcache.Backend
	value []byte
}

// newBigcacheBytes bounds the cache in bytes, as the presets do, and sizes
// the value so that capacity entries fill the bound (bigcache's bound is in
// whole MiB, split evenly over its 64 shards).
func newBigcacheBytes(capacity int) (cache, error) {
	mib := (capacity*(bigcacheOverhead+keyLen+16) + 1<<20 - 1) >> 20
	per := mib << 20 / capacity
	b, err := bigcache.New(bigcache.WithMaxBytes(int64(mib) << 20))
	if err != nil {
		return nil, err
	}
	return &bigcacheL1{b: b, value: make([]byte, per-bigcacheOverhead-keyLen)}, nil
}

func newBigcacheEntries(capacity int) (cache, error) {
	b, err := bigcache.New(bigcache.WithMaxEntries(capacity))
	if err != nil {
		return nil, err
	}
	return &bigcacheL1{b: b, value: make([]byte, 16)}, nil
}

func (c *bigcacheL1) get(key string) bool {
	_, ok, err := c.b.GetLocal(context.Background(), key)
	return ok && err == nil
}

func (c *bigcacheL1) set(key string) { _ = c.b.Set(context.Background(), key, c.value, life) }
func (c *bigcacheL1) close()         { _ = c.b.Close() }

type otterL1 struct {
	b     *l1otter.Backend
	value []byte
}

func newL1Otter(capacity int) (cache, error) {
	// Bounded in bytes as the presets build it: otter weighs an entry at
	// its key, its value and a fixed overhead of 96 bytes.
	b, err := l1otter.New(l1otter.WithMaxBytes(int64(capacity * (keyLen + 16 + 96))))
	if err != nil {
		return nil, err
	}
	return &otterL1{b: b, value: make([]byte, 16)}, nil
}

func (c *otterL1) get(key string) bool {
	_, ok, err := c.b.GetLocal(context.Background(), key)
	return ok && err == nil
}

func (c *otterL1) set(key string) { _ = c.b.Set(context.Background(), key, c.value, life) }
func (c *otterL1) close()         { _ = c.b.Close() }

// objects drives core's object cache through a client: a read the object
// cache does not answer reaches the backend, which holds every key.
type objects struct {
	c     *core.Client
	store *mapBackend
}

func newObjects(capacity int) (cache, error) {
	store := &mapBackend{m: make(map[string][]byte)}
	c, err := core.New(store, core.WithCodec(protocol.Msgpack()), core.WithDefaultTTL(life),
		core.WithObjectCache(capacity, core.MaxObjectAge))
	if err != nil {
		return nil, err
	}
	return &objects{c: c, store: store}, nil
}

func (o *objects) get(key string) bool {
	before := o.store.reads.Load()
	_, _, _ = core.Get[[]byte](context.Background(), o.c, key)
	return o.store.reads.Load() == before
}

// set stores the key in the backend only: the next get decodes it and keeps
// it in the object cache (a client's Set drops its own object entry).
func (o *objects) set(key string) {
	if _, ok := o.store.get(key); !ok {
		_ = o.c.Set(context.Background(), key, []byte("0123456789abcdef"))
		_, _, _ = core.Get[[]byte](context.Background(), o.c, key)
	}
}

func (o *objects) close() { _ = o.c.Close() }

// mapBackend is a core.Backend over a map that counts its reads.
type mapBackend struct {
	mu    sync.Mutex
	m     map[string][]byte
	reads atomic.Int64
}

func (b *mapBackend) get(key string) ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.m[key]
	return v, ok
}

func (b *mapBackend) Get(_ context.Context, key string) (core.Entry, bool, error) {
	b.reads.Add(1)
	v, ok := b.get(key)
	if !ok {
		return core.Entry{}, false, nil
	}
	return core.Entry{Value: append([]byte(nil), v...)}, true, nil
}

func (b *mapBackend) Set(_ context.Context, key string, value []byte, _ time.Duration) error {
	b.mu.Lock()
	b.m[key] = append([]byte(nil), value...)
	b.mu.Unlock()
	return nil
}

func (b *mapBackend) Delete(_ context.Context, key string) error {
	b.mu.Lock()
	delete(b.m, key)
	b.mu.Unlock()
	return nil
}

func (b *mapBackend) Exists(_ context.Context, key string) (bool, error) {
	_, ok := b.get(key)
	return ok, nil
}

func (b *mapBackend) Health(context.Context) error { return nil }

type tinyLFU struct {
	c     *grcache.TinyLFU
	value []byte
}

func newTinyLFU(capacity int) (cache, error) {
	return &tinyLFU{c: grcache.NewTinyLFU(capacity, life), value: make([]byte, 16)}, nil
}

func (t *tinyLFU) get(key string) bool { _, ok := t.c.Get(key); return ok }
func (t *tinyLFU) set(key string)      { t.c.Set(key, t.value) }
func (t *tinyLFU) close()              {}

type otterCache struct{ c *otter.Cache[string, []byte] }

// newOtter runs otter's deferred work on the calling goroutine, so that a
// replay is deterministic.
func newOtter(capacity int) (cache, error) {
	c, err := otter.New(&otter.Options[string, []byte]{
		MaximumSize: capacity,
		Executor:    func(fn func()) { fn() },
	})
	if err != nil {
		return nil, err
	}
	return otterCache{c: c}, nil
}

func (o otterCache) get(key string) bool { _, ok := o.c.GetIfPresent(key); return ok }
func (o otterCache) set(key string)      { o.c.Set(key, nil) }
func (o otterCache) close()              {}

type ristrettoCache struct {
	c *ristretto.Cache[string, []byte]
}

// newRistretto waits for every set to be applied (ristretto applies sets
// asynchronously and may drop them under load), so that a replay measures
// the policy rather than the buffers.
func newRistretto(capacity int) (cache, error) {
	c, err := ristretto.NewCache(&ristretto.Config[string, []byte]{
		NumCounters:        int64(capacity) * 10,
		MaxCost:            int64(capacity),
		BufferItems:        64,
		IgnoreInternalCost: true,
	})
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errors.New("ristretto: no cache")
	}
	return ristrettoCache{c: c}, nil
}

func (r ristrettoCache) get(key string) bool { _, ok := r.c.Get(key); return ok }
func (r ristrettoCache) set(key string)      { r.c.Set(key, nil, 1); r.c.Wait() }
func (r ristrettoCache) close()              { r.c.Close() }
