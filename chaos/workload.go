package chaos

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// Value is what the workload stores: its writer and a sequence number that
// grows with every write of a private key.
type Value struct {
	W string
	S uint64
}

// Workload is the load one worker process puts on its client.
type Workload struct {
	// ID names the process; its private keys are "p:{ID}:{n}".
	ID string
	// Goroutines, Keys (per kind: private and shared), Duration.
	Goroutines int
	Keys       int
	Duration   time.Duration
	// Think is the pause of each goroutine between two operations.
	Think time.Duration
	// StallAfter, when positive, makes the first read (GetOrLoad, GetMany,
	// GetOrLoadMany) slower than it write every goroutine's stack to
	// StallOut: what the call waited on when a fault test's latency bound
	// fails. Nothing is written to StallOut after Run returns.
	StallAfter time.Duration
	StallOut   io.Writer
}

// HistBuckets is the number of buckets of a Hist.
const HistBuckets = 26

// Hist counts latencies in power-of-two buckets of microseconds: bucket i
// holds [2^i, 2^(i+1)) µs (bucket 0 also everything under 1 µs).
type Hist [HistBuckets]uint32

func (h *Hist) add(d time.Duration) {
	us := d.Microseconds()
	i := 0
	for us > 1 && i < HistBuckets-1 {
		us >>= 1
		i++
	}
	atomic.AddUint32(&h[i], 1)
}

// Count returns how many latencies h holds.
func (h *Hist) Count() uint64 {
	var n uint64
	for _, c := range h {
		n += uint64(c)
	}
	return n
}

// Merge adds o's counts to h.
func (h *Hist) Merge(o *Hist) {
	for i := range h {
		h[i] += o[i]
	}
}

// Quantile returns the upper bound of the bucket holding quantile q
// (0 < q ≤ 1), or 0 for an empty Hist.
func (h *Hist) Quantile(q float64) time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	want := uint64(q*float64(n) + 0.5)
	var seen uint64
	for i, c := range h {
		seen += uint64(c)
		if seen >= want && c > 0 {
			return time.Duration(uint64(1)<<(i+1)) * time.Microsecond
		}
	}
	return time.Duration(uint64(1)<<HistBuckets) * time.Microsecond
}

// BucketWidth is the time span of a Bucket.
const BucketWidth = 100 * time.Millisecond

// Bucket holds what happened in one BucketWidth of a run, by start time.
type Bucket struct {
	// Load: GetOrLoad latencies. Batch: latencies of GetOrLoadMany calls
	// and of GetMany calls that succeeded. Fail: latencies of Set, Delete
	// and GetMany calls (and their batch forms) that failed. SetOK: Sets
	// that succeeded.
	Load, Batch, Fail Hist
	SetOK             uint32
}

// BreakerEvent is a change of the breaker's state at At (Unix ms).
type BreakerEvent struct {
	At    int64
	State string
}

// Report is what a worker measured.
type Report struct {
	ID string
	// Start is the run's start (Unix ms); Buckets[i] begins at
	// Start + i×BucketWidth.
	Start   int64
	Buckets []Bucket
	Breaker []BreakerEvent
	// GetOrLoads, GetOrLoadErrors, Batches, BatchErrors (GetOrLoadMany
	// calls), ManyReads, ManyReadErrors (GetMany calls, which may fail
	// while the backend is down), Sets, SetErrors, Deletes, DeleteErrors
	// (SetMany and DeleteMany calls included) count operations.
	GetOrLoads, GetOrLoadErrors, Batches, BatchErrors, ManyReads, ManyReadErrors uint64
	Sets, SetErrors, Deletes, DeleteErrors                                       uint64
	// Wrong counts GetOrLoad results that broke read-your-writes on a
	// private key; Examples describes the first few, and the first
	// GetOrLoad errors. Late counts results older than an acknowledged
	// Set that a Set of this process wrote and saw fail: a write with an
	// unknown outcome (a timeout) that Redis applied after a later one.
	Wrong    uint64
	Late     uint64
	Examples []string
	// Warnings counts log records; Stats is the client's final counters;
	// Leak describes goroutines left after Close ("" when none).
	Warnings int
	Stats    core.Stats
	Leak     string
}

// private is the state of one private key: a "database" sequence and the
// sequence of the last write of this process the cache acknowledged.
type private struct {
	mu    sync.Mutex // held across a write: database update, then cache write
	db    atomic.Uint64
	acked atomic.Uint64
	// failed holds the sequences whose Set returned an error (guarded by
	// fmu): such a write has an unknown outcome and may still land.
	fmu    sync.Mutex
	failed map[uint64]bool
}

func (p *private) fail(s uint64) {
	p.fmu.Lock()
	if p.failed == nil {
		p.failed = make(map[uint64]bool)
	}
	p.failed[s] = true
	p.fmu.Unlock()
}

func (p *private) hasFailed(s uint64) bool {
	p.fmu.Lock()
	defer p.fmu.Unlock()
	return p.failed[s]
}

// Run puts w's load on c until w.Duration has passed or ctx is done, and
// reports what it saw. BreakerEvent and Warnings are filled in by the
// caller, which owns the client's options.
func Run(ctx context.Context, c *core.Client, w Workload) *Report {
	start := time.Now()
	rep := &Report{ID: w.ID, Start: start.UnixMilli(),
		Buckets: make([]Bucket, int(w.Duration/BucketWidth)+20)}
	keys := make([]private, w.Keys)
	var shared atomic.Uint64
	var mu sync.Mutex
	note := func(format string, args ...any) {
		mu.Lock()
		if len(rep.Examples) < 10 {
			rep.Examples = append(rep.Examples, fmt.Sprintf(format, args...))
		}
		mu.Unlock()
	}
	var (
		wg                                 sync.WaitGroup
		gl, glErr, sets, setErr, dels, dlE atomic.Uint64
		bat, batErr, many, manyErr         atomic.Uint64
		wrong, late                        atomic.Uint64
	)
	// check counts a value read from private key n against the sequence
	// this process had acknowledged before the call began.
	check := func(t0 time.Time, call, key string, n int, v Value, before uint64) {
		switch {
		case v.W == w.ID && v.S < before && keys[n].hasFailed(v.S):
			late.Add(1)
			note("+%v %s %s returned %+v, written by a Set that failed; seq %d was acknowledged before the call", t0.Sub(start).Round(time.Millisecond), call, key, v, before)
		case v.W != w.ID || v.S < before:
			wrong.Add(1)
			note("+%v %s %s returned %+v; this process had acknowledged seq %d before the call", t0.Sub(start).Round(time.Millisecond), call, key, v, before)
		}
	}
	privateKey := func(n int) string { return "p:" + w.ID + ":" + strconv.Itoa(n) }
	deadline := start.Add(w.Duration)
	var (
		dumped  atomic.Bool
		dumpMu  sync.Mutex // held while a dump is written; ranDone is set at Run's end
		ranDone bool
	)
	noStop := func() bool { return false }
	// watch dumps the goroutines once if a call begun at t0 outlasts
	// StallAfter: op of key, or of n keys when key is "". The caller stops
	// it when the call returns.
	watch := func(t0 time.Time, op, key string, n int) func() bool {
		if w.StallAfter <= 0 || w.StallOut == nil || dumped.Load() {
			return noStop
		}
		return time.AfterFunc(w.StallAfter, func() {
			dumpMu.Lock()
			defer dumpMu.Unlock()
			if !ranDone && dumped.CompareAndSwap(false, true) {
				call := op + " " + key
				if key == "" {
					call = fmt.Sprintf("%s of %d keys", op, n)
				}
				fmt.Fprintf(w.StallOut, "=== %s: %s begun at +%v still waits after %v; goroutines:\n", w.ID, call, t0.Sub(start).Round(time.Millisecond), w.StallAfter)
				_ = pprof.Lookup("goroutine").WriteTo(w.StallOut, 2)
			}
		}).Stop
	}
	for g := range w.Goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(g), uint64(start.UnixNano())))
			zipf := rand.NewZipf(rnd, 1.1, 1, uint64(w.Keys-1))
			// distinct returns first and up to k-1 more distinct key
			// indexes, in ascending order: the order in which a writer of
			// several private keys takes their locks.
			distinct := func(first, k int) []int {
				ns := []int{first}
				for range 4 * k {
					if len(ns) == k {
						break
					}
					if m := int(zipf.Uint64()); !slices.Contains(ns, m) {
						ns = append(ns, m)
					}
				}
				slices.Sort(ns)
				return ns
			}
			lockAll := func(ns []int) {
				for _, m := range ns {
					keys[m].mu.Lock()
				}
			}
			unlockAll := func(ns []int) {
				for _, m := range ns {
					keys[m].mu.Unlock()
				}
			}
			for ctx.Err() == nil && time.Now().Before(deadline) {
				n := int(zipf.Uint64())
				own := rnd.IntN(10) < 7
				key := "s:" + strconv.Itoa(n)
				if own {
					key = "p:" + w.ID + ":" + strconv.Itoa(n)
				}
				op := rnd.IntN(100)
				t0 := time.Now()
				b := &rep.Buckets[min(int(t0.Sub(start)/BucketWidth), len(rep.Buckets)-1)]
				switch {
				case op < 90:
					gl.Add(1)
					var before uint64
					if own {
						before = keys[n].acked.Load()
					}
					stop := watch(t0, "GetOrLoad", key, 1)
					v, err := core.GetOrLoad(context.Background(), c, key, func(context.Context) (Value, error) {
						if own {
							return Value{W: w.ID, S: keys[n].db.Load()}, nil
						}
						return Value{W: w.ID, S: shared.Add(1)}, nil
					})
					stop()
					b.Load.add(time.Since(t0))
					switch {
					case err != nil:
						glErr.Add(1)
						note("GetOrLoad %s: %v", key, err)
					case own:
						check(t0, "GetOrLoad", key, n, v, before)
					}
				case op < 92:
					// A batch read of up to 8 distinct private keys, without
					// a loader: what it finds must be this process's latest.
					many.Add(1)
					ns := distinct(n, 8)
					names := make([]string, len(ns))
					befores := make([]uint64, len(ns))
					for i, m := range ns {
						names[i], befores[i] = privateKey(m), keys[m].acked.Load()
					}
					stop := watch(t0, "GetMany", "", len(ns))
					got, err := core.GetMany[Value](context.Background(), c, names)
					stop()
					if err != nil {
						manyErr.Add(1)
						b.Fail.add(time.Since(t0))
						break
					}
					b.Batch.add(time.Since(t0))
					for i, m := range ns {
						if v, ok := got[names[i]]; ok {
							check(t0, "GetMany", names[i], m, v, befores[i])
						}
					}
				case op < 94:
					// A batch read-through of up to 8 distinct private keys.
					bat.Add(1)
					ns := distinct(n, 8)
					befores := make([]uint64, len(ns))
					for i, m := range ns {
						befores[i] = keys[m].acked.Load()
					}
					stop := watch(t0, "GetOrLoadMany", "", len(ns))
					got, err := core.GetOrLoadMany(context.Background(), c, ns, privateKey, func(_ context.Context, missing []int) (map[int]Value, error) {
						out := make(map[int]Value, len(missing))
						for _, m := range missing {
							out[m] = Value{W: w.ID, S: keys[m].db.Load()}
						}
						return out, nil
					})
					stop()
					b.Batch.add(time.Since(t0))
					if err != nil {
						batErr.Add(1)
						note("GetOrLoadMany %v: %v", ns, err)
						break
					}
					for i, m := range ns {
						v, ok := got[m]
						if !ok {
							wrong.Add(1)
							note("+%v GetOrLoadMany left out %s, which its loader returns", t0.Sub(start).Round(time.Millisecond), privateKey(m))
							continue
						}
						check(t0, "GetOrLoadMany", privateKey(m), m, v, befores[i])
					}
				case op < 99:
					sets.Add(1)
					var err error
					if own && rnd.IntN(5) == 0 {
						// SetMany of up to 4 private keys: acknowledged (or
						// of unknown outcome) together.
						ns := distinct(n, 4)
						lockAll(ns)
						items := make(map[string]any, len(ns))
						seqs := make([]uint64, len(ns))
						for i, m := range ns {
							seqs[i] = keys[m].db.Add(1)
							items[privateKey(m)] = Value{W: w.ID, S: seqs[i]}
						}
						err = c.SetMany(context.Background(), items)
						for i, m := range ns {
							if err == nil {
								keys[m].acked.Store(seqs[i])
							} else {
								keys[m].fail(seqs[i])
							}
						}
						unlockAll(ns)
					} else if own {
						k := &keys[n]
						k.mu.Lock()
						s := k.db.Add(1)
						if err = c.Set(context.Background(), key, Value{W: w.ID, S: s}); err == nil {
							k.acked.Store(s)
						} else {
							k.fail(s)
						}
						k.mu.Unlock()
					} else {
						err = c.Set(context.Background(), key, Value{W: w.ID, S: shared.Add(1)})
					}
					if err != nil {
						setErr.Add(1)
						b.Fail.add(time.Since(t0))
					} else {
						atomic.AddUint32(&b.SetOK, 1)
					}
				default:
					dels.Add(1)
					var err error
					if own && rnd.IntN(2) == 0 {
						ns := distinct(n, 4)
						lockAll(ns)
						names := make([]string, len(ns))
						for i, m := range ns {
							names[i] = privateKey(m)
						}
						if err = c.DeleteMany(context.Background(), names); err == nil {
							for _, m := range ns {
								keys[m].acked.Store(keys[m].db.Load())
							}
						}
						unlockAll(ns)
					} else if own {
						k := &keys[n]
						k.mu.Lock()
						if err = c.Delete(context.Background(), key); err == nil {
							k.acked.Store(k.db.Load())
						}
						k.mu.Unlock()
					} else {
						err = c.Delete(context.Background(), key)
					}
					if err != nil {
						dlE.Add(1)
						b.Fail.add(time.Since(t0))
					}
				}
				if w.Think > 0 {
					time.Sleep(w.Think)
				}
			}
		}()
	}
	wg.Wait()
	dumpMu.Lock() // a dump under way ends before Run returns; none begins after
	ranDone = true
	dumpMu.Unlock()
	rep.GetOrLoads, rep.GetOrLoadErrors = gl.Load(), glErr.Load()
	rep.Batches, rep.BatchErrors = bat.Load(), batErr.Load()
	rep.ManyReads, rep.ManyReadErrors = many.Load(), manyErr.Load()
	rep.Sets, rep.SetErrors, rep.Deletes, rep.DeleteErrors = sets.Load(), setErr.Load(), dels.Load(), dlE.Load()
	rep.Wrong, rep.Late = wrong.Load(), late.Load()
	return rep
}

// Window merges the buckets of r that begin in [from, to) (Unix ms).
func (r *Report) Window(from, to int64) (b Bucket) {
	for i := range r.Buckets {
		at := r.Start + int64(i)*BucketWidth.Milliseconds()
		if at >= from && at < to {
			b.Load.Merge(&r.Buckets[i].Load)
			b.Batch.Merge(&r.Buckets[i].Batch)
			b.Fail.Merge(&r.Buckets[i].Fail)
			b.SetOK += r.Buckets[i].SetOK
		}
	}
	return b
}

// FirstSetOK returns the start (Unix ms) of the first bucket at or after
// from with a successful Set, or -1.
func (r *Report) FirstSetOK(from int64) int64 {
	for i := range r.Buckets {
		at := r.Start + int64(i)*BucketWidth.Milliseconds()
		if at+BucketWidth.Milliseconds() > from && r.Buckets[i].SetOK > 0 {
			return at
		}
	}
	return -1
}

// FirstBreaker returns the time (Unix ms) of the first change to state at
// or after from, or -1.
func (r *Report) FirstBreaker(state string, from int64) int64 {
	for _, e := range r.Breaker {
		if e.At >= from && e.State == state {
			return e.At
		}
	}
	return -1
}
