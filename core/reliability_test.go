package core_test

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// relClient is a client with the default stack on a fake clock, with
// OpTimeout long enough that no test meets it by accident.
func relClient(t *testing.T, b core.Backend, edit func(*core.Reliability), opts ...core.Option) (*core.Client, *core.FakeClock) {
	t.Helper()
	r := core.DefaultReliability()
	r.OpTimeout = time.Minute
	if edit != nil {
		edit(&r)
	}
	clk := &core.FakeClock{}
	return newClient(t, b, append([]core.Option{core.WithReliability(r), core.WithClock(clk)}, opts...)...), clk
}

func TestStackRetriesTransientKindsWithFullJitterUpToTheCap(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c, clk := relClient(t, m, func(r *core.Reliability) {
		r.Retries, r.BackoffBase, r.BackoffCap = 5, time.Second, 3*time.Second
		r.BreakerFailures = 100
	})
	m.failGet.Store(&errTransient)
	_, _, err := core.Get[int](ctx, c, "k")
	wantKind(t, err, core.KindTransient)
	if n := m.gets.Load(); n != 6 {
		t.Fatalf("%d attempts, want 6", n)
	}
	// The fake jitter returns the top of [0, bound): the bounds double from
	// the base and stop at the cap.
	want := []time.Duration{time.Second - 1, 2*time.Second - 1, 3*time.Second - 1, 3*time.Second - 1, 3*time.Second - 1}
	if got := clk.Sleeps(); !slices.Equal(got, want) {
		t.Fatalf("backoffs %v, want %v", got, want)
	}
	if s := c.Stats(); s.Retries != 5 {
		t.Fatalf("Stats.Retries %d, want 5", s.Retries)
	}
}

func TestStackDoesNotRetryOtherKinds(t *testing.T) {
	ctx := context.Background()
	for _, k := range []core.Kind{core.KindAuth, core.KindBackpressure, core.KindPermanent, core.KindInvalidInput} {
		m := newMem()
		c, clk := relClient(t, m, nil)
		e := error(core.NewError(k, "mem", "no", nil))
		m.failGet.Store(&e)
		_, _, err := core.Get[int](ctx, c, "k")
		wantKind(t, err, k)
		if n := m.gets.Load(); n != 1 || len(clk.Sleeps()) != 0 {
			t.Errorf("%v: %d attempts and %d sleeps, want 1 and 0", k, n, len(clk.Sleeps()))
		}
	}
}

func TestStackRetryStopsAtTheCallersDeadline(t *testing.T) {
	m := newMem()
	c, clk := relClient(t, m, nil)
	m.failGet.Store(&errTransient)
	// The first backoff (up to 100 ms) cannot end before the deadline: the
	// call fails at once instead of sleeping into it.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _, err := core.Get[int](ctx, c, "k")
	wantKind(t, err, core.KindTransient)
	if n := m.gets.Load(); n != 1 || len(clk.Sleeps()) != 0 {
		t.Fatalf("%d attempts, %d sleeps; want 1 attempt and no sleep", n, len(clk.Sleeps()))
	}
}

// stateLog records a breaker's state changes.
type stateLog struct {
	mu sync.Mutex
	s  []core.BreakerState
}

func (l *stateLog) add(s core.BreakerState) { l.mu.Lock(); l.s = append(l.s, s); l.mu.Unlock() }
func (l *stateLog) get() []core.BreakerState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.s)
}

func TestBreakerOpensFailsFastProbesAndCloses(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	var log stateLog
	c, clk := relClient(t, m, func(r *core.Reliability) {
		r.Retries = 0
		r.OnBreakerChange = log.add
	})
	m.failGet.Store(&errTransient)
	for range 5 {
		_, _, err := core.Get[int](ctx, c, "k")
		wantKind(t, err, core.KindTransient)
	}
	if s := c.Stats(); s.Breaker != core.BreakerOpen || s.BreakerOpens != 1 {
		t.Fatalf("after 5 failures: breaker %v, opens %d", s.Breaker, s.BreakerOpens)
	}
	// Open: 50 calls, not one reaches the backend.
	m.failGet.Store(nil)
	for range 50 {
		_, _, err := core.Get[int](ctx, c, "k")
		wantKind(t, err, core.KindCircuitOpen)
		if !errors.Is(err, core.ErrCircuitOpen) {
			t.Fatal("errors.Is(err, ErrCircuitOpen) is false")
		}
	}
	if n := m.gets.Load(); n != 5 {
		t.Fatalf("backend called %d times, want 5", n)
	}
	if s := c.Stats(); s.BreakerRejected != 50 {
		t.Fatalf("BreakerRejected %d, want 50", s.BreakerRejected)
	}
	// After OpenFor the next call starts the background prober (and still
	// fails fast); it keeps checking while the checks fail.
	m.failHealth.Store(&errTransient)
	clk.Advance(5 * time.Second)
	_, _, err := core.Get[int](ctx, c, "k")
	wantKind(t, err, core.KindCircuitOpen)
	for m.healths.Load() < 40 { // past the quick repeats
		time.Sleep(time.Millisecond)
	}
	if s := c.Stats(); s.Breaker != core.BreakerHalfOpen {
		t.Fatalf("while the checks fail: %v, want half-open", s.Breaker)
	}
	_, _, err = core.Get[int](ctx, c, "k")
	wantKind(t, err, core.KindCircuitOpen)
	// Three good checks in a row close it.
	m.failHealth.Store(nil)
	waitBreaker(t, c, core.BreakerClosed)
	if _, _, err := core.Get[int](ctx, c, "k"); err != nil {
		t.Fatal(err)
	}
	if n := m.gets.Load(); n != 6 {
		t.Fatalf("backend called %d times, want 6: no caller probes", n)
	}
	want := []core.BreakerState{core.BreakerOpen, core.BreakerHalfOpen, core.BreakerClosed}
	if got := log.get(); !slices.Equal(got, want) {
		t.Fatalf("state changes %v, want %v", got, want)
	}
	if s := c.Stats(); s.Breaker != core.BreakerClosed || s.BreakerOpens != 1 {
		t.Fatalf("breaker %v opens %d", s.Breaker, s.BreakerOpens)
	}
}

// waitBreaker waits until c's breaker is in state want (the prober runs on
// a goroutine of its own).
func waitBreaker(t *testing.T, c *core.Client, want core.BreakerState) {
	t.Helper()
	for i := 0; c.Stats().Breaker != want; i++ {
		if i > 10000 {
			t.Fatalf("breaker %v, want %v", c.Stats().Breaker, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestBreakerTripsOnTransientKindsOnlyAndConsecutiveInWindow(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c, clk := relClient(t, m, func(r *core.Reliability) { r.Retries = 0 })
	fail := func(n int, e error) {
		m.failGet.Store(&e)
		for range n {
			_, _, _ = core.Get[int](ctx, c, "k")
		}
		m.failGet.Store(nil)
	}
	fail(20, core.NewError(core.KindAuth, "mem", "denied", nil))
	fail(20, core.NewError(core.KindConfig, "mem", "bad", nil))
	fail(20, core.NewError(core.KindPermanent, "mem", "refused", nil))
	fail(4, errTransient)
	_, _, _ = core.Get[int](ctx, c, "k") // a success resets the count
	fail(4, errTransient)
	clk.Advance(61 * time.Second) // the window ran out: the count starts over
	fail(4, errTransient)
	if s := c.Stats(); s.Breaker != core.BreakerClosed {
		t.Fatalf("breaker %v, want closed", s.Breaker)
	}
	fail(1, errTransient)
	if s := c.Stats(); s.Breaker != core.BreakerOpen {
		t.Fatalf("breaker %v, want open after 5 consecutive", s.Breaker)
	}
}

// gate is a backend whose Get blocks until released or its ctx ends.
type gate struct {
	*memBackend
	entered chan struct{}
	release chan struct{}
	sawDL   atomic.Bool
}

func newGate() *gate {
	return &gate{memBackend: newMem(), entered: make(chan struct{}, 100), release: make(chan struct{})}
}

func (g *gate) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	if _, ok := ctx.Deadline(); ok {
		g.sawDL.Store(true)
	}
	g.entered <- struct{}{}
	if p := g.failGet.Load(); p != nil {
		return core.Entry{}, false, *p
	}
	select {
	case <-g.release:
		return g.memBackend.Get(ctx, key)
	case <-ctx.Done():
		return core.Entry{}, false, core.Wrap(ctx.Err(), core.ContextKind(ctx.Err()), "gate.get")
	}
}

func TestBackpressureShedsBeyondTheBound(t *testing.T) {
	ctx := context.Background()
	g := newGate()
	c, _ := relClient(t, g, func(r *core.Reliability) {
		r.MaxConcurrent, r.MaxQueue, r.QueueWait = 2, 0, time.Hour
	})
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _, err := core.Get[int](ctx, c, "k"); errs <- err }()
	}
	<-g.entered
	<-g.entered
	for range 10 {
		_, _, err := core.Get[int](ctx, c, "k")
		wantKind(t, err, core.KindBackpressure)
	}
	if s := c.Stats(); s.Shed != 10 {
		t.Fatalf("Shed %d, want 10", s.Shed)
	}
	close(g.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a call within the bound failed: %v", err)
		}
	}
}

func TestBackpressureQueuedCallGetsAFreedSlot(t *testing.T) {
	ctx := context.Background()
	g := newGate()
	c, _ := relClient(t, g, func(r *core.Reliability) {
		r.MaxConcurrent, r.MaxQueue, r.QueueWait = 1, 1, time.Hour
	})
	errs := make(chan error, 2)
	for range 2 {
		go func() { _, _, err := core.Get[int](ctx, c, "k"); errs <- err }()
	}
	<-g.entered // one holds the slot, the other waits in the queue
	close(g.release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("a call within the bound failed: %v", err)
		}
	}
}

func TestBackpressureQueueWaitRunsOut(t *testing.T) {
	ctx := context.Background()
	g := newGate()
	c, _ := relClient(t, g, func(r *core.Reliability) {
		r.MaxConcurrent, r.MaxQueue, r.QueueWait = 1, 10, time.Millisecond
	})
	go func() { _, _, _ = core.Get[int](ctx, c, "k") }()
	<-g.entered
	_, _, err := core.Get[int](ctx, c, "k")
	wantKind(t, err, core.KindBackpressure)
	close(g.release)
	if s := c.Stats(); s.Shed != 1 {
		t.Fatalf("Shed %d, want 1", s.Shed)
	}
}

type ctxKey struct{}

func TestStackBoundsAnOperationWithoutDeadline(t *testing.T) {
	g := newGate()
	c, _ := relClient(t, g, func(r *core.Reliability) {
		r.OpTimeout, r.Retries = 20*time.Millisecond, 0
	})
	for _, ctx := range []context.Context{context.Background(), context.WithValue(context.Background(), ctxKey{}, 1)} {
		_, _, err := core.Get[int](ctx, c, "k")
		wantKind(t, err, core.KindTimeout)
		<-g.entered
	}
	if !g.sawDL.Load() {
		t.Fatal("the backend saw no deadline")
	}
}

func TestPresetsChooseTheStack(t *testing.T) {
	m := newMem()
	for _, tc := range []struct {
		opts []core.Option
		want core.BreakerState
	}{
		{nil, core.BreakerOff},
		{[]core.Option{core.WithPreset(core.PresetMinimal)}, core.BreakerOff},
		{[]core.Option{core.WithPreset(core.PresetProduction)}, core.BreakerClosed},
		{[]core.Option{core.WithPreset(core.PresetSecure), core.WithEncryptor(nopEncryptor{})}, core.BreakerClosed},
		{[]core.Option{core.WithPreset(core.PresetIO)}, core.BreakerClosed},
		{[]core.Option{core.WithPreset(core.PresetIO), core.WithoutReliability()}, core.BreakerOff},
		{[]core.Option{core.WithoutReliability(), core.WithPreset(core.PresetIO)}, core.BreakerOff},
		{[]core.Option{core.WithReliability(core.DefaultReliability()), core.WithPreset(core.PresetMinimal)}, core.BreakerClosed},
	} {
		if got := newClient(t, m, tc.opts...).Stats().Breaker; got != tc.want {
			t.Errorf("%d options: breaker %v, want %v", len(tc.opts), got, tc.want)
		}
	}
}

func TestWithReliabilityRejectsBadValues(t *testing.T) {
	bad := []func(*core.Reliability){
		func(r *core.Reliability) { *r = core.Reliability{} },
		func(r *core.Reliability) { r.Retries = -1 },
		func(r *core.Reliability) { r.Retries = 11 },
		func(r *core.Reliability) { r.BackoffCap = r.BackoffBase - 1 },
		func(r *core.Reliability) { r.BreakerFailures = 0 },
		func(r *core.Reliability) { r.BreakerOpenFor = 0 },
		func(r *core.Reliability) { r.MaxConcurrent = 0 },
		func(r *core.Reliability) { r.QueueWait = -1 },
		func(r *core.Reliability) { r.OpTimeout = 0 },
	}
	for i, edit := range bad {
		r := core.DefaultReliability()
		edit(&r)
		_, err := core.New(newMem(), core.WithCodec(jsonCodec{}), core.WithReliability(r))
		if core.KindOf(err) != core.KindConfig {
			t.Errorf("case %d: %v, want KindConfig", i, err)
		}
	}
}

func TestDegradationPerPreset(t *testing.T) {
	ctx := context.Background()
	load := func(context.Context) (int, error) { return 7, nil }
	for _, p := range []core.Preset{core.PresetProduction, core.PresetSecure, core.PresetIO} {
		m := newMem()
		opts := []core.Option{core.WithPreset(p), core.WithRetries(0, 0)}
		if p == core.PresetSecure {
			opts = append(opts, core.WithEncryptor(nopEncryptor{}))
		}
		c := newClient(t, m, opts...)
		m.failGet.Store(&errTransient)
		m.failSet.Store(&errTransient)
		v, err := core.GetOrLoad(ctx, c, "k", load)
		if err != nil || v != 7 {
			t.Errorf("%v: GetOrLoad = %v, %v; want the loader's 7", p, v, err)
		}
		_, _, err = core.Get[int](ctx, c, "k")
		wantKind(t, err, core.KindTransient)
		wantKind(t, c.Set(ctx, "k", 1), core.KindTransient)
		m.failGet.Store(nil)
	}
	m := newMem()
	c := newClient(t, m, core.WithPreset(core.PresetMinimal))
	m.failGet.Store(&errTransient)
	_, err := core.GetOrLoad(ctx, c, "k", load)
	wantKind(t, err, core.KindTransient)
}

func TestGetFailOpenAnswersAMiss(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c, _ := relClient(t, m, func(r *core.Reliability) { r.GetFailOpen, r.Retries = true, 0 })
	m.failGet.Store(&errTransient)
	_, found, err := core.Get[int](ctx, c, "k")
	if err != nil || found {
		t.Fatalf("Get = found %v, %v; want a miss", found, err)
	}
	perm := error(core.NewError(core.KindAuth, "mem", "denied", nil))
	m.failGet.Store(&perm)
	_, _, err = core.Get[int](ctx, c, "k")
	wantKind(t, err, core.KindAuth)
}

func TestOpenBreakerAnswersGetOrLoadFromTheLoader(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c, _ := relClient(t, m, func(r *core.Reliability) { r.Retries = 0 }, core.WithPreset(core.PresetProduction))
	m.failGet.Store(&errTransient)
	m.failSet.Store(&errTransient)
	for i := range 20 {
		v, err := core.GetOrLoad(ctx, c, "k", func(context.Context) (int, error) { return i, nil })
		if err != nil || v != i {
			t.Fatalf("GetOrLoad %d = %v, %v", i, v, err)
		}
	}
	if s := c.Stats(); s.Breaker != core.BreakerOpen || s.Degraded != 20 {
		t.Fatalf("breaker %v degraded %d", s.Breaker, s.Degraded)
	}
	if n := m.gets.Load(); n > 5 {
		t.Fatalf("%d backend reads through an open breaker", n)
	}
}

// countingHandler counts log records and remembers their attributes.
type countingHandler struct {
	mu    sync.Mutex
	lines []string
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	h.mu.Lock()
	h.lines = append(h.lines, b.String())
	h.mu.Unlock()
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }
func (h *countingHandler) get() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.lines)
}

// degradedClient is a production-preset client without retries over a
// backend whose reads and writes fail transiently, logging into h.
func degradedClient(t *testing.T) (c *core.Client, h *countingHandler, clk *core.FakeClock) {
	t.Helper()
	m := newMem()
	h = &countingHandler{}
	c, clk = relClient(t, m, func(r *core.Reliability) { r.Retries = 0 },
		core.WithPreset(core.PresetProduction), core.WithLogger(slog.New(h)))
	m.failGet.Store(&errTransient)
	m.failSet.Store(&errTransient)
	return c, h, clk
}

func TestDegradedWarningsAreRateLimited(t *testing.T) {
	ctx := context.Background()
	c, h, clk := degradedClient(t)
	for i := range 100 {
		_, _ = core.GetOrLoad(ctx, c, "k"+string(rune('a'+i%26)), func(context.Context) (int, error) { return 1, nil })
	}
	lines := h.get()
	if len(lines) != 2 { // one per message: degraded read, failed write-back
		t.Fatalf("%d lines after 100 degraded calls, want 2: %q", len(lines), lines)
	}
	clk.Advance(11 * time.Second)
	_, _ = core.GetOrLoad(ctx, c, "z", func(context.Context) (int, error) { return 1, nil })
	lines = h.get()
	if len(lines) != 4 || !strings.Contains(lines[2], "suppressed=99") || !strings.Contains(lines[3], "suppressed=99") {
		t.Fatalf("after the interval: %q, want one more line per message with suppressed=99", lines)
	}
	for _, l := range lines {
		if regexp.MustCompile(`=("?)(k[a-z]|z)("?)(\s|$)`).MatchString(l) { // a key as a value (cache.key_hash is a hash)
			t.Fatalf("a warning names a key: %q", l)
		}
	}
}

// A GetOrLoad flight's read runs into a deadline the client set: that is
// the backend failing, and trips the breaker. A deadline of the caller's
// own does not.
func TestBreakerCountsOwnDeadlinesNotTheCallers(t *testing.T) {
	g := newGate()
	c, _ := relClient(t, g, func(r *core.Reliability) { r.OpTimeout, r.Retries = 5*time.Millisecond, 0 },
		core.WithPreset(core.PresetProduction))
	for range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		_, _, err := core.Get[int](ctx, c, "k")
		cancel()
		wantKind(t, err, core.KindTimeout)
		<-g.entered
	}
	if s := c.Stats(); s.Breaker != core.BreakerClosed {
		t.Fatalf("after 5 timeouts of the caller's own deadline: breaker %v, want closed", s.Breaker)
	}
	// (The write-backs fail with an unclassified error, which tells the
	// breaker nothing: a success would reset its count.)
	unknown := error(core.NewError(core.KindUnknown, "gate.set", "?", nil))
	g.failSet.Store(&unknown)
	for i := range 5 {
		v, err := core.GetOrLoad(context.Background(), c, "k"+strconv.Itoa(i), func(context.Context) (int, error) { return 1, nil })
		if err != nil || v != 1 {
			t.Fatalf("GetOrLoad = %v, %v", v, err)
		}
		<-g.entered
	}
	if s := c.Stats(); s.Breaker != core.BreakerOpen {
		t.Fatalf("after 5 flight reads ran out of the client's deadline: breaker %v, want open", s.Breaker)
	}
}

// While the prober checks the backend, callers fail fast and never reach
// it; Close stops a prober whose check hangs.
func TestProberChecksHealthNotCallers(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c, clk := relClient(t, m, func(r *core.Reliability) { r.Retries = 0 })
	m.failGet.Store(&errTransient)
	for range 5 {
		_, _, _ = core.Get[int](ctx, c, "k")
	}
	m.failGet.Store(nil)
	m.blockHealth.Store(true)
	clk.Advance(time.Second)
	for range 20 {
		_, _, err := core.Get[int](ctx, c, "k")
		wantKind(t, err, core.KindCircuitOpen)
	}
	if s := c.Stats(); s.Breaker != core.BreakerHalfOpen || m.gets.Load() != 5 {
		t.Fatalf("breaker %v, %d backend reads; want half-open and 5", s.Breaker, m.gets.Load())
	}
	done := make(chan struct{})
	go func() { _ = c.Close(); close(done) }()
	<-done // Close returns although the health check would hang (OpTimeout is a minute)
}

// GetOrLoadMany's warnings are rate-limited like GetOrLoad's: with the
// backend down, 100 batch calls log one line per message (old code: a
// failed batch write-back logged on every call, 592 lines in the 18 s of
// the cachekit.io chaos test).
func TestBatchWarningsAreRateLimited(t *testing.T) {
	ctx := context.Background()
	c, h, _ := degradedClient(t)
	load := func(_ context.Context, ids []int) (map[int]int, error) {
		out := make(map[int]int, len(ids))
		for _, id := range ids {
			out[id] = id
		}
		return out, nil
	}
	key := func(id int) string { return "b" + strconv.Itoa(id) }
	for i := range 100 {
		got, err := core.GetOrLoadMany(ctx, c, []int{2 * i, 2*i + 1}, key, load)
		if err != nil || len(got) != 2 {
			t.Fatalf("GetOrLoadMany = %v, %v; want the loaded values", got, err)
		}
	}
	lines := h.get()
	seen := map[string]bool{}
	for _, l := range lines {
		msg, _, _ := strings.Cut(l, " cache.")
		if seen[msg] {
			t.Fatalf("%q logged twice in 100 calls: %q", msg, lines)
		}
		seen[msg] = true
	}
	if len(lines) == 0 || len(lines) > 3 {
		t.Fatalf("%d lines after 100 degraded batch calls: %q", len(lines), lines)
	}
}
