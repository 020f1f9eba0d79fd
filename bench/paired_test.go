package bench

import (
	"context"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"
)

// pairedLibs are the libraries the paired rows pair with raw.
var pairedLibs = []string{libCachekit, libEncrypted, libBounded, libGocache, libRedisCache}

// l2PairedLibs are L2HitPaired's libraries: pairedLibs, cachekit-nofresh
// (cachekit with go-redis/cache's bound on the L1 copy: its own lifetime,
// not the key's TTL) and cachekit-script (exact expiry read by one script).
// Their sets are cachekit's.
var l2PairedLibs = append(slices.Clone(pairedLibs), libNoFresh, libScript)

// missPairedLibs are MissLoadPaired's libraries: pairedLibs and
// cachekit-script, whose miss sends the server no PTTL.
var missPairedLibs = append(slices.Clone(pairedLibs), libScript)

// The paired rows (L1HitPaired, L2HitPaired, RedisHitPaired, SetPaired,
// MissLoadPaired) measure one library and raw in the same loop: the two
// alternate op by op, or batch by batch for L1HitPaired (who goes first
// alternates too), over their own key sets, each op (batch) timed on its
// own, so that both see
// the same machine. On a shared machine the Redis round trip drifts by far
// more than the few per cent these rows are about, and two benchmarks run
// minutes apart do not compare; a pair does. Comparing two libraries'
// vs-raw-% compares them through the common reference.
//
// Reported per op of the library: sec/op; allocs/op and B/op, counted over
// one extra, untimed pass of each side (allocations do not depend on the
// machine's noise); raw-ns/op, raw's time per op in the same loop; and
// vs-raw-%, 100 × (library / raw − 1), the library's overhead over the bare
// calls. Each pass over the key set ends with each side's background work
// settled (timed) and, for reads, its keys made cold again (untimed).

// pairSide is one side of a pair: a library and its keys.
type pairSide struct {
	l             lib
	keys          []string
	ns            time.Duration
	allocs, bytes uint64
}

// pairedRow says what a paired row does with each side.
type pairedRow struct {
	rawL1     bool // raw with an L1 (bigcache)
	redisOnly bool // every library without its in-process tier
	// prepare runs once per side before the timer (store the keys, …).
	prepare func(b *testing.B, sd *pairSide, v Profile)
	// op is the measured operation on key j of sd.
	op func(sd *pairSide, j int, v Profile)
	// cold, if set, makes sd's keys cold again after a pass (untimed).
	cold bool
	// miss, if set, also deletes sd's keys from Redis after a pass
	// (untimed), so that every op misses every tier.
	miss bool
	// batch is how many ops of one side run in a row, timed together
	// (0 or 1: the sides alternate op by op). For ops too short to time
	// one by one.
	batch int
}

// chill makes sd's keys cold again as row asks (untimed), and makes sd
// usable again.
func (row pairedRow) chill(b *testing.B, srv *server, sd *pairSide) {
	if row.cold || row.miss {
		sd.l.Drop(sd.keys)
	}
	if row.miss {
		if err := srv.rdb.Del(context.Background(), sd.keys...).Err(); err != nil {
			b.Fatal(err)
		}
	}
	sd.l.Resume()
}

func runPaired(b *testing.B, s valueSize, name string, row pairedRow) {
	srv := redisContainer(b)
	srv.flush(b)
	v := value(s)
	n := cycleKeys(s)
	load := func(context.Context, string) (Profile, error) { return v, nil }
	mk := func(name, prefix string) *pairSide {
		o := libOptions{rawL1: row.rawL1, redisOnly: row.redisOnly, load: load}
		sd := &pairSide{l: newLib(b, name, srv, o), keys: make([]string, n)}
		sd.l.Warm()
		for i := range sd.keys {
			sd.keys[i] = prefix + strconv.Itoa(i)
		}
		row.prepare(b, sd, v)
		for j := range n { // warm-up: one pass
			row.op(sd, j, v)
		}
		sd.l.Settle()
		row.chill(b, srv, sd)
		return sd
	}
	lib, raw := mk(name, "pair:l:"), mk(libRaw, "pair:r:")
	// timed runs ops j … j+k-1 of sd, timed together.
	timed := func(sd *pairSide, j, k int) {
		t0 := time.Now()
		for o := j; o < j+k; o++ {
			row.op(sd, o, v)
		}
		sd.ns += time.Since(t0)
	}
	endPass := func(sd *pairSide) {
		t0 := time.Now()
		sd.l.Settle()
		sd.ns += time.Since(t0)
		b.StopTimer()
		row.chill(b, srv, sd)
		b.StartTimer()
	}
	batch := max(row.batch, 1)
	b.ResetTimer()
	for i, turn := 0, 0; i < b.N; turn++ {
		j := i % n
		k := min(batch, b.N-i, n-j) // a batch never crosses the end of a pass
		if turn%2 == 0 {
			timed(lib, j, k)
			timed(raw, j, k)
		} else {
			timed(raw, j, k)
			timed(lib, j, k)
		}
		i += k
		if j+k == n || i == b.N {
			endPass(lib)
			endPass(raw)
		}
	}
	b.StopTimer()
	var ms runtime.MemStats
	for _, sd := range []*pairSide{lib, raw} {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		a0, b0 := ms.Mallocs, ms.TotalAlloc
		for j := range n {
			row.op(sd, j, v)
		}
		sd.l.Settle()
		runtime.ReadMemStats(&ms)
		sd.allocs, sd.bytes = ms.Mallocs-a0, ms.TotalAlloc-b0
		row.chill(b, srv, sd)
	}
	libNs := float64(lib.ns.Nanoseconds()) / float64(b.N)
	rawNs := float64(raw.ns.Nanoseconds()) / float64(b.N)
	b.ReportMetric(libNs, "ns/op")
	b.ReportMetric(float64(lib.allocs)/float64(n), "allocs/op")
	b.ReportMetric(float64(lib.bytes)/float64(n), "B/op")
	b.ReportMetric(rawNs, "raw-ns/op")
	b.ReportMetric(100*(libNs/rawNs-1), "vs-raw-%")
}

// l1PairedLibs are L1HitPaired's libraries: hitLibs but raw.
var l1PairedLibs = []string{libCachekit, libOtter, libObjects, libEncrypted, libGocache, libRedisCache}

// l1Batch is how many L1 hits one side of L1HitPaired makes in a row, timed
// together: a hit takes from 0.2 µs, close to the cost of reading the clock
// twice on this VM (≈ 0.07 µs a read).
const l1Batch = 32

// BenchmarkL1HitPaired: the in-process hit of L1Hit, paired with raw
// bigcache.Get + shamaton decode. Every key of the side's set is in its
// in-process tier (stored, then read once in the warm-up pass); the two
// sides take turns in batches of l1Batch hits. L1Hit's rows run minutes
// apart, and on this machine their drift is as large as the gaps between
// the libraries at 100 B; a pair sees the same machine.
func BenchmarkL1HitPaired(b *testing.B) {
	each(b, l1PairedLibs, func(b *testing.B, s valueSize, name string) {
		runPaired(b, s, name, readRow(b, pairedRow{rawL1: true, batch: l1Batch}))
	})
}

// BenchmarkL1LoadHitPaired: L1HitPaired through GetOrLoad, the read-through
// most callers use, paired the same way (raw's GetOrLoad on a hit is its
// bigcache.Get + decode). A local hit takes no flight and loads nothing.
func BenchmarkL1LoadHitPaired(b *testing.B) {
	ctx := context.Background()
	each(b, l1PairedLibs, func(b *testing.B, s valueSize, name string) {
		row := readRow(b, pairedRow{rawL1: true, batch: l1Batch})
		row.op = func(sd *pairSide, j int, v Profile) {
			got, err := sd.l.GetOrLoad(ctx, sd.keys[j])
			check(b, v, got, err == nil, err)
		}
		runPaired(b, s, name, row)
	})
}

// BenchmarkL2HitPaired: the Redis hit of L2Hit (L1 cold), paired with raw
// go-redis GET + shamaton decode.
func BenchmarkL2HitPaired(b *testing.B) {
	each(b, l2PairedLibs, func(b *testing.B, s valueSize, name string) {
		runPaired(b, s, name, readRow(b, pairedRow{cold: true}))
	})
}

// readRow completes row (its cold and redisOnly) as a row of Redis reads:
// prepare stores every key, and with cold drops them from the in-process
// tiers again; op reads key j and checks the value.
func readRow(b *testing.B, row pairedRow) pairedRow {
	ctx := context.Background()
	row.prepare = func(b *testing.B, sd *pairSide, v Profile) {
		for _, k := range sd.keys {
			if err := sd.l.Set(ctx, k, v); err != nil {
				b.Fatal(err)
			}
		}
		sd.l.Settle()
		if row.cold {
			sd.l.Drop(sd.keys)
			sd.l.Resume()
		}
	}
	row.op = func(sd *pairSide, j int, v Profile) {
		got, found, err := sd.l.Get(ctx, sd.keys[j])
		check(b, v, got, found, err)
	}
	return row
}

// redisOnlyLibs are the libraries of RedisHitPaired: cachekit-bounded and
// cachekit-objects would read Redis exactly as cachekit does there.
var redisOnlyLibs = []string{libCachekit, libEncrypted, libGocache, libRedisCache}

// BenchmarkRedisHitPaired: a Redis hit through a client with no in-process
// tier at all (cachekit's core client straight over backend/redis, eko's
// cache over its Redis store, go-redis/cache without a local cache), paired
// with raw go-redis GET + shamaton decode. It prices the SDK's Redis read
// itself — key, read, envelope, decode — apart from the L1 write and the
// freshness read an L2 hit also pays (L2HitPaired).
func BenchmarkRedisHitPaired(b *testing.B) {
	each(b, redisOnlyLibs, func(b *testing.B, s valueSize, name string) {
		runPaired(b, s, name, readRow(b, pairedRow{redisOnly: true}))
	})
}

// BenchmarkMissLoadPaired: GetOrLoad of a key no tier holds (read, load,
// write-through), paired with raw: go-redis GET (a miss), the loader, encode,
// SET and bigcache.Set, one call after the other. The loader returns at once,
// so the row prices the library's miss path itself.
func BenchmarkMissLoadPaired(b *testing.B) {
	ctx := context.Background()
	each(b, missPairedLibs, func(b *testing.B, s valueSize, name string) {
		runPaired(b, s, name, pairedRow{
			rawL1:   true,
			miss:    true,
			prepare: func(*testing.B, *pairSide, Profile) {},
			op: func(sd *pairSide, j int, v Profile) {
				got, err := sd.l.GetOrLoad(ctx, sd.keys[j])
				check(b, v, got, true, err)
			},
		})
	})
}

// BenchmarkSetPaired: the write-through of Set, paired with raw encode +
// SET + bigcache.Set.
func BenchmarkSetPaired(b *testing.B) {
	ctx := context.Background()
	each(b, pairedLibs, func(b *testing.B, s valueSize, name string) {
		runPaired(b, s, name, pairedRow{
			rawL1:   true,
			prepare: func(*testing.B, *pairSide, Profile) {},
			op: func(sd *pairSide, j int, v Profile) {
				if err := sd.l.Set(ctx, sd.keys[j], v); err != nil {
					b.Fatal(err)
				}
			},
		})
	})
}
