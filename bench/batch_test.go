package bench

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/shamaton/msgpack/v2"
)

// The batch rows (issue 24): reading 100 keys from Redis, every library
// straight over Redis (no L1, so each read is a round trip):
//
//   - BatchGet1: one Get, the cost of one round trip.
//   - BatchGet100: 100 keys in one call — cachekit's core.GetMany (one
//     MGET: a client over Redis without an object cache needs no
//     freshness), raw go-redis MGET + decode. Neither peer has a
//     multi-key read; their nearest equivalent is BatchGet100Seq.
//   - BatchGet100Seq: 100 Gets one after the other.
//   - BatchPaired: the three in one loop, for the ratios (see there).
const batchKeys = 100

var (
	batchOneLibs  = []string{libCachekit, libGocache, libRedisCache, libRaw}
	batchManyLibs = []string{libCachekit, libRaw}
)

// batchSetup stores batchKeys values through lib and returns their keys.
func batchSetup(b *testing.B, l lib, v Profile) []string {
	ctx := context.Background()
	keys := make([]string, batchKeys)
	for i := range keys {
		keys[i] = "batch:" + strconv.Itoa(i)
		if err := l.Set(ctx, keys[i], v); err != nil {
			b.Fatal(err)
		}
	}
	l.Settle()
	l.Resume()
	return keys
}

func BenchmarkBatchGet1(b *testing.B) {
	s := sizes[0]
	for _, name := range batchOneLibs {
		b.Run("size="+s.name+"/lib="+name, func(b *testing.B) {
			srv := redisContainer(b)
			srv.flush(b)
			l := newLib(b, name, srv, libOptions{redisOnly: true})
			v := value(s)
			keys := batchSetup(b, l, v)
			ctx := context.Background()
			m := startMeter(b, srv)
			for i := 0; i < b.N; i++ {
				got, found, err := l.Get(ctx, keys[i%len(keys)])
				check(b, v, got, found, err)
			}
			m.stop()
		})
	}
}

func BenchmarkBatchGet100Seq(b *testing.B) {
	s := sizes[0]
	for _, name := range batchOneLibs {
		b.Run("size="+s.name+"/lib="+name, func(b *testing.B) {
			srv := redisContainer(b)
			srv.flush(b)
			l := newLib(b, name, srv, libOptions{redisOnly: true})
			v := value(s)
			keys := batchSetup(b, l, v)
			ctx := context.Background()
			m := startMeter(b, srv)
			for i := 0; i < b.N; i++ {
				for _, k := range keys {
					got, found, err := l.Get(ctx, k)
					check(b, v, got, found, err)
				}
			}
			m.stop()
		})
	}
}

func BenchmarkBatchGet100(b *testing.B) {
	s := sizes[0]
	for _, name := range batchManyLibs {
		b.Run("size="+s.name+"/lib="+name, func(b *testing.B) {
			srv := redisContainer(b)
			srv.flush(b)
			l := newLib(b, name, srv, libOptions{redisOnly: true})
			v := value(s)
			keys := batchSetup(b, l, v)
			ctx := context.Background()
			var read func() int
			switch name {
			case libCachekit:
				c := l.(*cachekitLib).c
				read = func() int {
					got, err := core.GetMany[Profile](ctx, c, keys)
					if err != nil {
						b.Fatal(err)
					}
					return len(got)
				}
			case libRaw:
				read = func() int {
					vals, err := srv.rdb.MGet(ctx, keys...).Result()
					if err != nil {
						b.Fatal(err)
					}
					n := 0
					for _, x := range vals {
						var p Profile
						if s, ok := x.(string); ok && msgpack.Unmarshal([]byte(s), &p) == nil {
							n++
						}
					}
					return n
				}
			}
			if n := read(); n != len(keys) {
				b.Fatalf("read %d of %d keys", n, len(keys))
			}
			m := startMeter(b, srv)
			for i := 0; i < b.N; i++ {
				if n := read(); n != len(keys) {
					b.Fatalf("read %d of %d keys", n, len(keys))
				}
			}
			m.stop()
		})
	}
}

// BenchmarkBatchPaired: the ratios of issue 24 measured in one loop, so
// that the three operations see the same machine (unpaired, a single Get
// here drifts by ±50–150 % between rounds, more than the ratio itself):
// one Get (key i of the 100), GetMany of the 100 keys, and, every
// batchSeqEvery iterations, the 100 keys read by 100 sequential Gets, each
// timed on its own; who goes first alternates. Every library is straight
// over Redis (no L1). ns/op is GetMany's time; get1-ns/op and seq-ns/op the
// single Get's and the 100 Gets'; x-get1 = GetMany / one Get (target
// ≤ 1.5) and seq-x = 100 Gets / GetMany (target ≥ 20).
//
// value=profile reads the 100 B Profile (decoded into the struct: decode
// bound); value=bytes reads 100 B []byte values (cachekit: GetMany[[]byte]
// through the msgpack codec; raw: MGET and GET with no decode), which is
// the round trip and the per-value envelope alone.
func BenchmarkBatchPaired(b *testing.B) {
	for _, kind := range []string{"profile", "bytes"} {
		for _, name := range batchManyLibs {
			b.Run("value="+kind+"/lib="+name, func(b *testing.B) {
				runBatchPaired(b, name, kind == "bytes")
			})
		}
	}
}

// batchSeqEvery is how often (in iterations) BatchPaired times 100
// sequential Gets: they take 100 round trips, and every iteration would
// spend the run on them.
const batchSeqEvery = 8

func runBatchPaired(b *testing.B, name string, bytesValues bool) {
	ctx := context.Background()
	srv := redisContainer(b)
	srv.flush(b)
	l := newLib(b, name, srv, libOptions{redisOnly: true})
	v := value(sizes[0])
	blob := make([]byte, 100)
	for i := range blob {
		blob[i] = byte(i * 7)
	}
	keys := make([]string, batchKeys)
	for i := range keys {
		keys[i] = "batchp:" + strconv.Itoa(i)
	}
	var get1 func(k string)
	var many func()
	fail := func(what string, n int, err error) {
		b.Fatalf("%s: %d of %d values, %v", what, n, len(keys), err)
	}
	switch {
	case name == libCachekit && bytesValues:
		c := l.(*cachekitLib).c
		for _, k := range keys {
			if err := c.Set(ctx, k, blob); err != nil {
				b.Fatal(err)
			}
		}
		get1 = func(k string) {
			if got, found, err := core.Get[[]byte](ctx, c, k); err != nil || !found || len(got) != len(blob) {
				fail("Get", len(got), err)
			}
		}
		many = func() {
			if got, err := core.GetMany[[]byte](ctx, c, keys); err != nil || len(got) != len(keys) {
				fail("GetMany", len(got), err)
			}
		}
	case name == libCachekit:
		c := l.(*cachekitLib).c
		for _, k := range keys {
			if err := c.Set(ctx, k, v); err != nil {
				b.Fatal(err)
			}
		}
		get1 = func(k string) {
			got, found, err := core.Get[Profile](ctx, c, k)
			check(b, v, got, found, err)
		}
		many = func() {
			if got, err := core.GetMany[Profile](ctx, c, keys); err != nil || len(got) != len(keys) {
				fail("GetMany", len(got), err)
			}
		}
	case bytesValues: // raw
		for _, k := range keys {
			if err := srv.rdb.Set(ctx, k, blob, ttl).Err(); err != nil {
				b.Fatal(err)
			}
		}
		get1 = func(k string) {
			if got, err := srv.rdb.Get(ctx, k).Bytes(); err != nil || len(got) != len(blob) {
				fail("GET", len(got), err)
			}
		}
		many = func() {
			vals, err := srv.rdb.MGet(ctx, keys...).Result()
			n := 0
			for _, x := range vals {
				if s, ok := x.(string); ok && len(s) == len(blob) {
					n++
				}
			}
			if err != nil || n != len(keys) {
				fail("MGET", n, err)
			}
		}
	default: // raw, Profile
		for _, k := range keys {
			if err := l.Set(ctx, k, v); err != nil {
				b.Fatal(err)
			}
		}
		get1 = func(k string) {
			got, found, err := l.Get(ctx, k)
			check(b, v, got, found, err)
		}
		many = func() {
			vals, err := srv.rdb.MGet(ctx, keys...).Result()
			n := 0
			for _, x := range vals {
				var p Profile
				if s, ok := x.(string); ok && msgpack.Unmarshal([]byte(s), &p) == nil && p.ID == v.ID {
					n++
				}
			}
			if err != nil || n != len(keys) {
				fail("MGET", n, err)
			}
		}
	}
	l.Settle()
	seq := func() {
		for _, k := range keys {
			get1(k)
		}
	}
	for i := range 20 { // warm-up
		get1(keys[i%len(keys)])
		many()
	}
	seq()
	var t1, tm, ts time.Duration
	nseq := 0
	timed := func(f func(), into *time.Duration) {
		t0 := time.Now()
		f()
		*into += time.Since(t0)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := keys[i%len(keys)]
		one := func() { get1(k) }
		if i%2 == 0 {
			timed(one, &t1)
			timed(many, &tm)
		} else {
			timed(many, &tm)
			timed(one, &t1)
		}
		if i%batchSeqEvery == 0 {
			timed(seq, &ts)
			nseq++
		}
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(tm.Nanoseconds())/n, "ns/op")
	b.ReportMetric(float64(t1.Nanoseconds())/n, "get1-ns/op")
	b.ReportMetric(float64(ts.Nanoseconds())/float64(nseq), "seq-ns/op")
	b.ReportMetric(float64(tm)/float64(t1), "x-get1")
	b.ReportMetric(float64(ts)/float64(nseq)/(float64(tm)/n), "seq-x")
}
