package bench

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// allLibs is every library the benchmarks run.
func allLibs() []string {
	var names []string
	for _, n := range slices.Concat(hitLibs, stampedeLibs, l2PairedLibs, l1PairedLibs) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

func TestValueSizes(t *testing.T) {
	for _, s := range sizes {
		v := valueOf(s)
		n := encodedLen(v)
		if s.target != 0 && n != s.target {
			t.Errorf("size=%s: encoded %d bytes, want %d", s.name, n, s.target)
		}
		if s.target == 0 && (n < 80 || n > 120 || v.Blob != nil) {
			t.Errorf("size=%s: encoded %d bytes (blob %d), want about 100 and no blob", s.name, n, len(v.Blob))
		}
	}
}

// TestLibs checks, for every library and size, over a miniredis, what the
// benchmarks rely on: the value round-trips unchanged, an L1 hit sends no
// Redis command, Drop makes the next read reach Redis, and GetOrLoad loads
// a cold key once and stores it in Redis.
func TestLibs(t *testing.T) {
	ctx := context.Background()
	srv := miniRedis(t)
	for _, name := range allLibs() {
		for _, s := range sizes {
			t.Run("size="+s.name+"/lib="+name, func(t *testing.T) {
				srv.flush(t)
				want := valueOf(s)
				var loads atomic.Int64
				l := newLib(t, name, srv, libOptions{rawL1: true, load: func(context.Context, string) (Profile, error) {
					loads.Add(1)
					return want, nil
				}})
				if err := l.Set(ctx, "k", want); err != nil {
					t.Fatal(err)
				}
				l.Settle()
				l.Resume()
				before := srv.commands(t)
				for range 3 {
					got, found, err := l.Get(ctx, "k")
					if err != nil || !found || !reflect.DeepEqual(got, want) {
						t.Fatalf("L1 read: found=%v err=%v equal=%v", found, err, reflect.DeepEqual(got, want))
					}
				}
				l.Settle()
				l.Resume()
				if d := srv.commands(t) - before; d != 0 {
					t.Errorf("L1 hits sent %d Redis commands", d)
				}

				l.Drop([]string{"k"})
				before = srv.commands(t)
				got, found, err := l.Get(ctx, "k")
				if err != nil || !found || !reflect.DeepEqual(got, want) {
					t.Fatalf("read after Drop: found=%v err=%v", found, err)
				}
				if srv.commands(t) == before {
					t.Error("read after Drop did not reach Redis")
				}
				l.Settle()
				l.Resume()

				if _, found, err := l.Get(ctx, "absent"); err != nil || found {
					t.Errorf("miss: found=%v err=%v", found, err)
				}
				got, err = l.GetOrLoad(ctx, "cold")
				if err != nil || !reflect.DeepEqual(got, want) || loads.Load() != 1 {
					t.Fatalf("GetOrLoad: err=%v equal=%v loads=%d", err, reflect.DeepEqual(got, want), loads.Load())
				}
				l.Settle()
				l.Resume()
				if n, err := srv.rdb.Exists(ctx, "cold").Result(); err != nil || n != 1 {
					t.Errorf("GetOrLoad stored nothing in Redis: %d %v", n, err)
				}
			})
		}
	}
}

// TestRedisOnlyLibs: without an in-process tier every read reaches Redis,
// with one command (a GET) for every library: cachekit's client reads
// backend/redis through core.ValueGetter, without the PTTL.
func TestRedisOnlyLibs(t *testing.T) {
	ctx := context.Background()
	srv := miniRedis(t)
	for _, name := range redisOnlyLibs {
		t.Run(name, func(t *testing.T) {
			srv.flush(t)
			l := newLib(t, name, srv, libOptions{redisOnly: true})
			l.Warm() // nothing to fill
			if err := l.Set(ctx, "k", sample); err != nil {
				t.Fatal(err)
			}
			l.Settle()
			l.Drop([]string{"k"}) // nothing to drop
			l.Resume()
			for i := range 3 {
				before := srv.commands(t)
				got, found, err := l.Get(ctx, "k")
				if err != nil || !found || !reflect.DeepEqual(got, sample) {
					t.Fatalf("read %d: found=%v err=%v", i, found, err)
				}
				if d := srv.commands(t) - before; d != 1 {
					t.Errorf("read %d sent %d Redis commands, want 1", i, d)
				}
			}
		})
	}
}

// TestSingleFlight: the libraries with single-flight load a stampeded cold
// key once (gocache-aside, cache-aside, has none and is not checked).
func TestSingleFlight(t *testing.T) {
	ctx := context.Background()
	srv := miniRedis(t)
	for _, name := range stampedeLibs {
		if name == libGocacheAside {
			continue
		}
		t.Run(name, func(t *testing.T) {
			srv.flush(t)
			var loads atomic.Int64
			l := newLib(t, name, srv, libOptions{load: func(context.Context, string) (Profile, error) {
				loads.Add(1)
				time.Sleep(50 * time.Millisecond)
				return sample, nil
			}})
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range 50 {
				wg.Go(func() {
					<-start
					if got, err := l.GetOrLoad(ctx, "hot"); err != nil || got.ID != sample.ID {
						t.Errorf("caller %d: %v", i, err)
					}
				})
			}
			close(start)
			wg.Wait()
			l.Settle()
			l.Resume()
			if n := loads.Load(); n != 1 {
				t.Errorf("%d loads for one stampede, want 1", n)
			}
		})
	}
}

func TestCountCommands(t *testing.T) {
	info := "# Commandstats\r\ncmdstat_get:calls=7,usec=10,usec_per_call=1.43,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_info:calls=3,usec=1\r\ncmdstat_pttl:calls=" + strconv.Itoa(5) + ",usec=2\r\ncmdstat_hello:calls=2,usec=1\r\n" +
		"cmdstat_client|tracking:calls=4,usec=1\r\ncmdstat_client|id:calls=4,usec=1\r\ncmdstat_subscribe:calls=4,usec=1\r\n"
	n, err := countCommands(info)
	if err != nil || n != 12 {
		t.Fatalf("countCommands = %d, %v; want 12", n, err)
	}
	if _, err := countCommands("cmdstat_get:calls=x,usec=1"); err == nil {
		t.Fatal("countCommands accepted a bad count")
	}
}
