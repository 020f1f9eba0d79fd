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

// Eviction is S3-FIFO (Yang et al., SOSP 2023), per shard: a new key enters
// a small FIFO queue (a tenth of the shard); when it reaches the head of
// that queue it moves to the main FIFO queue if it was read since it was
// inserted, and is evicted otherwise, its key remembered in a ghost queue
// so that it goes straight to the main queue if it comes back soon. The
// main queue gives every entry read since its last pass another lap (CLOCK
// with a counter of up to 3). One-hit wonders and scans thus leave through
// the small queue without displacing the keys that are read again, and a
// hit costs one atomic load (and a store while the entry's counter is below
// its cap), under the shard's read lock.
type objectShard struct {
	mu       sync.RWMutex
	m        map[string]*objectEntry
	hits     atomic.Uint64
	small    entryQueue // guarded by mu (write lock), like everything below
	main     entryQueue
	smallLen int // live entries in small
	ghost    ghostQueue
	_        [64]byte // keep the next shard's hot fields off this cache line
}

// objectEntry is immutable once in the map but for freq (atomic) and the
// queue bookkeeping (under the shard's write lock).
type objectEntry struct {
	key     string
	value   any
	expires int64         // nanoseconds since epoch
	freq    atomic.Uint32 // reads since inserted or last passed over, up to maxFreq
	inMain  bool          // in the main queue (else the small one)
	gone    bool          // removed from the map; its queue slot is dead
}

// maxFreq caps an entry's read counter: an entry read that often survives
// that many passes of the main queue's head without another read.
const maxFreq = 3

// touch records a read of e.
func (e *objectEntry) touch() {
	if f := e.freq.Load(); f < maxFreq {
		e.freq.Store(f + 1)
	}
}

// entryQueue is a FIFO of entries. Removed entries stay in it, marked gone,
// until they reach the head or the queue is compacted.
type entryQueue struct {
	buf  []*objectEntry
	head int
}

func (q *entryQueue) push(e *objectEntry) { q.buf = append(q.buf, e) }

// pop returns the oldest live entry, or nil.
func (q *entryQueue) pop() *objectEntry {
	for q.head < len(q.buf) {
		e := q.buf[q.head]
		q.buf[q.head] = nil
		q.head++
		if q.head > 64 && q.head*2 >= len(q.buf) {
			q.buf = append(q.buf[:0], q.buf[q.head:]...)
			q.head = 0
		}
		if !e.gone {
			return e
		}
	}
	return nil
}

// compact drops dead slots once they outnumber live ones (Delete and Set
// remove entries without evicting, which would otherwise grow the queue).
func (q *entryQueue) compact(live int) {
	if len(q.buf)-q.head <= 2*live+64 {
		return
	}
	n := 0
	for _, e := range q.buf[q.head:] {
		if e != nil && !e.gone {
			q.buf[n] = e
			n++
		}
	}
	clear(q.buf[n:])
	q.buf, q.head = q.buf[:n], 0
}

// ghostQueue remembers the keys recently evicted from the small queue, at
// most limit of them.
type ghostQueue struct {
	seq  uint64
	keys map[string]uint64 // key → its slot's sequence number
	fifo []ghostSlot
	head int
}

type ghostSlot struct {
	key string
	seq uint64
}

func (g *ghostQueue) add(key string, limit int) {
	if g.keys == nil {
		g.keys = make(map[string]uint64)
	}
	g.seq++
	g.keys[key] = g.seq
	g.fifo = append(g.fifo, ghostSlot{key, g.seq})
	for len(g.fifo)-g.head > limit {
		old := g.fifo[g.head]
		g.fifo[g.head] = ghostSlot{}
		g.head++
		if g.keys[old.key] == old.seq {
			delete(g.keys, old.key)
		}
	}
	if g.head > 64 && g.head*2 >= len(g.fifo) {
		g.fifo = append(g.fifo[:0], g.fifo[g.head:]...)
		g.head = 0
	}
}

// take reports whether key is remembered, and forgets it.
func (g *ghostQueue) take(key string) bool {
	if _, ok := g.keys[key]; ok {
		delete(g.keys, key)
		return true
	}
	return false
}

func newObjectCache(maxEntries int, maxAge time.Duration) *objectCache {
	per := maxEntries / objectShards // rounded up, without overflowing
	if maxEntries%objectShards != 0 {
		per++
	}
	o := &objectCache{perShard: per, maxAge: maxAge, epoch: time.Now(), seed: maphash.MakeSeed()}
	for i := range o.shards {
		o.shards[i].m = make(map[string]*objectEntry)
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
		e  *objectEntry
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
	e.touch()
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

// put stores value under sk for life, evicting entries while the shard is
// full. The caller holds sk's stripe lock (see versions.keepIf).
func (o *objectCache) put(sk string, value any, life time.Duration) {
	sh := o.shard(sk)
	now := o.now()
	e := &objectEntry{key: sk, value: value, expires: now + int64(life)}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if old, present := sh.m[sk]; present {
		// A replacement keeps the old entry's place and reads.
		e.freq.Store(old.freq.Load())
		sh.unlink(old)
		e.inMain = old.inMain
	} else {
		for len(sh.m) >= o.perShard && sh.evictOne(now, o.perShard) {
		}
		e.inMain = sh.ghost.take(sk)
	}
	sh.m[sk] = e
	if e.inMain {
		sh.main.push(e)
		sh.main.compact(len(sh.m) - sh.smallLen)
	} else {
		sh.small.push(e)
		sh.smallLen++
		sh.small.compact(sh.smallLen)
	}
}

// unlink removes e from the map's bookkeeping (the map entry itself is the
// caller's); the caller holds the write lock.
func (sh *objectShard) unlink(e *objectEntry) {
	e.gone = true
	if !e.inMain {
		sh.smallLen--
	}
}

// remove deletes e from the shard; the caller holds the write lock.
func (sh *objectShard) remove(e *objectEntry) {
	delete(sh.m, e.key)
	sh.unlink(e)
}

// evictOne removes one entry from a full shard of capacity entries and
// reports whether it did: an expired entry at a queue's head, else the
// S3-FIFO victim (see objectShard).
func (sh *objectShard) evictOne(now int64, capacity int) bool {
	smallCap := max(capacity/10, 1)
	for len(sh.m) > 0 {
		if sh.smallLen >= smallCap || len(sh.m) == sh.smallLen {
			e := sh.small.pop()
			if e == nil {
				sh.smallLen = 0 // unreachable: smallLen counts live entries of small
				continue
			}
			sh.smallLen--
			switch {
			case now >= e.expires:
				delete(sh.m, e.key)
				e.gone = true
				return true
			case e.freq.Load() > 0:
				e.freq.Store(0)
				e.inMain = true
				sh.main.push(e)
			default:
				delete(sh.m, e.key)
				e.gone = true
				sh.ghost.add(e.key, capacity)
				return true
			}
			continue
		}
		e := sh.main.pop()
		if e == nil {
			return false
		}
		if f := e.freq.Load(); f > 0 && now < e.expires {
			e.freq.Store(f - 1)
			sh.main.push(e)
			continue
		}
		sh.remove(e)
		return true
	}
	return false
}

// forget removes sk; the caller holds the key's stripe lock.
func (o *objectCache) forget(sk string) {
	sh := o.shard(sk)
	sh.mu.Lock()
	if e, ok := sh.m[sk]; ok {
		sh.remove(e)
	}
	sh.mu.Unlock()
}

// purge drops every entry (Close).
func (o *objectCache) purge() {
	for i := range o.shards {
		sh := &o.shards[i]
		sh.mu.Lock()
		clear(sh.m)
		sh.small, sh.main, sh.smallLen, sh.ghost = entryQueue{}, entryQueue{}, 0, ghostQueue{}
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
