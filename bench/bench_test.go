package bench

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Library sets of the benchmarks, in column order.
var (
	// hitLibs run every row but the stampede.
	hitLibs = []string{libCachekit, libObjects, libEncrypted, libGocache, libRedisCache, libRaw}
	// stampedeLibs are the libraries with a read-through call to stampede
	// (raw has no single-flight to test).
	stampedeLibs = []string{libCachekit, libObjects, libEncrypted, libGocache, libGocacheAside, libRedisCache}
)

// Shapes of the rows.
const (
	// warmups is how many calls run before the timer starts (their cost and
	// their allocations are excluded).
	warmups = 200
	// stampedeGoroutines ask for one cold key at once in BenchmarkStampede.
	stampedeGoroutines = 1000
	// loadDelay is how long a load takes (a slow source keeps a flight
	// open while the stampede arrives).
	loadDelay = time.Millisecond
)

// cycleKeys is the size of the key set the L2-hit and miss+load rows cycle
// through: after each pass the in-process tiers are emptied of it.
func cycleKeys(s valueSize) int {
	if s.target >= 64<<10 {
		return 128
	}
	return 256
}

var (
	valuesMu sync.Mutex
	values   = map[string]Profile{}
)

// value returns the (cached) value of size s.
func value(s valueSize) Profile {
	valuesMu.Lock()
	defer valuesMu.Unlock()
	v, ok := values[s.name]
	if !ok {
		v = valueOf(s)
		values[s.name] = v
	}
	return v
}

// each runs fn for every size and library as sub-benchmarks named
// size=…/lib=… (benchstat -col /lib puts the libraries in columns).
func each(b *testing.B, libs []string, fn func(b *testing.B, s valueSize, name string)) {
	for _, s := range sizes {
		for _, name := range libs {
			b.Run("size="+s.name+"/lib="+name, func(b *testing.B) { fn(b, s, name) })
		}
	}
}

// meter runs a benchmark's timer and counts the Redis commands sent while
// it runs (redis-cmds/op).
type meter struct {
	b    *testing.B
	srv  *server
	cmds int64
	mark int64
}

// startMeter resets the timer (everything before is set-up and warm-up).
func startMeter(b *testing.B, srv *server) *meter {
	m := &meter{b: b, srv: srv, mark: srv.commands(b)}
	b.ReportAllocs()
	b.ResetTimer()
	return m
}

func (m *meter) pause() {
	m.b.StopTimer()
	m.cmds += m.srv.commands(m.b) - m.mark
}

func (m *meter) resume() {
	m.mark = m.srv.commands(m.b)
	m.b.StartTimer()
}

// stop stops the timer and reports redis-cmds/op.
func (m *meter) stop() {
	m.pause()
	m.b.ReportMetric(float64(m.cmds)/float64(m.b.N), "redis-cmds/op")
}

func check(b *testing.B, want, got Profile, found bool, err error) {
	if err != nil || !found || got.ID != want.ID || len(got.Blob) != len(want.Blob) {
		b.Fatalf("read: found=%v err=%v id=%d blob=%d", found, err, got.ID, len(got.Blob))
	}
}

// BenchmarkL1Hit: a hit in the in-process tier, one hot key (cachekit-objects:
// a hit in the object cache, in front of the L1). Needs no container: the
// second tier is the shared Redis if the rig is up, else a miniredis, and
// is never reached (redis-cmds/op is 0). raw is bigcache.Get + shamaton
// decode.
func BenchmarkL1Hit(b *testing.B) {
	each(b, hitLibs, func(b *testing.B, s valueSize, name string) {
		ctx := context.Background()
		srv := anyRedis(b)
		srv.flush(b)
		l := newLib(b, name, srv, libOptions{rawL1: true})
		v := value(s)
		const key = "l1hit"
		if err := l.Set(ctx, key, v); err != nil {
			b.Fatal(err)
		}
		for range warmups {
			got, found, err := l.Get(ctx, key)
			check(b, v, got, found, err)
		}
		l.Settle()
		l.Resume()
		m := startMeter(b, srv)
		for i := 0; i < b.N; i++ {
			got, found, err := l.Get(ctx, key)
			check(b, v, got, found, err)
		}
		l.Settle()
		m.stop()
	})
}

// BenchmarkL1HitParallel is BenchmarkL1Hit under b.RunParallel (GOMAXPROCS
// goroutines on one hot key).
func BenchmarkL1HitParallel(b *testing.B) {
	each(b, hitLibs, func(b *testing.B, s valueSize, name string) {
		ctx := context.Background()
		srv := anyRedis(b)
		srv.flush(b)
		l := newLib(b, name, srv, libOptions{rawL1: true})
		v := value(s)
		const key = "l1hit"
		if err := l.Set(ctx, key, v); err != nil {
			b.Fatal(err)
		}
		for range warmups {
			got, found, err := l.Get(ctx, key)
			check(b, v, got, found, err)
		}
		l.Settle()
		l.Resume()
		m := startMeter(b, srv)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				got, found, err := l.Get(ctx, key)
				if err != nil || !found || got.ID != v.ID || len(got.Blob) != len(v.Blob) {
					b.Errorf("read: found=%v err=%v", found, err)
					return
				}
			}
		})
		l.Settle()
		m.stop()
	})
}

// BenchmarkL2Hit: a Redis hit with the in-process tiers cold. Each
// iteration reads the next key of a set of cycleKeys keys (stored by the
// library itself); after a pass over the set, the library's background
// work is waited for (timed) and the set is dropped from its L1 and object
// cache (timer stopped), so every read misses the L1 and hits Redis, and
// the backfill it causes is paid for. redis-cmds/op shows the round trip:
// 1 for GET, 2 for GET+PTTL (cachekit, one pipelined round trip) and for
// GET then TTL (eko, two round trips). raw is go-redis GET + shamaton
// decode, with no L1. Like every row that writes into the L1, it starts
// with the L1 filled to its bound (lib.Warm).
func BenchmarkL2Hit(b *testing.B) {
	each(b, hitLibs, func(b *testing.B, s valueSize, name string) {
		ctx := context.Background()
		srv := redisContainer(b)
		srv.flush(b)
		l := newLib(b, name, srv, libOptions{rawL1: false})
		l.Warm()
		v := value(s)
		keys := make([]string, cycleKeys(s))
		for i := range keys {
			keys[i] = "l2hit:" + strconv.Itoa(i)
			if err := l.Set(ctx, keys[i], v); err != nil {
				b.Fatal(err)
			}
		}
		l.Settle()
		l.Drop(keys)
		l.Resume()
		for _, k := range keys { // warm-up: one pass
			got, found, err := l.Get(ctx, k)
			check(b, v, got, found, err)
		}
		l.Settle()
		l.Drop(keys)
		l.Resume()
		m := startMeter(b, srv)
		for i := 0; i < b.N; i++ {
			j := i % len(keys)
			got, found, err := l.Get(ctx, keys[j])
			check(b, v, got, found, err)
			if j == len(keys)-1 {
				l.Settle()
				m.pause()
				l.Drop(keys)
				l.Resume()
				m.resume()
			}
		}
		l.Settle()
		m.stop()
	})
}

// BenchmarkSet: a write through both tiers (cachekit: Redis, then the L1;
// eko's chain: bigcache, then Redis; go-redis/cache: TinyLFU, then Redis;
// raw: encode, SET, bigcache.Set), cycling over cycleKeys keys.
func BenchmarkSet(b *testing.B) {
	each(b, hitLibs, func(b *testing.B, s valueSize, name string) {
		ctx := context.Background()
		srv := redisContainer(b)
		srv.flush(b)
		l := newLib(b, name, srv, libOptions{rawL1: true})
		l.Warm()
		v := value(s)
		keys := make([]string, cycleKeys(s))
		for i := range keys {
			keys[i] = "set:" + strconv.Itoa(i)
		}
		for i := range warmups {
			if err := l.Set(ctx, keys[i%len(keys)], v); err != nil {
				b.Fatal(err)
			}
		}
		l.Settle()
		l.Resume()
		m := startMeter(b, srv)
		for i := 0; i < b.N; i++ {
			if err := l.Set(ctx, keys[i%len(keys)], v); err != nil {
				b.Fatal(err)
			}
		}
		l.Settle()
		m.stop()
	})
}

// BenchmarkMissLoad: a read-through call on a key cold in both tiers: the
// miss, the load (which returns the value at once) and the store into both
// tiers. Keys cycle as in BenchmarkL2Hit; after each pass they are deleted
// from Redis and the in-process tiers (timer stopped). loads/op must be 1.
func BenchmarkMissLoad(b *testing.B) {
	each(b, hitLibs, func(b *testing.B, s valueSize, name string) {
		ctx := context.Background()
		srv := redisContainer(b)
		srv.flush(b)
		v := value(s)
		var loads atomic.Int64
		load := func(context.Context, string) (Profile, error) {
			loads.Add(1)
			return v, nil
		}
		l := newLib(b, name, srv, libOptions{rawL1: true, load: load})
		l.Warm()
		keys := make([]string, cycleKeys(s))
		for i := range keys {
			keys[i] = "miss:" + strconv.Itoa(i)
		}
		drop := func() {
			l.Drop(keys)
			l.Resume()
			if err := srv.rdb.Del(ctx, keys...).Err(); err != nil {
				b.Fatal(err)
			}
		}
		for _, k := range keys { // warm-up: one pass
			got, err := l.GetOrLoad(ctx, k)
			check(b, v, got, true, err)
		}
		l.Settle()
		drop()
		loads.Store(0)
		m := startMeter(b, srv)
		for i := 0; i < b.N; i++ {
			j := i % len(keys)
			got, err := l.GetOrLoad(ctx, keys[j])
			check(b, v, got, true, err)
			if j == len(keys)-1 {
				l.Settle()
				m.pause()
				drop()
				m.resume()
			}
		}
		l.Settle()
		m.stop()
		b.ReportMetric(float64(loads.Load())/float64(b.N), "loads/op")
	})
}

// BenchmarkStampede: stampedeGoroutines goroutines call the library's
// read-through on one key cold in both tiers, released at once; the load
// takes loadDelay. One op is one stampede, from the release until every
// goroutine has its value (the goroutines are started with the timer
// stopped). loads/op is how many loads ran: 1 with single-flight.
// 1 KiB values only.
func BenchmarkStampede(b *testing.B) {
	s := sizes[1]
	for _, name := range stampedeLibs {
		b.Run("size="+s.name+"/lib="+name, func(b *testing.B) {
			ctx := context.Background()
			srv := redisContainer(b)
			srv.flush(b)
			v := value(s)
			var loads atomic.Int64
			load := func(context.Context, string) (Profile, error) {
				loads.Add(1)
				time.Sleep(loadDelay)
				return v, nil
			}
			l := newLib(b, name, srv, libOptions{load: load})
			stampede := func(m *meter, key string) {
				if m != nil {
					m.pause()
				}
				l.Resume()
				start := make(chan struct{})
				var wg sync.WaitGroup
				var failed atomic.Int64
				for range stampedeGoroutines {
					wg.Go(func() {
						<-start
						got, err := l.GetOrLoad(ctx, key)
						if err != nil || got.ID != v.ID || len(got.Blob) != len(v.Blob) {
							failed.Add(1)
						}
					})
				}
				if m != nil {
					m.resume()
				}
				close(start)
				wg.Wait()
				l.Settle()
				if n := failed.Load(); n > 0 {
					b.Fatalf("%d of %d callers got no value", n, stampedeGoroutines)
				}
			}
			stampede(nil, "stampede:warmup")
			loads.Store(0)
			m := startMeter(b, srv)
			for i := 0; i < b.N; i++ {
				stampede(m, "stampede:"+strconv.Itoa(i))
			}
			m.stop()
			b.ReportMetric(float64(loads.Load())/float64(b.N), "loads/op")
		})
	}
}
