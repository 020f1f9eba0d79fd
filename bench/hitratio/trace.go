package main

import (
	"math"
	"math/rand/v2"
	"sort"
)

// A trace is a sequence of key indexes in [0, keys). Every generator is
// seeded, so a trace (and therefore every hit ratio measured on it) is the
// same on every run and every machine.
type trace struct {
	name string
	desc string
	keys int     // size of the key space
	reqs []int32 // the accesses, in order
}

// zipfCDF returns the cumulative distribution of a Zipf law with exponent s
// over n ranks (rank r has weight 1/(r+1)^s). math/rand's Zipf needs s > 1;
// the workloads here need s = 0.9 too, so the law is tabulated.
func zipfCDF(n int, s float64) []float64 {
	cdf := make([]float64, n)
	sum := 0.0
	for r := range n {
		sum += 1 / math.Pow(float64(r+1), s)
		cdf[r] = sum
	}
	for r := range cdf {
		cdf[r] /= sum
	}
	return cdf
}

// zipfGen draws ranks from a tabulated Zipf law and maps each rank to a key
// through a seeded permutation, so that popularity is unrelated to the key's
// name (and to the shard its hash lands in).
type zipfGen struct {
	cdf  []float64
	perm []int
	rng  *rand.Rand
}

func newZipfGen(keys int, s float64, seed uint64) *zipfGen {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return &zipfGen{cdf: zipfCDF(keys, s), perm: rng.Perm(keys), rng: rng}
}

// rank draws a popularity rank (0 = most popular).
func (z *zipfGen) rank() int {
	return sort.SearchFloat64s(z.cdf, z.rng.Float64())
}

func (z *zipfGen) next() int32 { return int32(z.perm[z.rank()]) }

// zipfTrace is n accesses drawn from a Zipf law of exponent s.
func zipfTrace(name string, keys, n int, s float64, seed uint64) trace {
	z := newZipfGen(keys, s, seed)
	reqs := make([]int32, n)
	for i := range reqs {
		reqs[i] = z.next()
	}
	return trace{name: name, keys: keys, reqs: reqs,
		desc: "Zipf s=" + ftoa(s) + " over the key space"}
}

// scanTrace is a Zipf workload (exponent s) interrupted every `every`
// accesses by a sequential scan over scanLen cold keys (the least popular
// ones, a different stretch each time, wrapping around), each read once: a
// batch job or a crawler passing through a cache that serves a skewed load.
func scanTrace(name string, keys, n int, s float64, every, scanLen int, seed uint64) trace {
	z := newZipfGen(keys, s, seed)
	reqs := make([]int32, 0, n)
	cold := keys / 2 // scans walk the less popular half of the ranks
	pos := 0
	for len(reqs) < n {
		for i := 0; i < every && len(reqs) < n; i++ {
			reqs = append(reqs, z.next())
		}
		for i := 0; i < scanLen && len(reqs) < n; i++ {
			reqs = append(reqs, int32(z.perm[cold+pos]))
			pos = (pos + 1) % (keys - cold)
		}
	}
	return trace{name: name, keys: keys, reqs: reqs,
		desc: "Zipf s=" + ftoa(s) + ", and every " + itoa(every) + " accesses a scan of " + itoa(scanLen) + " cold keys read once"}
}

// loopTrace imitates the LIRS "loop" traces (no public trace can be fetched
// in this environment): a share `loopShare` of the accesses walks a loop of
// loopLen keys cyclically, the others are drawn from a Zipf law of exponent
// s over the remaining keys. A loop longer than the cache defeats recency
// (LRU and FIFO evict each loop key just before it comes back); keeping a
// fixed part of the loop resident yields hits.
func loopTrace(name string, keys, n int, loopShare float64, loopLen int, s float64, seed uint64) trace {
	z := newZipfGen(keys-loopLen, s, seed)
	rng := rand.New(rand.NewPCG(seed+1, seed^0x5bd1e995))
	reqs := make([]int32, n)
	pos := 0
	for i := range reqs {
		if rng.Float64() < loopShare {
			reqs[i] = int32(keys - loopLen + pos)
			pos = (pos + 1) % loopLen
			continue
		}
		reqs[i] = z.next()
	}
	return trace{name: name, keys: keys, reqs: reqs,
		desc: "LIRS-style synthetic: " + itoa(int(loopShare*100)) + " % of accesses loop over " + itoa(loopLen) + " keys, the rest Zipf s=" + ftoa(s)}
}
