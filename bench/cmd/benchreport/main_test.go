package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/cachekit-io/cachekit-go/bench
cpu: Test CPU
BenchmarkL1Hit/size=100B/lib=cachekit-2         	 100	      1000 ns/op	         0 redis-cmds/op	     253 B/op	       6 allocs/op
BenchmarkL1Hit/size=100B/lib=cachekit-2         	 100	      1200 ns/op	         0 redis-cmds/op	     253 B/op	       6 allocs/op
BenchmarkL1Hit/size=100B/lib=cachekit-2         	 100	      5000 ns/op	         0 redis-cmds/op	     253 B/op	       6 allocs/op
BenchmarkL1Hit/size=100B/lib=goredis-cache-2    	 100	      2000 ns/op	         0 redis-cmds/op	     264 B/op	       5 allocs/op
BenchmarkL1Hit/size=100B/lib=gocache-2          	 100	      3000 ns/op	         0 redis-cmds/op	     421 B/op	      13 allocs/op
BenchmarkL1Hit/size=1KiB/lib=cachekit-2         	 100	      3000 ns/op	         0 redis-cmds/op	     253 B/op	       5 allocs/op
BenchmarkL1Hit/size=1KiB/lib=goredis-cache-2    	 100	      2000 ns/op	         0 redis-cmds/op	     264 B/op	       6 allocs/op
BenchmarkL1HitPaired/size=1KiB/lib=cachekit-2      	 100	      2000 ns/op	      1300 raw-ns/op	        50.00 vs-raw-%	     253 B/op	       5 allocs/op
BenchmarkL1HitPaired/size=1KiB/lib=goredis-cache-2 	 100	      2400 ns/op	      1300 raw-ns/op	        80.00 vs-raw-%	     264 B/op	       6 allocs/op
BenchmarkL1HitPaired/size=1KiB/lib=gocache-2       	 100	      3500 ns/op	      1300 raw-ns/op	       160.0 vs-raw-%	     421 B/op	      13 allocs/op
BenchmarkL2Hit/size=1KiB/lib=cachekit-2         	 100	     52000 ns/op	         2.000 redis-cmds/op	    6574 B/op	      33 allocs/op
BenchmarkL2Hit/size=1KiB/lib=raw-2              	 100	     50000 ns/op	         1.000 redis-cmds/op	    1520 B/op	      11 allocs/op
BenchmarkL2Hit/size=1KiB/lib=goredis-cache-2    	 100	     51000 ns/op	         1.000 redis-cmds/op	    3912 B/op	      16 allocs/op
BenchmarkStampede/size=1KiB/lib=cachekit-2      	 5	  14174878 ns/op	         1.000 loads/op	        39.00 redis-cmds/op	 1398936 B/op	    8680 allocs/op
BenchmarkStampede/size=1KiB/lib=cachekit-2      	 5	  14174878 ns/op	         2.000 loads/op	        39.00 redis-cmds/op	 1398936 B/op	    8680 allocs/op
BenchmarkStampede/size=1KiB/lib=cachekit-2      	 5	  14174878 ns/op	         1.000 loads/op	        39.00 redis-cmds/op	 1398936 B/op	    8680 allocs/op
BenchmarkSetPaired/size=100B/lib=cachekit-2      	 100	     40000 ns/op	     39000 raw-ns/op	         1.500 vs-raw-%	     482 B/op	      11 allocs/op
BenchmarkSetPaired/size=100B/lib=goredis-cache-2 	 100	     41000 ns/op	     39000 raw-ns/op	         4.000 vs-raw-%	    1034 B/op	      19 allocs/op
BenchmarkSetPaired/size=100B/lib=gocache-2       	 100	     41000 ns/op	     39000 raw-ns/op	         5.000 vs-raw-%	     857 B/op	      20 allocs/op
BenchmarkSet/size=100B/lib=cachekit-2            	 100	     90000 ns/op	         1.000 redis-cmds/op	     482 B/op	      11 allocs/op
BenchmarkSet/size=100B/lib=goredis-cache-2       	 100	     40000 ns/op	         1.000 redis-cmds/op	    1034 B/op	      19 allocs/op
BenchmarkL2HitPaired/size=100B/lib=cachekit-2    	 100	     60000 ns/op	     51000 raw-ns/op	        17.00 vs-raw-%	     738 B/op	      21 allocs/op
BenchmarkL2HitPaired/size=100B/lib=goredis-cache-2	 100	     56000 ns/op	     51000 raw-ns/op	         9.000 vs-raw-%	     777 B/op	      15 allocs/op
BenchmarkRedisHitPaired/size=100B/lib=cachekit-2    	 100	     52000 ns/op	     51000 raw-ns/op	         2.000 vs-raw-%	     400 B/op	      10 allocs/op
BenchmarkRedisHitPaired/size=100B/lib=goredis-cache-2	 100	     53000 ns/op	     51000 raw-ns/op	         4.000 vs-raw-%	     500 B/op	      12 allocs/op
BenchmarkOther-2 	 100	      1000 ns/op
PASS
`

func TestReport(t *testing.T) {
	r := newResults()
	if err := r.parse(strings.NewReader(sample)); err != nil {
		t.Fatal(err)
	}
	if m, _ := r.median("L1Hit/size=100B", "cachekit", "sec/op"); m != 1.2e-6 {
		t.Errorf("median = %g, want 1.2e-6", m)
	}
	got := map[string]bool{}
	for _, v := range r.targets() {
		got[v.target+" "+v.row] = v.pass
	}
	want := map[string]bool{
		"faster than both peers L1Hit/size=100B cachekit":            true,
		"L1-hit allocs ≤ go-redis/cache's L1Hit/size=100B cachekit":  false,
		"faster than both peers L2Hit/size=1KiB cachekit":            false,
		"Redis-hit overhead ≤ 5 % over raw L2Hit/size=1KiB cachekit": true,
		"one load per stampede Stampede/size=1KiB cachekit":          false,
		// The paired row decides L1Hit's speed where it exists (the
		// unpaired row, which cachekit loses here, gives no verdict);
		// its allocations too.
		"faster than both peers L1Hit/size=1KiB cachekit (paired)":           true,
		"L1-hit allocs ≤ go-redis/cache's L1Hit/size=1KiB cachekit (paired)": true,
		// The paired rows decide L2Hit and Set where they exist (the
		// unpaired Set row, which cachekit loses, gives no verdict).
		"faster than both peers Set/size=100B cachekit (paired)":              true,
		"faster than both peers L2Hit/size=100B cachekit (paired)":            false,
		"Redis-hit overhead ≤ 5 % over raw L2Hit/size=100B cachekit (paired)": false,
		// RedisHitPaired: the Redis read without an L1.
		"faster than both peers RedisHit/size=100B cachekit (paired)":            true,
		"Redis-hit overhead ≤ 5 % over raw RedisHit/size=100B cachekit (paired)": true,
	}
	for k, w := range want {
		if p, ok := got[k]; !ok || p != w {
			t.Errorf("%s: pass=%v (present %v), want %v", k, p, ok, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d verdicts, want %d: %v", len(got), len(want), got)
	}
	var out strings.Builder
	r.write(&out)
	for _, s := range []string{"cpu: Test CPU", "| L1Hit/size=100B | 1.20 µs | 3.00 µs | 2.00 µs | – |", "7 of 12 targets met", "| L2HitPaired/size=100B | 17.0 % | – | 9.0 % | – |"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, out.String())
		}
	}
}
