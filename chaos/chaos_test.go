package chaos_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	redis "github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/chaos"
	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/l1/bigcache"
	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

// The test binary is also the worker: started with CHAOS_WORKER set, it
// runs one workload against CHAOS_REDIS and writes its report to
// CHAOS_OUT, instead of running tests.
func TestMain(m *testing.M) {
	goredis.SetLogger(quiet{})
	if os.Getenv("CHAOS_WORKER") != "" {
		if err := worker(); err != nil {
			fmt.Fprintln(os.Stderr, "chaos worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// countHandler counts log records (it keeps none).
type countHandler struct{ n atomic.Int64 }

func (h *countHandler) Enabled(context.Context, slog.Level) bool  { return true }
func (h *countHandler) Handle(context.Context, slog.Record) error { h.n.Add(1); return nil }
func (h *countHandler) WithAttrs([]slog.Attr) slog.Handler        { return h }
func (h *countHandler) WithGroup(string) slog.Handler             { return h }

// redisStack is the stack the README recommends over Redis: an L1
// (bigcache) composed over backend/redis with o. Closing it closes both.
func redisStack(o redis.Options) (*compose.Backend, error) {
	rb, err := redis.New(o)
	if err != nil {
		return nil, err
	}
	l1, err := bigcache.New()
	if err != nil {
		_ = rb.Close()
		return nil, err
	}
	stack, err := compose.New(l1, rb)
	if err != nil {
		_ = l1.Close()
		_ = rb.Close()
		return nil, err
	}
	return stack, nil
}

func worker() error {
	ignore := goleak.IgnoreCurrent()
	dur, err := time.ParseDuration(os.Getenv("CHAOS_DURATION"))
	if err != nil {
		return err
	}
	stack, err := redisStack(redis.Options{URL: os.Getenv("CHAOS_REDIS")})
	if err != nil {
		return err
	}
	c, breaker, logs, err := recordedClient(stack, core.PresetProduction)
	if err != nil {
		return err
	}
	rep := chaos.Run(context.Background(), c, chaos.Workload{
		ID: os.Getenv("CHAOS_ID"), Goroutines: 16, Keys: 500, Duration: dur, Think: 2 * time.Millisecond,
		StallAfter: 1500 * time.Millisecond, StallOut: os.Stderr,
	})
	rep.Stats = c.Stats()
	rep.Stats.Tiers = nil
	if err := c.Close(); err != nil {
		return err
	}
	if err := stack.Close(); err != nil {
		return err
	}
	rep.Breaker = breaker()
	rep.Warnings = int(logs.n.Load())
	if err := goleak.Find(ignore); err != nil {
		rep.Leak = err.Error()
	}
	out, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	return os.WriteFile(os.Getenv("CHAOS_OUT"), out, 0o600)
}

// fault is one fault of a plan: kind, start offset from the run's start,
// and how long Redis is unavailable.
type fault struct {
	kind     string // "pause", "kill", "slow"
	at, span time.Duration
}

// bounds are what a plan asserts.
type bounds struct {
	openWithin    time.Duration // the breaker opens this soon after a fault begins
	failP99       time.Duration // p99 of failing Set/Delete once the breaker opened
	loadP99       time.Duration // p99 of GetOrLoad over a pause
	recoverWithin time.Duration // a Set succeeds and the breaker closes this soon after Redis returns
}

type plan struct {
	procs  int
	length time.Duration
	faults []fault
	bounds bounds
}

func shortPlan() plan {
	return plan{
		procs: 2, length: 30 * time.Second,
		faults: []fault{
			{"pause", 4 * time.Second, 6 * time.Second},
			{"kill", 14 * time.Second, 3 * time.Second},
			{"slow", 23 * time.Second, 3 * time.Second},
		},
		// Wide margins: a loaded 2-core machine, under -race.
		bounds: bounds{openWithin: 3 * time.Second, failP99: 100 * time.Millisecond, loadP99: 2 * time.Second, recoverWithin: 6 * time.Second},
	}
}

func longPlan() plan {
	p := plan{procs: 4, length: 150 * time.Second,
		bounds: bounds{openWithin: time.Second, failP99: 5 * time.Millisecond, loadP99: time.Second, recoverWithin: 2 * time.Second}}
	for r := range 3 {
		base := time.Duration(r) * 48 * time.Second
		p.faults = append(p.faults,
			fault{"pause", base + 6*time.Second, 8 * time.Second},
			fault{"kill", base + 22*time.Second, 5 * time.Second},
			fault{"slow", base + 36*time.Second, 4 * time.Second},
		)
	}
	return p
}

// TestFaults runs worker processes over one Redis and injects the plan's
// faults; CHAOS_LONG=1 (make chaos) runs the long plan with the issue's
// bounds.
func TestFaults(t *testing.T) {
	p := shortPlan()
	if os.Getenv("CHAOS_LONG") != "" {
		p = longPlan()
	}
	r := rig.StartRedis(t, rig.WithArgs("--enable-debug-command", "yes"))
	dir := t.TempDir()
	start := time.Now().Add(time.Second) // the workers start about now
	type proc struct {
		cmd *exec.Cmd
		out string
	}
	procs := make([]proc, p.procs)
	for i := range procs {
		procs[i].out = filepath.Join(dir, "p"+strconv.Itoa(i)+".json")
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "CHAOS_WORKER=1", "CHAOS_REDIS="+r.URL(), "CHAOS_ID=p"+strconv.Itoa(i),
			"CHAOS_OUT="+procs[i].out, "CHAOS_DURATION="+(p.length-time.Until(start)).String())
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs[i].cmd = cmd
	}
	defer func() {
		for _, pr := range procs {
			if pr.cmd.ProcessState == nil {
				_ = pr.cmd.Process.Kill()
				_ = pr.cmd.Wait()
			}
		}
	}()

	type window struct {
		fault
		begin, from, to int64 // Unix ms: fault requested, fault in place, Redis back
	}
	var windows []window
	for _, f := range p.faults {
		time.Sleep(time.Until(start.Add(f.at)))
		w := window{fault: f, begin: time.Now().UnixMilli()}
		switch f.kind {
		case "pause":
			r.Pause(t)
			w.from = time.Now().UnixMilli()
			time.Sleep(f.span)
			r.Unpause(t)
		case "kill":
			r.Stop(t)
			w.from = time.Now().UnixMilli()
			time.Sleep(f.span)
			r.Start(t) // no persistence: it comes back empty
		case "slow":
			// DEBUG SLEEP blocks the server from when it is sent.
			w.from = w.begin
			admin := goredis.NewClient(&goredis.Options{Addr: r.Addr, ReadTimeout: f.span + 5*time.Second})
			if err := admin.Do(context.Background(), "debug", "sleep", strconv.FormatFloat(f.span.Seconds(), 'f', 1, 64)).Err(); err != nil {
				t.Fatalf("DEBUG SLEEP: %v", err)
			}
			_ = admin.Close()
		}
		w.to = time.Now().UnixMilli()
		windows = append(windows, w)
		t.Logf("%s: Redis unavailable for %v", f.kind, time.Duration(w.to-w.from)*time.Millisecond)
	}
	reps := make([]*chaos.Report, len(procs))
	for i, pr := range procs {
		if err := pr.cmd.Wait(); err != nil {
			t.Fatalf("worker %d: %v", i, err)
		}
		data, err := os.ReadFile(pr.out)
		if err != nil {
			t.Fatal(err)
		}
		reps[i] = new(chaos.Report)
		if err := json.Unmarshal(data, reps[i]); err != nil {
			t.Fatal(err)
		}
	}

	b := p.bounds
	for _, rep := range reps {
		secs := float64(len(rep.Buckets)) * chaos.BucketWidth.Seconds()
		t.Logf("%s: %d GetOrLoad, %d GetOrLoadMany, %d GetMany (%d failed), %d Set (%d failed), %d Delete (%d failed), breaker opened %d times, %d rejected, %d shed, %d degraded, %d warnings",
			rep.ID, rep.GetOrLoads, rep.Batches, rep.ManyReads, rep.ManyReadErrors, rep.Sets, rep.SetErrors, rep.Deletes, rep.DeleteErrors,
			rep.Stats.BreakerOpens, rep.Stats.BreakerRejected, rep.Stats.Shed, rep.Stats.Degraded, rep.Warnings)
		if rep.Late != 0 {
			t.Logf("%s: %d values written by a Set that failed (unknown outcome) and landed after a later acknowledged Set", rep.ID, rep.Late)
		}
		if rep.Wrong != 0 || rep.GetOrLoadErrors != 0 || rep.BatchErrors != 0 {
			t.Errorf("%s: %d wrong values, %d GetOrLoad errors, %d GetOrLoadMany errors; first: %q", rep.ID, rep.Wrong, rep.GetOrLoadErrors, rep.BatchErrors, rep.Examples)
		}
		if float64(rep.Warnings) > secs {
			t.Errorf("%s: %d warnings in %.0f s: more than one per second", rep.ID, rep.Warnings, secs)
		}
		if rep.Leak != "" {
			t.Errorf("%s: goroutines left after Close: %s", rep.ID, rep.Leak)
		}
		for _, w := range windows {
			// The fault may bite before the container engine's call
			// returns: an opening after the request counts, timed from the
			// moment the fault was surely in place.
			opened := rep.FirstBreaker("open", w.begin)
			if opened < 0 || opened > w.from+b.openWithin.Milliseconds() {
				t.Errorf("%s %s: breaker opened at %+d ms, want within %v", rep.ID, w.kind, opened-w.from, b.openWithin)
				continue
			}
			// Calls that failed while the breaker was open (give it one
			// bucket to settle).
			fail := rep.Window(opened+chaos.BucketWidth.Milliseconds(), w.to)
			during := rep.Window(w.begin, w.to)
			t.Logf("%s %s: breaker open after %d ms; failing calls p99 %v (%d); GetOrLoad p99 %v (%d); batch reads p99 %v (%d)",
				rep.ID, w.kind, max(0, opened-w.from), fail.Fail.Quantile(0.99), fail.Fail.Count(), during.Load.Quantile(0.99), during.Load.Count(),
				during.Batch.Quantile(0.99), during.Batch.Count())
			if q := fail.Fail.Quantile(0.99); q > b.failP99 {
				t.Errorf("%s %s: failing calls p99 %v, want ≤ %v", rep.ID, w.kind, q, b.failP99)
			}
			if w.kind == "pause" {
				if q := during.Load.Quantile(0.99); q > b.loadP99 {
					t.Errorf("%s pause: GetOrLoad p99 %v, want ≤ %v", rep.ID, q, b.loadP99)
				}
				if q := during.Batch.Quantile(0.99); q > b.loadP99 {
					t.Errorf("%s pause: batch reads (GetOrLoadMany, GetMany) p99 %v, want ≤ %v", rep.ID, q, b.loadP99)
				}
				if during.Load.Count() < 100 {
					t.Errorf("%s pause: only %d GetOrLoad answered during the pause", rep.ID, during.Load.Count())
				}
			}
			// Recovery: the breaker closes (first close after it opened;
			// it may close before the engine's call that brought Redis
			// back returns), and Sets succeed again. A Set may first meet
			// the pool's dead connections after a restart, which costs it
			// up to another second.
			ok := rep.FirstSetOK(w.to)
			closed := rep.FirstBreaker("closed", opened)
			t.Logf("%s %s: first Set %+d ms and breaker closed %+d ms after Redis returned", rep.ID, w.kind, ok-w.to, closed-w.to)
			if closed < 0 || closed > w.to+b.recoverWithin.Milliseconds() {
				t.Errorf("%s %s: breaker closed at %+d ms after Redis returned, want within %v", rep.ID, w.kind, closed-w.to, b.recoverWithin)
			}
			if ok < 0 || ok > w.to+b.recoverWithin.Milliseconds()+1000 {
				t.Errorf("%s %s: first successful Set at %+d ms after Redis returned, want within %v", rep.ID, w.kind, ok-w.to, b.recoverWithin+time.Second)
			}
		}
	}
}
