package core_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// recorder is an Observer that keeps every event.
type recorder struct {
	mu      sync.Mutex
	ops     []core.OpEvent
	retries []core.RetryEvent
}

func (r *recorder) observer(timing bool) *core.Observer {
	return &core.Observer{
		Timing: timing,
		OnOp: func(_ context.Context, e core.OpEvent) {
			r.mu.Lock()
			r.ops = append(r.ops, e)
			r.mu.Unlock()
		},
		OnRetry: func(_ context.Context, e core.RetryEvent) {
			r.mu.Lock()
			r.retries = append(r.retries, e)
			r.mu.Unlock()
		},
	}
}

func (r *recorder) take() []core.OpEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	ops := r.ops
	r.ops = nil
	for i := range ops {
		ops[i].Duration = 0 // compared apart
	}
	return ops
}

func wantOps(t *testing.T, got []core.OpEvent, want ...core.OpEvent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("events %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("event %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestObserverSeesEachOperation(t *testing.T) {
	ctx := context.Background()
	var r recorder
	c := newClient(t, newMem(), core.WithObserver(r.observer(false)), core.WithNamespace("ns"))

	if err := c.Set(ctx, "k", 42); err != nil { // jsonCodec: "42"
		t.Fatal(err)
	}
	wantOps(t, r.take(), core.OpEvent{Op: core.OpSet, Tier: core.TierClient, Namespace: "ns", Result: core.ResultOK, Bytes: 2})

	if _, _, err := core.Get[int](ctx, c, "k"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := core.Get[int](ctx, c, "absent"); err != nil {
		t.Fatal(err)
	}
	wantOps(t, r.take(),
		core.OpEvent{Op: core.OpGet, Tier: core.TierClient, Namespace: "ns", Result: core.ResultHit, Bytes: 2},
		core.OpEvent{Op: core.OpGet, Tier: core.TierClient, Namespace: "ns", Result: core.ResultMiss})

	if _, err := c.Exists(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	wantOps(t, r.take(),
		core.OpEvent{Op: core.OpExists, Tier: core.TierClient, Namespace: "ns", Result: core.ResultOK},
		core.OpEvent{Op: core.OpDelete, Tier: core.TierClient, Namespace: "ns", Result: core.ResultOK})

	// A miss, the load, its write-back.
	v, err := core.GetOrLoad(ctx, c, "cold", func(context.Context) (int, error) { return 7, nil })
	if err != nil || v != 7 {
		t.Fatal(v, err)
	}
	wantOps(t, r.take(),
		core.OpEvent{Op: core.OpGet, Tier: core.TierClient, Namespace: "ns", Result: core.ResultMiss},
		core.OpEvent{Op: core.OpLoad, Tier: core.TierClient, Namespace: "ns", Result: core.ResultOK},
		core.OpEvent{Op: core.OpSet, Tier: core.TierClient, Namespace: "ns", Result: core.ResultOK, Bytes: 1})

	// A failing loader is an error event of the loader's kind.
	_, err = core.GetOrLoad(ctx, c, "bad", func(context.Context) (int, error) {
		return 0, &core.Error{Kind: core.KindInvalidInput, Msg: "no"}
	})
	wantKind(t, err, core.KindInvalidInput)
	wantOps(t, r.take(),
		core.OpEvent{Op: core.OpGet, Tier: core.TierClient, Namespace: "ns", Result: core.ResultMiss},
		core.OpEvent{Op: core.OpLoad, Tier: core.TierClient, Namespace: "ns", Result: core.ResultError, Kind: core.KindInvalidInput})
}

func TestObserverSeesLocalHitsErrorsAndRetries(t *testing.T) {
	ctx := context.Background()
	var r recorder
	l := &localBackend{memBackend: newMem(), local: map[string]bool{"near": true}}
	c := newClient(t, l, core.WithObserver(r.observer(true)), core.WithRetries(2, 0))
	if err := c.Set(ctx, "near", "v"); err != nil {
		t.Fatal(err)
	}
	r.take()
	never := func(context.Context) (string, error) { t.Fatal("loader called"); return "", nil }
	if _, err := core.GetOrLoad(ctx, c, "near", never); err != nil {
		t.Fatal(err)
	}
	wantOps(t, r.take(), core.OpEvent{Op: core.OpGet, Tier: core.TierClient, Result: core.ResultHit, Bytes: 3})

	l.failGet.Store(&errTransient)
	_, _, err := core.Get[string](ctx, c, "far")
	wantKind(t, err, core.KindTransient)
	wantOps(t, r.take(), core.OpEvent{Op: core.OpGet, Tier: core.TierClient, Result: core.ResultError, Kind: core.KindTransient})
	r.mu.Lock()
	retries := r.retries
	r.mu.Unlock()
	if len(retries) != 2 || retries[0].Attempt != 1 || retries[1].Attempt != 2 || retries[1].Kind != core.KindTransient {
		t.Fatalf("retries %+v", retries)
	}
}

func TestObserverTimingSetsDurations(t *testing.T) {
	ctx := context.Background()
	for _, timing := range []bool{false, true} {
		var r recorder
		c := newClient(t, newMem(), core.WithObserver(r.observer(timing)))
		_, err := core.GetOrLoad(ctx, c, "k", func(context.Context) (int, error) {
			time.Sleep(2 * time.Millisecond)
			return 1, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		r.mu.Lock()
		ops := r.ops
		r.mu.Unlock()
		if len(ops) != 3 || ops[1].Op != core.OpLoad {
			t.Fatalf("events %+v", ops)
		}
		if got := ops[1].Duration; timing && got < 2*time.Millisecond || !timing && got != 0 {
			t.Fatalf("timing=%v: load duration %v", timing, got)
		}
	}
}

func TestJoinCallsEveryObserver(t *testing.T) {
	var a, b recorder
	j := core.Join(nil, a.observer(false), b.observer(true))
	if !j.Timing || j.OnBreaker != nil {
		t.Fatalf("joined %+v", j)
	}
	j.OnOp(context.Background(), core.OpEvent{Op: core.OpGet})
	if len(a.take()) != 1 || len(b.take()) != 1 {
		t.Fatal("an observer was skipped")
	}
	if o := a.observer(false); core.Join(o, nil) != o {
		t.Fatal("joining one observer should return it")
	}
}

func TestObserverNamesAreStable(t *testing.T) {
	for v, want := range map[interface{ String() string }]string{
		core.OpGet: "get", core.OpSet: "set", core.OpDelete: "delete", core.OpExists: "exists", core.OpLoad: "load",
		core.ResultOK: "ok", core.ResultHit: "hit", core.ResultMiss: "miss", core.ResultStale: "stale", core.ResultError: "error",
		core.BreakerClosed: "closed", core.BreakerOpen: "open", core.BreakerHalfOpen: "half-open",
		core.BreakerOff: "off", core.Op(99): "op(99)", core.Result(99): "result(99)", core.BreakerState(9): "BreakerState(9)",
	} {
		if got := v.String(); got != want {
			t.Errorf("%v: %q, want %q", v, got, want)
		}
	}
}

// BenchmarkObservedHit is BenchmarkGetHit (a hit over a map backend) and
// the local-tier hit of GetOrLoad, with no observer, a no-op observer and
// a no-op observer that times operations.
func BenchmarkObservedHit(b *testing.B) {
	ctx := context.Background()
	nop := func(context.Context, core.OpEvent) {}
	for _, o := range []struct {
		name string
		obs  *core.Observer
	}{
		{"none", nil},
		{"nop", &core.Observer{OnOp: nop}},
		{"nop-timed", &core.Observer{OnOp: nop, Timing: true}},
	} {
		l := &localBackend{memBackend: newMem(), local: map[string]bool{"k": true}}
		c, err := core.New(l, core.WithCodec(jsonCodec{}), core.WithObserver(o.obs))
		if err != nil {
			b.Fatal(err)
		}
		_ = c.Set(ctx, "k", 42, core.TTL(time.Hour))
		b.Run("op=get/observer="+o.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := core.Get[int](ctx, c, "k"); err != nil {
					b.Fatal(err)
				}
			}
		})
		load := func(context.Context) (int, error) { return 0, nil }
		b.Run("op=local/observer="+o.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := core.GetOrLoad(ctx, c, "k", load); err != nil {
					b.Fatal(err)
				}
			}
		})
		_ = c.Close()
	}
}

// The reliability stack reports its retries and each breaker change; a
// healed read is reported once.
func TestObserverSeesStackRetriesBreakerAndHeals(t *testing.T) {
	ctx := context.Background()
	var (
		mu      sync.Mutex
		breaker []core.BreakerEvent
		retries []core.RetryEvent
		heals   []core.SelfHealEvent
	)
	obs := &core.Observer{
		OnBreaker: func(e core.BreakerEvent) { mu.Lock(); breaker = append(breaker, e); mu.Unlock() },
		OnRetry:   func(_ context.Context, e core.RetryEvent) { mu.Lock(); retries = append(retries, e); mu.Unlock() },
		OnSelfHeal: func(_ context.Context, e core.SelfHealEvent) {
			mu.Lock()
			heals = append(heals, e)
			mu.Unlock()
		},
	}
	m := newMem()
	c, clk := relClient(t, m, func(r *core.Reliability) {
		r.Retries, r.BackoffBase, r.BackoffCap = 1, time.Second, time.Second
		r.BreakerFailures = 4
	}, core.WithObserver(obs), core.WithNamespace("ns"), core.WithStaleWhileRevalidate(false))

	m.failGet.Store(&errTransient)
	for range 2 { // 2 calls × 2 attempts: the 4th failure opens the breaker
		_, _, err := core.Get[int](ctx, c, "k")
		wantKind(t, err, core.KindTransient)
	}
	mu.Lock()
	if len(retries) != 2 || retries[0] != (core.RetryEvent{Attempt: 1, Kind: core.KindTransient, Delay: time.Second - 1}) {
		t.Fatalf("retries %+v", retries)
	}
	if len(breaker) != 1 || breaker[0] != (core.BreakerEvent{From: core.BreakerClosed, To: core.BreakerOpen}) {
		t.Fatalf("breaker events %+v", breaker)
	}
	mu.Unlock()
	m.failGet.Store(nil)
	clk.Advance(5 * time.Second)
	_, _, _ = core.Get[int](ctx, c, "k") // starts the prober
	waitBreaker(t, c, core.BreakerClosed)
	mu.Lock()
	want := []core.BreakerEvent{
		{From: core.BreakerClosed, To: core.BreakerOpen},
		{From: core.BreakerOpen, To: core.BreakerHalfOpen},
		{From: core.BreakerHalfOpen, To: core.BreakerClosed},
	}
	if len(breaker) != 3 || breaker[1] != want[1] || breaker[2] != want[2] {
		t.Fatalf("breaker events %+v, want %+v", breaker, want)
	}
	mu.Unlock()

	_ = m.Set(ctx, "ns:ns:bad", []byte("{not json"), time.Hour)
	if v, err := core.GetOrLoad(ctx, c, "bad", func(context.Context) (int, error) { return 3, nil }); err != nil || v != 3 {
		t.Fatal(v, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(heals) != 1 || heals[0] != (core.SelfHealEvent{Namespace: "ns", Kind: core.KindSerialization}) {
		t.Fatalf("self-heal events %+v", heals)
	}
}

func TestKeyHashHidesTheKey(t *testing.T) {
	h := core.KeyHash("ns:users:alice@example.com")
	// The first 8 bytes of sha256("ns:users:alice@example.com").
	if len(h) != 16 || h == core.KeyHash("ns:users:bob@example.com") || h != core.KeyHash("ns:users:alice@example.com") {
		t.Fatalf("KeyHash %q", h)
	}
	if want := "82e12cfee7a949ec"; h != want {
		t.Fatal(h)
	}
}

func TestLogsCarryStableKeysAndNoKey(t *testing.T) {
	ctx := context.Background()
	var buf bytes.Buffer
	m := newMem()
	c := newClient(t, m, core.WithRetries(0, 0), core.WithNamespace("people"),
		core.WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))))
	m.failSet.Store(&errTransient)
	if v, err := core.GetOrLoad(ctx, c, "alice@example.com", func(context.Context) (int, error) { return 1, nil }); err != nil || v != 1 {
		t.Fatal(v, err)
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("%v: %s", err, buf.Bytes())
	}
	want := map[string]any{core.LogKeyKind: "transient", core.LogKeyOp: "set", core.LogKeyNamespace: "people",
		core.LogKeyHash: core.KeyHash("ns:people:alice@example.com")}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %v, want %v (record %s)", k, rec[k], v, buf.Bytes())
		}
	}
	if strings.Contains(buf.String(), "alice") {
		t.Fatalf("the log shows the key: %s", buf.Bytes())
	}
}

// constBackend answers every read with one stored value, locally too, and
// allocates nothing: the observer's cost is not lost in a backend's.
type constBackend struct{}

var constValue = []byte{42}

func (constBackend) Get(context.Context, string) (core.Entry, bool, error) {
	return core.Entry{Value: constValue}, true, nil
}
func (constBackend) GetLocal(context.Context, string) (core.Entry, bool, error) {
	return core.Entry{Value: constValue}, true, nil
}
func (constBackend) Set(context.Context, string, []byte, time.Duration) error { return nil }
func (constBackend) Delete(context.Context, string) error                     { return nil }
func (constBackend) Exists(context.Context, string) (bool, error)             { return true, nil }
func (constBackend) Health(context.Context) error                             { return nil }

// constCodec decodes any bytes into the int they start with, without
// allocating.
type constCodec struct{}

func (constCodec) Format() string              { return "msgpack" }
func (constCodec) Compressed() bool            { return false }
func (constCodec) Marshal(any) ([]byte, error) { return constValue, nil }
func (constCodec) Unmarshal(b []byte, v any) error {
	if p, ok := v.(*int); ok && len(b) > 0 {
		*p = int(b[0])
	}
	return nil
}

// BenchmarkObserverPaired measures what an observer adds to a hit (Get, and
// GetOrLoad's local-tier hit, over a backend and codec that cost almost
// nothing and allocate nothing), paired: clients without
// and with the observer take turns in batches of 512 calls (who goes first
// alternating), each side timed on its own, so that load on a shared
// machine falls on both alike. It
// reports each side's ns/op and their difference (delta-ns/op).
func BenchmarkObserverPaired(b *testing.B) {
	ctx := context.Background()
	nop := func(context.Context, core.OpEvent) {}
	for _, o := range []struct {
		name string
		obs  *core.Observer
	}{
		{"nop", &core.Observer{OnOp: nop}},
		{"nop-timed", &core.Observer{OnOp: nop, Timing: true}},
	} {
		for _, op := range []string{"get", "local"} {
			b.Run("op="+op+"/observer="+o.name, func(b *testing.B) {
				var clients [2]*core.Client
				for i, obs := range []*core.Observer{nil, o.obs} {
					c, err := core.New(constBackend{}, core.WithCodec(constCodec{}), core.WithObserver(obs))
					if err != nil {
						b.Fatal(err)
					}
					defer c.Close()
					clients[i] = c
				}
				load := func(context.Context) (int, error) { return 0, nil }
				call := func(c *core.Client) {
					var err error
					if op == "get" {
						_, _, err = core.Get[int](ctx, c, "k")
					} else {
						_, err = core.GetOrLoad(ctx, c, "k", load)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				const batch = 512
				var spent [2]time.Duration
				var calls [2]int
				b.ReportAllocs()
				b.ResetTimer()
				for round, done := 0, 0; done < b.N; round++ {
					for k := range 2 {
						side := (k + round) % 2 // who goes first alternates
						n := min(batch, b.N-done)
						start := time.Now()
						for range n {
							call(clients[side])
						}
						spent[side] += time.Since(start)
						calls[side] += n
					}
					done += min(batch, b.N-done)
				}
				none := float64(spent[0].Nanoseconds()) / float64(max(calls[0], 1))
				with := float64(spent[1].Nanoseconds()) / float64(max(calls[1], 1))
				b.ReportMetric(none, "none-ns/op")
				b.ReportMetric(with, o.name+"-ns/op")
				b.ReportMetric(with-none, "delta-ns/op")
			})
		}
	}
}

type obsCtxKey struct{}

// A load's context carries the values of the caller that led the flight
// (a trace span, say), so that OnOp of the load and the loader see them.
func TestLoadContextKeepsTheCallersValues(t *testing.T) {
	var seen []any
	c := newClient(t, newMem(), core.WithObserver(&core.Observer{OnOp: func(ctx context.Context, e core.OpEvent) {
		if e.Op == core.OpLoad {
			seen = append(seen, ctx.Value(obsCtxKey{}))
		}
	}}))
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), obsCtxKey{}, "span"))
	defer cancel() // a context that can end: the load runs detached from it
	v, err := core.GetOrLoad(ctx, c, "k", func(ctx context.Context) (string, error) {
		return fmt.Sprint(ctx.Value(obsCtxKey{})), nil
	})
	if err != nil || v != "span" {
		t.Fatalf("the loader saw %q, %v", v, err)
	}
	if len(seen) != 1 || seen[0] != "span" {
		t.Fatalf("OnOp of the load saw %v", seen)
	}
}

// TestObserverSeesBatchCalls: GetMany, SetMany, DeleteMany and
// GetOrLoadMany report one event per distinct key they send, through a
// backend's batch capabilities and through the per-key fallback alike,
// and a batch loader's call is one OpLoad.
func TestObserverSeesBatchCalls(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		b     core.Backend
		batch bool // one backend call serves the keys: Batch is their number
	}{
		{"batch capabilities", newCapBackend(), true},
		{"per-key fallback", newMem(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// ev is the event of one key of a batch call of n keys.
			ev := func(op core.Op, r core.Result, bytes, n int) core.OpEvent {
				if !tc.batch || op == core.OpLoad {
					n = 0
				}
				return core.OpEvent{Op: op, Tier: core.TierClient, Namespace: "ns", Result: r, Bytes: bytes, Batch: n}
			}
			var r recorder
			c := newClient(t, tc.b, core.WithObserver(r.observer(false)), core.WithNamespace("ns"))
			if err := c.SetMany(ctx, map[string]any{"b": 22, "a": 1}); err != nil { // jsonCodec: "1", "22"
				t.Fatal(err)
			}
			wantOps(t, r.take(), ev(core.OpSet, core.ResultOK, 1, 2), ev(core.OpSet, core.ResultOK, 2, 2))

			got, err := core.GetMany[int](ctx, c, []string{"a", "b", "c", "a"})
			if err != nil || len(got) != 2 {
				t.Fatal(got, err)
			}
			wantOps(t, r.take(), ev(core.OpGet, core.ResultHit, 1, 3), ev(core.OpGet, core.ResultHit, 2, 3), ev(core.OpGet, core.ResultMiss, 0, 3))

			if err := c.DeleteMany(ctx, []string{"b", "a", "b"}); err != nil {
				t.Fatal(err)
			}
			wantOps(t, r.take(), ev(core.OpDelete, core.ResultOK, 0, 2), ev(core.OpDelete, core.ResultOK, 0, 2))

			loaded, err := core.GetOrLoadMany(ctx, c, []string{"p", "q"}, func(k string) string { return k },
				func(_ context.Context, missing []string) (map[string]int, error) {
					return map[string]int{"p": 3, "q": 44}, nil
				})
			if err != nil || loaded["q"] != 44 {
				t.Fatal(loaded, err)
			}
			wantOps(t, r.take(), ev(core.OpGet, core.ResultMiss, 0, 2), ev(core.OpGet, core.ResultMiss, 0, 2),
				ev(core.OpLoad, core.ResultOK, 0, 0), ev(core.OpSet, core.ResultOK, 1, 2), ev(core.OpSet, core.ResultOK, 2, 2))
		})
	}
	// A failed batch read is an error event for each key it sent.
	var r recorder
	b := newCapBackend()
	c := newClient(t, b, core.WithObserver(r.observer(false)), core.WithNamespace("ns"))
	fail := error(core.NewError(core.KindPermanent, "mem.get", "broken", nil))
	b.failGet.Store(&fail)
	_, err := core.GetMany[int](ctx, c, []string{"x", "y"})
	wantKind(t, err, core.KindPermanent)
	e := core.OpEvent{Op: core.OpGet, Tier: core.TierClient, Namespace: "ns", Result: core.ResultError, Kind: core.KindPermanent, Batch: 2}
	wantOps(t, r.take(), e, e)
}
