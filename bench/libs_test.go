package bench

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	rawbigcache "github.com/allegro/bigcache/v3"
	ekocache "github.com/eko/gocache/lib/v4/cache"
	"github.com/eko/gocache/lib/v4/marshaler"
	ekostore "github.com/eko/gocache/lib/v4/store"
	ekobigcache "github.com/eko/gocache/store/bigcache/v4"
	ekoredis "github.com/eko/gocache/store/redis/v4"
	rediscache "github.com/go-redis/cache/v9"
	goredis "github.com/redis/go-redis/v9"
	"github.com/shamaton/msgpack/v2"
	vmsgpack "github.com/vmihailenco/msgpack/v5"

	redisbackend "github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/crypto"
	"github.com/cachekit-io/cachekit-go/l1/bigcache"
	l1otter "github.com/cachekit-io/cachekit-go/l1/otter"
	"github.com/cachekit-io/cachekit-go/protocol"
)

// Settings every library gets alike.
const (
	// ttl is the TTL of every stored value, in every tier that has one.
	ttl = 10 * time.Minute
	// l1MaxBytes bounds every bigcache L1 (cachekit's, eko's, raw): 64
	// shards of 1 MiB, room for 64 KiB values.
	l1MaxBytes = 64 << 20
	// l1Shards is the shard count of every bigcache L1 (l1/bigcache's
	// default).
	l1Shards = bigcache.DefaultShards
	// localEntries sizes the entry-bounded in-process caches (go-redis/cache's
	// TinyLFU, cachekit's object cache).
	localEntries = 10_000
	// objectMaxAge bounds an object-cache entry's life (the same bound
	// compose puts on a backfilled L1 copy).
	objectMaxAge = compose.DefaultBackfillCap
	// masterKeyHex is the encrypted rows' master key (a test key).
	masterKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
)

// loaderFunc produces the value of a key on a miss (GetOrLoad).
type loaderFunc func(ctx context.Context, key string) (Profile, error)

// lib is one library's two-tier stack — an in-process L1 over the shared
// Redis — as the benchmarks drive it.
type lib interface {
	// Get reads key; found is false on a miss.
	Get(ctx context.Context, key string) (v Profile, found bool, err error)
	// Set writes v under key through every tier, with ttl.
	Set(ctx context.Context, key string, v Profile) error
	// GetOrLoad reads key, or loads, stores and returns it (read-through).
	GetOrLoad(ctx context.Context, key string) (Profile, error)
	// Settle waits until the background work of the calls made so far
	// (backfills, deferred writes) is done. The benchmarks call it inside
	// the timer: that work is part of what the calls cost. After Settle,
	// only Drop, Resume and Close may be called.
	Settle()
	// Drop removes keys from the in-process tiers only (L1, object cache),
	// so that the next reads of them miss there. The benchmarks call it
	// with the timer stopped, after Settle.
	Drop(keys []string)
	// Resume makes the stack usable again after Settle. The benchmarks call
	// it with the timer stopped.
	Resume()
	// Warm brings the in-process byte tier to its steady state before a
	// row that writes to it: bigcache's shard queues start small and double
	// up to their bound, copying as they grow, which a long-running process
	// has long done. Warm fills them to the bound with filler entries.
	Warm()
	// Close releases the stack (not the shared Redis client).
	Close()
}

// Library names: the lib= part of a benchmark name, one benchstat column
// each.
const (
	libCachekit     = "cachekit"         // core client over compose(l1/bigcache → backend/redis)
	libObjects      = "cachekit-objects" // the same with core.WithObjectCache
	libEncrypted    = "cachekit-enc"     // the same with a crypto encryptor (secure preset)
	libBounded      = "cachekit-bounded" // the same with compose.WithInvalidation(false): L1 copies bounded by the PTTL (paired rows only)
	libOtter        = "cachekit-otter"   // the same as cachekit with l1/otter as the L1 (L1HitPaired)
	libScript       = "cachekit-script"  // the same as cachekit over backend/redis.WithGetScript: GET and, after a hit only, PTTL in one EVALSHA (L2HitPaired, MissLoadPaired)
	libNoFresh      = "cachekit-nofresh" // the same as cachekit over backend/redis.WithoutFreshness: bare GET, L1 copies bounded by the compose cap (L2HitPaired only)
	libGocache      = "gocache"          // eko/gocache chain(bigcache → redis) + marshaler; loadable for GetOrLoad
	libGocacheAside = "gocache-aside"    // the same, GetOrLoad as cache-aside (Get, load, Set)
	libRedisCache   = "goredis-cache"    // go-redis/cache: TinyLFU + Redis
	libRaw          = "raw"              // the bare library calls (see newRaw)
)

// libOptions are what newLib needs besides the library name.
type libOptions struct {
	load loaderFunc
	// rawL1 gives the raw stack an L1 (bigcache); without it, raw is go-redis
	// and a shamaton encode/decode alone.
	rawL1 bool
	// redisOnly builds every library without its in-process tier: a client
	// straight over Redis (the RedisHitPaired row). Drop and Warm then do
	// nothing.
	redisOnly bool
}

// newLib builds the named library's stack over srv's client. It is closed
// when the benchmark or test ends.
func newLib(tb testing.TB, name string, srv *server, o libOptions) lib {
	tb.Helper()
	if o.load == nil {
		o.load = func(context.Context, string) (Profile, error) { return Profile{}, errors.New("no loader") }
	}
	var l lib
	switch name {
	case libCachekit:
		l = newCachekit(tb, srv, cachekitConfig{redisOnly: o.redisOnly}, o.load)
	case libObjects:
		l = newCachekit(tb, srv, cachekitConfig{objects: true, redisOnly: o.redisOnly}, o.load)
	case libEncrypted:
		l = newCachekit(tb, srv, cachekitConfig{encrypted: true, redisOnly: o.redisOnly}, o.load)
	case libBounded:
		l = newCachekit(tb, srv, cachekitConfig{bounded: true, redisOnly: o.redisOnly}, o.load)
	case libNoFresh:
		l = newCachekit(tb, srv, cachekitConfig{noFreshness: true, redisOnly: o.redisOnly}, o.load)
	case libScript:
		l = newCachekit(tb, srv, cachekitConfig{getScript: true, redisOnly: o.redisOnly}, o.load)
	case libOtter:
		l = newCachekit(tb, srv, cachekitConfig{otter: true, redisOnly: o.redisOnly}, o.load)
	case libGocache, libGocacheAside:
		l = newGocache(tb, srv.rdb, name == libGocacheAside, o.redisOnly, o.load)
	case libRedisCache:
		l = newRedisCache(srv.rdb, o.redisOnly, o.load)
	case libRaw:
		l = newRaw(tb, srv.rdb, o.rawL1 && !o.redisOnly, o.load)
	default:
		tb.Fatalf("unknown lib %q", name)
	}
	tb.Cleanup(l.Close)
	return l
}

// newL1Config is the bigcache configuration of every raw bigcache (eko's
// store and the raw rows): the one l1/bigcache builds, with bigcache's own
// life window set to ttl (eko's store has no per-entry expiry).
func newL1Config() rawbigcache.Config {
	return rawbigcache.Config{
		Shards:             l1Shards,
		LifeWindow:         ttl,
		CleanWindow:        0,
		MaxEntriesInWindow: l1Shards * 64,
		MaxEntrySize:       128,
		HardMaxCacheSize:   l1MaxBytes >> 20,
		Verbose:            false,
	}
}

// fill writes 1.5 × l1MaxBytes of 32 KiB filler entries through set, which
// leaves every bigcache shard queue at its bound.
func fill(set func(key string, value []byte)) {
	v := make([]byte, 32<<10)
	for i := range l1MaxBytes * 3 / 2 / len(v) {
		set("filler:"+strconv.Itoa(i), v)
	}
}

// ---- cachekit ----

// cachekitConfig selects one of the cachekit configurations the benchmarks
// run. Every cachekit stack is built by newCachekit.
type cachekitConfig struct {
	// objects turns on core.WithObjectCache: decoded values in front of the
	// byte tiers (plaintext clients only).
	objects bool
	// encrypted seals every value with the crypto encryptor (secure preset):
	// both tiers hold ciphertext.
	encrypted bool
	// bounded turns the composition's invalidations off
	// (compose.WithInvalidation(false)): a Redis hit is read with GET+PTTL
	// and its L1 copy bounded by the PTTL, the default before compose
	// followed Redis's invalidations.
	bounded bool
	// noFreshness wraps Redis with backend/redis.WithoutFreshness: a Redis
	// hit is read with a bare GET and its L1 copy kept for compose's
	// backfill cap (30 s), whatever the key's remaining TTL; invalidations
	// still drop it when the key changes. The semantics of go-redis/cache's
	// local cache (a copy lives for its own configured TTL), plus
	// cross-process coherence.
	noFreshness bool
	// redisOnly puts the client straight over backend/redis: no L1, no
	// composition.
	redisOnly bool
	// getScript wraps Redis with backend/redis.WithGetScript: a read is one
	// EVALSHA that runs GET and, only after a hit, PTTL — so a miss sends
	// the server no PTTL — at the price of a script on every read.
	getScript bool
	// otter makes the L1 l1/otter (W-TinyLFU) instead of l1/bigcache, with
	// the same byte bound.
	otter bool
	// observer, if set, observes the client and the composition
	// (BenchmarkObservedL1Hit, BenchmarkObservedL2Hit).
	observer *core.Observer
}

// clientOptions are the core options of a configuration. The encryptor, if
// any, is returned for closing.
func (cfg cachekitConfig) clientOptions() ([]core.Option, *crypto.Encryptor, error) {
	opts := []core.Option{core.WithCodec(protocol.Msgpack()), core.WithDefaultTTL(ttl)}
	var enc *crypto.Encryptor
	if cfg.encrypted {
		var err error
		if enc, err = crypto.NewFromHex(masterKeyHex); err != nil {
			return nil, nil, err
		}
		opts = append(opts, core.WithPreset(core.PresetSecure), core.WithEncryptor(enc))
	}
	if cfg.objects {
		opts = append(opts, core.WithObjectCache(localEntries, objectMaxAge))
	}
	if cfg.observer != nil {
		opts = append(opts, core.WithObserver(cfg.observer))
	}
	return opts, enc, nil
}

// cachekitLib is a core.Client over compose.New(l1/bigcache, backend/redis)
// with compose's defaults: sequential read, write-through (Redis first),
// freshness-bounded backfill of Redis hits into the L1, written inline.
type cachekitLib struct {
	l1    core.Backend     // l1/bigcache or l1/otter; nil: redisOnly
	stack *compose.Backend // nil: redisOnly
	be    core.Backend     // the client's backend: stack, or backend/redis
	opts  []core.Option
	enc   *crypto.Encryptor
	c     *core.Client
	load  loaderFunc
	fresh bool // Drop must replace the client (its object cache)
}

// newCachekit is the one constructor of every cachekit stack the
// benchmarks run (see cachekitConfig). A composition follows Redis's
// invalidations unless cfg.bounded or the server is a miniredis (which has
// no client tracking); it is built live, so that no measured read falls
// back to the bounded path while the watch connects.
func newCachekit(tb testing.TB, srv *server, cfg cachekitConfig, load loaderFunc) *cachekitLib {
	tb.Helper()
	opts, enc, err := cfg.clientOptions()
	if err != nil {
		tb.Fatal(err)
	}
	l := &cachekitLib{opts: opts, enc: enc, load: load, fresh: cfg.objects}
	var wrap []redisbackend.Option
	if cfg.getScript {
		wrap = append(wrap, redisbackend.WithGetScript())
	}
	if cfg.noFreshness {
		wrap = append(wrap, redisbackend.WithoutFreshness())
	}
	rb, err := redisbackend.Wrap(srv.rdb, wrap...)
	if err != nil {
		tb.Fatal(err)
	}
	var be core.Backend = rb
	if !cfg.redisOnly {
		if cfg.otter {
			l.l1, err = l1otter.New(l1otter.WithMaxBytes(l1MaxBytes))
		} else {
			l.l1, err = bigcache.New(bigcache.WithMaxBytes(l1MaxBytes), bigcache.WithShards(l1Shards))
		}
		if err != nil {
			tb.Fatal(err)
		}
		invalidation := !cfg.bounded && srv.mini == nil
		copts := []compose.Option{compose.WithInvalidation(invalidation), compose.WithObserver(cfg.observer)}
		if !cfg.encrypted {
			// The stack checks its copies with the clients' codec (their
			// L1 hits then skip the guard); an encrypting client's L1
			// holds ciphertext, which no guard reads.
			copts = append(copts, compose.WithGuard(protocol.Msgpack()))
		}
		if l.stack, err = compose.New(l.l1, be, copts...); err != nil {
			tb.Fatal(err)
		}
		if invalidation {
			awaitLive(tb, l.stack)
		}
		be = l.stack
	}
	l.be = be
	if l.c, err = core.New(be, opts...); err != nil {
		tb.Fatal(err)
	}
	return l
}

// awaitLive waits until s follows Redis's invalidations.
func awaitLive(tb testing.TB, s *compose.Backend) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !s.Invalidations().Live {
		if time.Now().After(deadline) {
			tb.Fatalf("the composition does not follow Redis's invalidations after 10s: %+v", s.Invalidations())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (l *cachekitLib) Get(ctx context.Context, key string) (Profile, bool, error) {
	return core.Get[Profile](ctx, l.c, key)
}

func (l *cachekitLib) Set(ctx context.Context, key string, v Profile) error {
	return l.c.Set(ctx, key, v)
}

func (l *cachekitLib) GetOrLoad(ctx context.Context, key string) (Profile, error) {
	return core.GetOrLoad(ctx, l.c, key, func(ctx context.Context) (Profile, error) { return l.load(ctx, key) })
}

func (l *cachekitLib) Settle() {
	ctx := context.Background()
	_ = l.c.Wait(ctx)
	if l.stack != nil {
		_ = l.stack.Wait(ctx)
	}
}

func (l *cachekitLib) Drop(keys []string) {
	ctx := context.Background()
	if l.l1 != nil {
		for _, k := range keys {
			_ = l.l1.Delete(ctx, k)
		}
	}
	if l.fresh { // the object cache has no purge but Close: a new client
		_ = l.c.Close()
		c, err := core.New(l.be, l.opts...)
		if err != nil {
			panic(err)
		}
		l.c = c
	}
}

func (l *cachekitLib) Resume() {}

// Warm fills bigcache to its bound (its shard queues grow by copying); an
// otter L1 has no such queues and is not filled, like go-redis/cache's
// TinyLFU, since fillers would change what its admission policy lets in.
func (l *cachekitLib) Warm() {
	if _, ok := l.l1.(*bigcache.Backend); ok {
		fill(func(k string, v []byte) { _ = l.l1.Set(context.Background(), k, v, ttl) })
	}
}

func (l *cachekitLib) Close() {
	_ = l.c.Close()
	if l.stack != nil {
		_ = l.stack.Close() // closes the L1; the wrapped Redis client stays open
	}
	if l.enc != nil {
		_ = l.enc.Close()
	}
}

// ---- eko/gocache ----

// gocacheLib is eko/gocache lib/v4: a chain of a bigcache store over a
// Redis store, behind its marshaler (vmihailenco/msgpack). GetOrLoad is
// eko's LoadableCache (single-flight, stores the loaded value on a
// background goroutine) behind a marshaler, or, with aside, cache-aside:
// the marshaler's Get, then on a miss load and Set.
type gocacheLib struct {
	bc       *rawbigcache.BigCache // nil: Redis only (no chain)
	l1, l2   *ekocache.Cache[any]
	chain    *ekocache.ChainCache[any]
	m        *marshaler.Marshaler
	loadable *ekocache.LoadableCache[any]
	lm       *marshaler.Marshaler
	aside    bool
	load     loaderFunc
	exp      ekostore.Option
	closed   bool // Settle closed the chain: Resume builds a new one
}

func newGocache(tb testing.TB, rdb *goredis.Client, aside, redisOnly bool, load loaderFunc) *gocacheLib {
	tb.Helper()
	l := &gocacheLib{
		l2:    ekocache.New[any](ekoredis.NewRedis(rdb, ekostore.WithExpiration(ttl))),
		aside: aside,
		load:  load,
		exp:   ekostore.WithExpiration(ttl),
	}
	if !redisOnly {
		bc, err := rawbigcache.New(context.Background(), newL1Config())
		if err != nil {
			tb.Fatal(err)
		}
		l.bc, l.l1 = bc, ekocache.New[any](ekobigcache.NewBigcache(bc))
	}
	l.build()
	return l
}

// build makes the chain, the loadable cache and their marshalers over the
// two stores (over the Redis store alone without an L1).
func (l *gocacheLib) build() {
	var top ekocache.CacheInterface[any] = l.l2
	if l.bc != nil {
		l.chain = ekocache.NewChain[any](l.l1, l.l2)
		top = l.chain
	}
	l.m = marshaler.New(top)
	l.loadable = ekocache.NewLoadable[any](l.loadFunc, top)
	l.lm = marshaler.New(l.loadable)
	l.closed = false
}

// loadFunc is the LoadableCache's loader: it hands the marshaler the bytes
// it will unmarshal, so it encodes as the marshaler does.
func (l *gocacheLib) loadFunc(ctx context.Context, key any) (any, []ekostore.Option, error) {
	v, err := l.load(ctx, key.(string))
	if err != nil {
		return nil, nil, err
	}
	b, err := vmsgpack.Marshal(v)
	if err != nil {
		return nil, nil, err
	}
	return b, []ekostore.Option{l.exp}, nil
}

func isEkoMiss(err error) bool { return errors.Is(err, ekostore.NotFound{}) }

func (l *gocacheLib) Get(ctx context.Context, key string) (Profile, bool, error) {
	var v Profile
	if _, err := l.m.Get(ctx, key, &v); err != nil {
		if isEkoMiss(err) {
			return Profile{}, false, nil
		}
		return Profile{}, false, err
	}
	return v, true, nil
}

func (l *gocacheLib) Set(ctx context.Context, key string, v Profile) error {
	return l.m.Set(ctx, key, v, l.exp)
}

func (l *gocacheLib) GetOrLoad(ctx context.Context, key string) (Profile, error) {
	var v Profile
	if !l.aside {
		_, err := l.lm.Get(ctx, key, &v)
		return v, err
	}
	v, found, err := l.Get(ctx, key)
	if err != nil || found {
		return v, err
	}
	if v, err = l.load(ctx, key); err != nil {
		return Profile{}, err
	}
	return v, l.Set(ctx, key, v)
}

// Settle closes the loadable cache and the chain, which drains their
// background setters (eko has no other way to wait for them).
func (l *gocacheLib) Settle() {
	if l.closed {
		return
	}
	_ = l.loadable.Close()
	if l.chain != nil {
		_ = l.chain.Close()
	}
	l.closed = true
}

func (l *gocacheLib) Drop(keys []string) {
	if l.bc == nil {
		return
	}
	for _, k := range keys {
		_ = l.bc.Delete(k)
	}
}

// Resume builds a new chain and loadable cache over the same stores (Settle
// closed the old ones).
func (l *gocacheLib) Resume() {
	if l.closed {
		l.build()
	}
}

func (l *gocacheLib) Warm() {
	if l.bc != nil {
		fill(func(k string, v []byte) { _ = l.bc.Set(k, v) })
	}
}

func (l *gocacheLib) Close() {
	l.Settle()
	if l.bc != nil {
		_ = l.bc.Close()
	}
}

// ---- go-redis/cache ----

// redisCacheLib is go-redis/cache v9: a TinyLFU local cache over Redis (no
// local cache with redisOnly), its default marshaling (vmihailenco/msgpack,
// s2 compression from 64 bytes). GetOrLoad is its Once (single-flight).
type redisCacheLib struct {
	c    *rediscache.Cache
	load loaderFunc
	do   func(*rediscache.Item) (any, error)
}

func newRedisCache(rdb *goredis.Client, redisOnly bool, load loaderFunc) *redisCacheLib {
	o := &rediscache.Options{Redis: rdb}
	if !redisOnly {
		o.LocalCache = rediscache.NewTinyLFU(localEntries, ttl)
	}
	l := &redisCacheLib{c: rediscache.New(o), load: load}
	l.do = func(it *rediscache.Item) (any, error) { return l.load(it.Context(), it.Key) }
	return l
}

func (l *redisCacheLib) Get(ctx context.Context, key string) (Profile, bool, error) {
	var v Profile
	if err := l.c.Get(ctx, key, &v); err != nil {
		if errors.Is(err, rediscache.ErrCacheMiss) {
			return Profile{}, false, nil
		}
		return Profile{}, false, err
	}
	return v, true, nil
}

func (l *redisCacheLib) Set(ctx context.Context, key string, v Profile) error {
	return l.c.Set(&rediscache.Item{Ctx: ctx, Key: key, Value: v, TTL: ttl})
}

func (l *redisCacheLib) GetOrLoad(ctx context.Context, key string) (Profile, error) {
	var v Profile
	err := l.c.Once(&rediscache.Item{Ctx: ctx, Key: key, Value: &v, TTL: ttl, Do: l.do})
	return v, err
}

func (l *redisCacheLib) Settle() {} // it has no background work

func (l *redisCacheLib) Drop(keys []string) {
	for _, k := range keys {
		l.c.DeleteFromLocalCache(k)
	}
}

func (l *redisCacheLib) Resume() {}

// Warm does nothing: TinyLFU keeps references to the values in a map, so it
// has no queues to grow; filling it would also change what its admission
// policy lets in.
func (l *redisCacheLib) Warm() {}

func (l *redisCacheLib) Close() {}

// ---- raw ----

// rawLib is the floor each row is measured against: the bare library calls
// a two-tier cache has to make, with shamaton/msgpack (the encoder under
// cachekit's codec, without its hostile-input guard) and no bookkeeping:
//
//   - Get: bigcache.Get + decode; on an L1 miss, go-redis GET + decode
//     (no backfill). Without an L1 (the L2-hit row): GET + decode.
//   - Set: encode + SET + bigcache.Set.
//   - GetOrLoad: Get; on a miss load, encode, SET, bigcache.Set (no
//     single-flight).
type rawLib struct {
	bc   *rawbigcache.BigCache // nil: no L1
	rdb  *goredis.Client
	load loaderFunc
}

func newRaw(tb testing.TB, rdb *goredis.Client, withL1 bool, load loaderFunc) *rawLib {
	tb.Helper()
	l := &rawLib{rdb: rdb, load: load}
	if withL1 {
		bc, err := rawbigcache.New(context.Background(), newL1Config())
		if err != nil {
			tb.Fatal(err)
		}
		l.bc = bc
	}
	return l
}

func (l *rawLib) Get(ctx context.Context, key string) (Profile, bool, error) {
	var v Profile
	if l.bc != nil {
		if b, err := l.bc.Get(key); err == nil {
			return v, true, msgpack.Unmarshal(b, &v)
		}
	}
	b, err := l.rdb.Get(ctx, key).Bytes()
	if err != nil {
		if errors.Is(err, goredis.Nil) {
			return v, false, nil
		}
		return v, false, err
	}
	return v, true, msgpack.Unmarshal(b, &v)
}

func (l *rawLib) Set(ctx context.Context, key string, v Profile) error {
	b, err := msgpack.Marshal(v)
	if err != nil {
		return err
	}
	if err := l.rdb.Set(ctx, key, b, ttl).Err(); err != nil {
		return err
	}
	if l.bc != nil {
		return l.bc.Set(key, b)
	}
	return nil
}

func (l *rawLib) GetOrLoad(ctx context.Context, key string) (Profile, error) {
	v, found, err := l.Get(ctx, key)
	if err != nil || found {
		return v, err
	}
	if v, err = l.load(ctx, key); err != nil {
		return Profile{}, err
	}
	return v, l.Set(ctx, key, v)
}

func (l *rawLib) Settle() {}

func (l *rawLib) Drop(keys []string) {
	if l.bc != nil {
		for _, k := range keys {
			_ = l.bc.Delete(k)
		}
	}
}

func (l *rawLib) Resume() {}

func (l *rawLib) Warm() {
	if l.bc != nil {
		fill(func(k string, v []byte) { _ = l.bc.Set(k, v) })
	}
}

func (l *rawLib) Close() {
	if l.bc != nil {
		_ = l.bc.Close()
	}
}
