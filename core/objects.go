package core

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// The object cache: decoded values kept in process, in front of the byte
// tiers, for clients without an Encryptor (WithObjectCache).
//
// Why it exists: a byte-level L1 (bigcache) still pays a copy out of its
// shards and a reflective MessagePack decode on every hit, which is most of
// the cost of a local hit. The object cache answers a hit with one map
// lookup and a type assertion, and allocates nothing.
//
// Consistency with this client's own writes (the ordering itself lives in
// version.go): Set and Delete remove the entry before and after their
// backend write, under the key's stripe lock, and a read only inserts what
// it decoded if no Set or Delete of the key began since the read started
// (the stripe generation is unchanged). So once Set or
// Delete returns, no Get of this client sees the old value. Writes made by
// other processes become visible when the entry expires, after at most
// maxAge (and never later than the freshness the backend reported).

const objectShards = 64

type objectCache struct {
	shards   [objectShards]objectShard
	perShard int
	maxAge   time.Duration
	epoch    time.Time // monotonic base for expiry stamps
	seed     maphash.Seed
}

type objectShard struct {
	mu   sync.RWMutex
	m    map[string]objectEntry
	hits atomic.Uint64
	_    [24]byte // keep shards on separate cache lines
}

type objectEntry struct {
	value   any
	expires int64 // nanoseconds since epoch
}

func newObjectCache(maxEntries int, maxAge time.Duration) *objectCache {
	per := maxEntries / objectShards // rounded up, without overflowing
	if maxEntries%objectShards != 0 {
		per++
	}
	o := &objectCache{perShard: per, maxAge: maxAge, epoch: time.Now(), seed: maphash.MakeSeed()}
	for i := range o.shards {
		o.shards[i].m = make(map[string]objectEntry)
	}
	return o
}

func (o *objectCache) now() int64 { return int64(time.Since(o.epoch)) }

func (o *objectCache) shard(sk string) *objectShard {
	return &o.shards[maphash.String(o.seed, sk)%objectShards]
}

func (o *objectCache) shardBytes(sk []byte) *objectShard {
	return &o.shards[maphash.Bytes(o.seed, sk)%objectShards]
}

// lookupObject answers Get[T] from the object cache. It builds the storage
// key on the stack, so a hit allocates nothing. A value cached as another
// type is a miss (the caller decodes, and replaces it).
func lookupObject[T any](c *Client, key string) (T, bool) {
	var zero T
	o := c.sh.objects
	var (
		sh *objectShard
		e  objectEntry
		ok bool
	)
	if c.prefix == "" {
		sh = o.shard(key)
		sh.mu.RLock()
		e, ok = sh.m[key]
		sh.mu.RUnlock()
	} else {
		var buf [256]byte
		b := buf[:0]
		if len(c.prefix)+len(key) > len(buf) {
			b = make([]byte, 0, len(c.prefix)+len(key))
		}
		b = append(append(b, c.prefix...), key...)
		sh = o.shardBytes(b)
		sh.mu.RLock()
		e, ok = sh.m[string(b)]
		sh.mu.RUnlock()
	}
	if !ok || o.now() >= e.expires {
		return zero, false
	}
	v, ok := e.value.(T)
	if !ok {
		return zero, false
	}
	sh.hits.Add(1)
	return v, true
}

// keepObject caches a value decoded from a backend read of sk that began at
// stripe generation gen. Stale values and values the backend says are no
// longer fresh are not cached; the entry lives for maxAge at most, and never
// past the freshness the backend reported.
func (c *Client) keepObject(sk string, gen uint64, value any, f Freshness) {
	o := c.sh.objects
	if f.Stale || c.sh.closed.Load() {
		return
	}
	life := o.maxAge
	if f.Known && !f.NoExpiry && f.FreshFor < life {
		life = f.FreshFor
	}
	if life <= 0 {
		return
	}
	c.sh.versions.keepIf(sk, gen, func() { o.put(sk, value, life) })
}

// put stores value under sk for life, evicting an entry if the shard is
// full. The caller holds sk's stripe lock (see versions.keepIf).
func (o *objectCache) put(sk string, value any, life time.Duration) {
	sh := o.shard(sk)
	e := objectEntry{value: value, expires: o.now() + int64(life)}
	sh.mu.Lock()
	if _, present := sh.m[sk]; !present && len(sh.m) >= o.perShard {
		sh.evictOne(o.now())
	}
	sh.m[sk] = e
	sh.mu.Unlock()
}

// evictOne makes room in a full shard: it drops expired entries it finds
// within a few probes, or else one arbitrary entry (Go's map iteration
// starts at a random position, so this is random eviction).
func (sh *objectShard) evictOne(now int64) {
	probes := 0
	var victim string
	for k, e := range sh.m {
		if now >= e.expires {
			delete(sh.m, k)
			return
		}
		if probes == 0 {
			victim = k
		}
		if probes++; probes == 8 {
			break
		}
	}
	delete(sh.m, victim)
}

// forget removes sk; the caller holds the key's stripe lock.
func (o *objectCache) forget(sk string) {
	sh := o.shard(sk)
	sh.mu.Lock()
	delete(sh.m, sk)
	sh.mu.Unlock()
}

// purge drops every entry (Close).
func (o *objectCache) purge() {
	for i := range o.shards {
		sh := &o.shards[i]
		sh.mu.Lock()
		clear(sh.m)
		sh.mu.Unlock()
	}
}

func (o *objectCache) hitCount() uint64 {
	var n uint64
	for i := range o.shards {
		n += o.shards[i].hits.Load()
	}
	return n
}

func (o *objectCache) len() int {
	n := 0
	for i := range o.shards {
		sh := &o.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}
