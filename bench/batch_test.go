package bench

import (
	"context"
	"strconv"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/shamaton/msgpack/v2"
)

// The batch rows (issue 24): reading 100 keys from Redis, every library
// straight over Redis (no L1, so each read is a round trip):
//
//   - BatchGet1: one Get, the cost of one round trip.
//   - BatchGet100: 100 keys in one call — cachekit's core.GetMany (one
//     GET+PTTL pipeline), raw go-redis MGET + decode. Neither peer has a
//     multi-key read; their nearest equivalent is BatchGet100Seq.
//   - BatchGet100Seq: 100 Gets one after the other.
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
