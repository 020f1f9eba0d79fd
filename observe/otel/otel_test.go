package otel_test

import (
	"context"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	ckotel "github.com/cachekit-io/cachekit-go/observe/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

type rig struct {
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	obs    *core.Observer
}

func newRig(t *testing.T, opts ...ckotel.Option) *rig {
	t.Helper()
	r := &rig{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	obs, err := ckotel.New(append([]ckotel.Option{ckotel.WithMeterProvider(mp), ckotel.WithTracerProvider(r.tp)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	r.obs = obs
	return r
}

func (r *rig) collect(t *testing.T) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != ckotel.ScopeName {
			t.Fatalf("scope %q", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

func has(set attribute.Set, want map[attribute.Key]string) bool {
	for k, v := range want {
		got, ok := set.Value(k)
		if !ok || got.String() != v {
			return false
		}
	}
	return true
}

// sum is the value of counter name's point whose attributes include want.
func sum(t *testing.T, ms map[string]metricdata.Metrics, name string, want map[attribute.Key]string) int64 {
	t.Helper()
	m, ok := ms[name]
	if !ok {
		t.Fatalf("no instrument %s", name)
	}
	s, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%s is %T", name, m.Data)
	}
	var total int64
	for _, p := range s.DataPoints {
		if has(p.Attributes, want) {
			total += p.Value
		}
	}
	return total
}

func TestMetricsHaveValues(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	b := newMap()
	c, err := core.New(b, core.WithCodec(jsonCodec{}), core.WithRetries(1, 0), core.WithObserver(r.obs))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Set(ctx, "k", "abcd"); err != nil { // 6 bytes
		t.Fatal(err)
	}
	for range 2 {
		if _, _, err := core.Get[string](ctx, c, "k"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := core.GetOrLoad(ctx, c, "cold", func(context.Context) (int, error) {
		time.Sleep(3 * time.Millisecond)
		return 12345, nil
	}); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	b.failGets = 2
	b.mu.Unlock()
	if _, _, err := core.Get[string](ctx, c, "k"); core.KindOf(err) != core.KindTransient {
		t.Fatalf("want transient, got %v", err)
	}
	r.obs.OnBreaker(core.BreakerEvent{From: core.BreakerClosed, To: core.BreakerOpen})
	r.obs.OnSelfHeal(ctx, core.SelfHealEvent{Kind: core.KindSerialization})
	r.obs.OnInvalidation(core.InvalidationEvent{Tier: "l1", All: true})
	r.obs.OnEviction(core.EvictionEvent{Tier: "l1", Reason: "expired", Count: 5})

	ms := r.collect(t)
	req := "cachekit.client.requests"
	for _, tc := range []struct {
		op, result string
		want       int64
	}{{"get", "hit", 2}, {"get", "miss", 1}, {"get", "error", 1}, {"set", "ok", 2}, {"load", "ok", 1}} {
		if got := sum(t, ms, req, map[attribute.Key]string{ckotel.AttrTier: "client", ckotel.AttrOperation: tc.op, ckotel.AttrResult: tc.result}); got != tc.want {
			t.Errorf("%s %s/%s = %d, want %d", req, tc.op, tc.result, got, tc.want)
		}
	}
	if got := sum(t, ms, "cachekit.client.bytes", map[attribute.Key]string{ckotel.AttrOperation: "get"}); got != 12 {
		t.Errorf("bytes read %d, want 12", got)
	}
	if got := sum(t, ms, "cachekit.client.bytes", map[attribute.Key]string{ckotel.AttrOperation: "set"}); got != 11 {
		t.Errorf("bytes written %d, want 11", got)
	}
	if got := sum(t, ms, "cachekit.client.retries", map[attribute.Key]string{ckotel.AttrErrorType: "transient"}); got != 1 {
		t.Errorf("retries %d", got)
	}
	if got := sum(t, ms, "cachekit.breaker.transitions", map[attribute.Key]string{ckotel.AttrBreaker: "open"}); got != 1 {
		t.Errorf("transitions %d", got)
	}
	if g := ms["cachekit.breaker.state"].Data.(metricdata.Gauge[int64]); len(g.DataPoints) != 1 || g.DataPoints[0].Value != 1 {
		t.Errorf("breaker state %+v", g.DataPoints)
	}
	if got := sum(t, ms, "cachekit.self_heals", map[attribute.Key]string{ckotel.AttrErrorType: "serialization"}); got != 1 {
		t.Errorf("self heals %d", got)
	}
	if got := sum(t, ms, "cachekit.invalidations", map[attribute.Key]string{ckotel.AttrTier: "l1", ckotel.AttrScope: "all"}); got != 1 {
		t.Errorf("invalidations %d", got)
	}
	if got := sum(t, ms, "cachekit.evictions", map[attribute.Key]string{ckotel.AttrEvictReason: "expired"}); got != 5 {
		t.Errorf("evictions %d", got)
	}
	h := ms["db.client.operation.duration"]
	if h.Unit != "s" {
		t.Errorf("duration unit %q", h.Unit)
	}
	var loads, errs int
	for _, p := range h.Data.(metricdata.Histogram[float64]).DataPoints {
		if !has(p.Attributes, map[attribute.Key]string{ckotel.AttrSystem: "cachekit"}) {
			t.Errorf("point without db.system.name: %v", p.Attributes)
		}
		if has(p.Attributes, map[attribute.Key]string{ckotel.AttrOperation: "load"}) {
			loads += int(p.Count)
			if p.Sum < 0.003 {
				t.Errorf("load duration sum %v, want ≥ 3 ms", p.Sum)
			}
		}
		if has(p.Attributes, map[attribute.Key]string{ckotel.AttrErrorType: "transient"}) {
			errs += int(p.Count)
		}
	}
	if loads != 1 || errs != 1 {
		t.Errorf("histogram: %d loads, %d errors", loads, errs)
	}
}

func TestSpansAreChildrenOfTheCallersSpan(t *testing.T) {
	r := newRig(t)
	c, err := core.New(newMap(), core.WithCodec(jsonCodec{}), core.WithNamespace("users"), core.WithObserver(r.obs))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, parent := r.tp.Tracer("test").Start(context.Background(), "handler")
	if err := c.Set(ctx, "k", "abcd"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := core.Get[int](ctx, c, "k"); core.KindOf(err) != core.KindSerialization {
		t.Fatalf("want a decode error, got %v", err) // a hit that decodes badly: the get span is a hit
	}
	parent.End()
	spans := r.spans.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans", len(spans))
	}
	for i, want := range []string{"cachekit set", "cachekit get"} {
		s := spans[i]
		if s.Name() != want || s.SpanKind() != trace.SpanKindClient {
			t.Fatalf("span %d: %s %v", i, s.Name(), s.SpanKind())
		}
		if s.Parent().SpanID() != parent.SpanContext().SpanID() || s.SpanContext().TraceID() != parent.SpanContext().TraceID() {
			t.Fatalf("span %s is not a child of the caller's span", s.Name())
		}
		if !s.EndTime().After(s.StartTime()) {
			t.Fatalf("span %s has no duration", s.Name())
		}
		attrs := attribute.NewSet(s.Attributes()...)
		if !has(attrs, map[attribute.Key]string{ckotel.AttrNamespace: "users", ckotel.AttrBytes: "6", ckotel.AttrSystem: "cachekit"}) {
			t.Fatalf("span %s attributes %v", s.Name(), s.Attributes())
		}
	}
}

func TestErrorSpansAndWithoutSpans(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	b := newMap()
	b.failGets = 1
	c, _ := core.New(b, core.WithCodec(jsonCodec{}), core.WithRetries(0, 0), core.WithObserver(r.obs))
	defer c.Close()
	_, _, _ = core.Get[int](ctx, c, "k")
	s := r.spans.Ended()
	if len(s) != 1 || s[0].Status().Code != codes.Error || s[0].Status().Description != "transient" {
		t.Fatalf("spans %v", s)
	}

	r2 := newRig(t, ckotel.WithoutSpans())
	c2, _ := core.New(newMap(), core.WithCodec(jsonCodec{}), core.WithObserver(r2.obs))
	defer c2.Close()
	_ = c2.Set(ctx, "k", 1)
	if n := len(r2.spans.Ended()); n != 0 {
		t.Fatalf("WithoutSpans recorded %d spans", n)
	}
	if got := sum(t, r2.collect(t), "cachekit.client.requests", map[attribute.Key]string{ckotel.AttrOperation: "set"}); got != 1 {
		t.Fatalf("requests %d", got)
	}
}

func TestTierSpansOnlyWhenAsked(t *testing.T) {
	ctx := context.Background()
	for _, tierSpans := range []bool{false, true} {
		var opts []ckotel.Option
		if tierSpans {
			opts = append(opts, ckotel.WithTierSpans())
		}
		r := newRig(t, opts...)
		r.obs.OnOp(ctx, core.OpEvent{Op: core.OpGet, Tier: "l1", Result: core.ResultHit})
		r.obs.OnOp(ctx, core.OpEvent{Op: core.OpGet, Tier: core.TierClient, Result: core.ResultHit})
		want := 1
		if tierSpans {
			want = 2
		}
		if n := len(r.spans.Ended()); n != want {
			t.Fatalf("WithTierSpans=%v: %d spans, want %d", tierSpans, n, want)
		}
		if got := sum(t, r.collect(t), "cachekit.client.requests", map[attribute.Key]string{ckotel.AttrTier: "l1"}); got != 1 {
			t.Fatalf("the l1 event was not counted: %d", got)
		}
	}
}

func TestMetricsAllocateNothingPerEvent(t *testing.T) {
	r := newRig(t, ckotel.WithoutSpans())
	ctx := context.Background()
	e := core.OpEvent{Op: core.OpGet, Tier: core.TierClient, Result: core.ResultHit, Bytes: 10, Duration: time.Microsecond}
	r.obs.OnOp(ctx, e) // resolves the attribute sets
	if n := testing.AllocsPerRun(100, func() { r.obs.OnOp(ctx, e) }); n != 0 {
		t.Fatalf("%v allocations per event", n)
	}
}

// The keys of a batch backend call are counted as requests, but record
// no duration and no span: the time they carry is the batch's.
func TestBatchEventsCountedWithoutLatencyOrSpans(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	for range 3 {
		r.obs.OnOp(ctx, core.OpEvent{Op: core.OpGet, Tier: core.TierClient, Result: core.ResultHit, Bytes: 4, Duration: 5 * time.Millisecond, Batch: 3})
	}
	r.obs.OnOp(ctx, core.OpEvent{Op: core.OpGet, Tier: core.TierClient, Result: core.ResultMiss, Duration: time.Millisecond})
	ms := r.collect(t)
	if got := sum(t, ms, "cachekit.client.requests", map[attribute.Key]string{ckotel.AttrResult: "hit"}); got != 3 {
		t.Errorf("batch hits counted %d times, want 3", got)
	}
	if got := sum(t, ms, "cachekit.client.bytes", map[attribute.Key]string{ckotel.AttrOperation: "get"}); got != 12 {
		t.Errorf("batch bytes %d, want 12", got)
	}
	var n uint64
	for _, p := range ms["db.client.operation.duration"].Data.(metricdata.Histogram[float64]).DataPoints {
		n += p.Count
	}
	if n != 1 {
		t.Errorf("%d durations recorded, want 1 (the single-key miss)", n)
	}
	if s := r.spans.Ended(); len(s) != 1 {
		t.Errorf("%d spans, want 1 (the single-key miss)", len(s))
	}
}
