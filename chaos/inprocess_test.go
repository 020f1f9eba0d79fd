package chaos_test

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/chaos"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/protocol"
)

// recordedClient returns a client over be with preset's options, the
// default reliability stack and a logger that counts its records; breaker
// returns the breaker's changes so far.
func recordedClient(be core.Backend, preset core.Preset) (c *core.Client, breaker func() []chaos.BreakerEvent, logs *countHandler, err error) {
	var (
		mu     sync.Mutex
		events []chaos.BreakerEvent
	)
	rel := core.DefaultReliability()
	rel.OnBreakerChange = func(s core.BreakerState) {
		mu.Lock()
		events = append(events, chaos.BreakerEvent{At: time.Now().UnixMilli(), State: s.String()})
		mu.Unlock()
	}
	logs = &countHandler{}
	c, err = core.New(be, core.WithCodec(protocol.Msgpack()), core.WithPreset(preset),
		core.WithReliability(rel), core.WithLogger(slog.New(logs)))
	breaker = func() []chaos.BreakerEvent {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(events)
	}
	return c, breaker, logs, err
}

// inProcessFault is one fault of runInProcess: begin puts it in place, end
// takes it away 2 s later.
type inProcessFault struct {
	name       string
	begin, end func()
}

// runInProcess runs the workload for 18 s in this process (8 goroutines,
// 200 keys) against be, through a client with preset's stack, while the
// faults come one after another, each 2 s after the last ended and lasting
// 2 s. It then asserts what the Redis plans assert, with margins for a
// loaded 2-core machine under -race: no wrong value and no read-through
// error, at most one warning a second, and per fault the breaker open
// within 3 s, failing calls p99 ≤ 100 ms, GetOrLoad and batch-read p99
// ≤ 2 s, the breaker closed within 6 s of the fault's end.
func runInProcess(t *testing.T, be core.Backend, preset core.Preset, id string, faults []inProcessFault) {
	t.Helper()
	const (
		length = 18 * time.Second
		gap    = 2 * time.Second
		span   = 2 * time.Second
	)
	c, breaker, logs, err := recordedClient(be, preset)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	type window struct {
		name     string
		from, to int64
	}
	var (
		windows []window
		rep     *chaos.Report
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		rep = chaos.Run(context.Background(), c, chaos.Workload{ID: id, Goroutines: 8, Keys: 200, Duration: length, Think: 2 * time.Millisecond})
	}()
	for _, f := range faults {
		time.Sleep(gap)
		w := window{name: f.name, from: time.Now().UnixMilli()}
		f.begin()
		time.Sleep(span)
		f.end()
		w.to = time.Now().UnixMilli()
		windows = append(windows, w)
	}
	<-done
	rep.Breaker = breaker()
	st := c.Stats()
	t.Logf("%d GetOrLoad, %d GetOrLoadMany, %d GetMany (%d failed), %d Set (%d failed), breaker opened %d times, %d rejected, %d degraded, %d warnings",
		rep.GetOrLoads, rep.Batches, rep.ManyReads, rep.ManyReadErrors, rep.Sets, rep.SetErrors, st.BreakerOpens, st.BreakerRejected, st.Degraded, logs.n.Load())
	if rep.Wrong != 0 || rep.GetOrLoadErrors != 0 || rep.BatchErrors != 0 {
		t.Errorf("%d wrong values, %d GetOrLoad errors, %d GetOrLoadMany errors; first: %q", rep.Wrong, rep.GetOrLoadErrors, rep.BatchErrors, rep.Examples)
	}
	if n, limit := logs.n.Load(), int64(length/time.Second); n > limit {
		t.Errorf("%d warnings in %v", n, length)
	}
	for _, w := range windows {
		opened := rep.FirstBreaker("open", w.from)
		if opened < 0 || opened > w.from+3000 {
			t.Errorf("%s: breaker opened at %+d ms, want within 3 s", w.name, opened-w.from)
			continue
		}
		fail := rep.Window(opened+chaos.BucketWidth.Milliseconds(), w.to)
		during := rep.Window(w.from, w.to)
		closed := rep.FirstBreaker("closed", opened)
		t.Logf("%s: breaker open after %d ms; failing calls p99 %v (%d); GetOrLoad p99 %v (%d); batch reads p99 %v (%d); closed %+d ms after the fault ended",
			w.name, opened-w.from, fail.Fail.Quantile(0.99), fail.Fail.Count(), during.Load.Quantile(0.99), during.Load.Count(),
			during.Batch.Quantile(0.99), during.Batch.Count(), closed-w.to)
		if q := fail.Fail.Quantile(0.99); q > 100*time.Millisecond {
			t.Errorf("%s: failing calls p99 %v, want ≤ 100ms", w.name, q)
		}
		if q := during.Load.Quantile(0.99); q > 2*time.Second {
			t.Errorf("%s: GetOrLoad p99 %v, want ≤ 2s", w.name, q)
		}
		if q := during.Batch.Quantile(0.99); q > 2*time.Second {
			t.Errorf("%s: batch reads (GetOrLoadMany, GetMany) p99 %v, want ≤ 2s", w.name, q)
		}
		if closed < 0 || closed > w.to+6000 {
			t.Errorf("%s: breaker closed at %+d ms after the fault ended, want within 6 s", w.name, closed-w.to)
		}
	}
}
