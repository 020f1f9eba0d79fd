package main

import "testing"

// TestBigcacheHoldsCapacity checks that the byte-bounded bigcache is sized
// fairly: filled with far more keys than its capacity, it holds about
// capacity entries (bigcache's ring keeps some slack, and its 64 shards fill
// unevenly).
func TestBigcacheHoldsCapacity(t *testing.T) {
	for _, capacity := range []int{1000, 10000} {
		c, err := newBigcacheBytes(capacity)
		if err != nil {
			t.Fatal(err)
		}
		for i := range int32(capacity * 5) {
			c.set(keyName(i))
		}
		n := 0
		for i := range int32(capacity * 5) {
			if c.get(keyName(i)) {
				n++
			}
		}
		c.close()
		t.Logf("capacity %d: %d resident", capacity, n)
		if n < capacity*8/10 || n > capacity*11/10 {
			t.Errorf("capacity %d: %d entries resident, want about the capacity", capacity, n)
		}
	}
}

// TestDeterministic checks that traces and replays are reproducible: the
// same seed gives the same trace, and a replay of it the same hit ratio.
func TestDeterministic(t *testing.T) {
	const keys, n = 20000, 60000
	a, b := traces(keys, n), traces(keys, n)
	names := make([]string, keys)
	for i := range names {
		names[i] = keyName(int32(i))
	}
	for i := range a {
		if len(a[i].reqs) != n {
			t.Fatalf("%s: %d accesses, want %d", a[i].name, len(a[i].reqs), n)
		}
		for j := range a[i].reqs {
			if a[i].reqs[j] != b[i].reqs[j] {
				t.Fatalf("%s: access %d differs between two generations", a[i].name, j)
			}
			if k := a[i].reqs[j]; k < 0 || int(k) >= keys {
				t.Fatalf("%s: key %d outside the key space", a[i].name, k)
			}
		}
		for _, p := range policies {
			h1, err1 := replay(p, a[i], 0.05, names)
			h2, err2 := replay(p, a[i], 0.05, names)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if p.varies {
				// Unseeded inside the library (see policy.varies): close, not equal.
				// On the loop trace an adaptive window (otter's hill climber)
				// swings further: 15 replays of otter spanned 0.278..0.315.
				tol := 0.03
				if a[i].name == "loop" {
					tol = 0.07
				}
				if d := h1 - h2; d > tol || d < -tol {
					t.Errorf("%s on %s: %.4f then %.4f", p.name, a[i].name, h1, h2)
				}
			} else if h1 != h2 {
				t.Errorf("%s on %s: %.4f then %.4f", p.name, a[i].name, h1, h2)
			}
			if h1 <= 0 || h1 >= 1 {
				t.Errorf("%s on %s: hit ratio %.4f", p.name, a[i].name, h1)
			}
		}
	}
}

// TestZipfSkew checks the tabulated Zipf law: the most popular key is drawn
// about as often as the law says.
func TestZipfSkew(t *testing.T) {
	const keys, n = 1000, 200000
	z := newZipfGen(keys, 1.1, 7)
	cdf := zipfCDF(keys, 1.1)
	top := 0
	for range n {
		if z.rank() == 0 {
			top++
		}
	}
	got, want := float64(top)/n, cdf[0]
	if got < want*0.95 || got > want*1.05 {
		t.Errorf("rank 0 drawn %.4f of the time, want %.4f", got, want)
	}
}
