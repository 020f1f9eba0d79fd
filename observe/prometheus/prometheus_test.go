package prometheus_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	ckprom "github.com/cachekit-io/cachekit-go/observe/prometheus"
	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape fetches the registry's exposition over real HTTP and parses it
// with the text parser.
func scrape(t *testing.T, reg *prom.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// find returns the metric of family name whose labels include want.
func find(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("no family %s", name)
	}
next:
	for _, m := range f.GetMetric() {
		for k, v := range want {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		return m
	}
	t.Fatalf("%s: no series with %v", name, want)
	return nil
}

func counter(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	return find(t, fams, name, labels).GetCounter().GetValue()
}

func TestCollectorScrapedOverHTTP(t *testing.T) {
	ctx := context.Background()
	col := ckprom.New(ckprom.WithConstLabels(map[string]string{"cache": "test"}))
	reg := prom.NewRegistry()
	reg.MustRegister(col)
	b := newMap()
	c, err := core.New(b, core.WithCodec(jsonCodec{}), core.WithRetries(1, 0), core.WithObserver(col.Observer()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	if err := c.Set(ctx, "k", "abcd"); err != nil { // `"abcd"`: 6 bytes
		t.Fatal(err)
	}
	for range 3 {
		if _, _, err := core.Get[string](ctx, c, "k"); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := core.Get[string](ctx, c, "absent"); err != nil {
		t.Fatal(err)
	}
	if _, err := core.GetOrLoad(ctx, c, "cold", func(context.Context) (int, error) {
		time.Sleep(3 * time.Millisecond)
		return 12345, nil // 5 bytes
	}); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	b.failGets = 2 // the first try and its one retry
	b.mu.Unlock()
	if _, _, err := core.Get[string](ctx, c, "k"); core.KindOf(err) != core.KindTransient {
		t.Fatalf("want a transient error, got %v", err)
	}
	obs := col.Observer()
	obs.OnBreaker(core.BreakerEvent{From: core.BreakerClosed, To: core.BreakerOpen})
	obs.OnSelfHeal(ctx, core.SelfHealEvent{Kind: core.KindEncryption})
	obs.OnInvalidation(core.InvalidationEvent{Tier: "l1", Keys: 3})
	obs.OnInvalidation(core.InvalidationEvent{Tier: "l1", All: true})
	obs.OnEviction(core.EvictionEvent{Tier: "l1", Reason: "size", Count: 4})

	fams := scrape(t, reg)
	for _, tc := range []struct {
		op, result string
		want       float64
	}{
		{"get", "hit", 3}, {"get", "miss", 2}, {"get", "error", 1}, {"get", "stale", 0},
		{"set", "ok", 2}, {"load", "ok", 1}, {"delete", "ok", 0},
	} {
		if got := counter(t, fams, "cachekit_requests_total", map[string]string{"tier": "client", "op": tc.op, "result": tc.result, "cache": "test"}); got != tc.want {
			t.Errorf("requests %s/%s = %v, want %v", tc.op, tc.result, got, tc.want)
		}
	}
	if got := counter(t, fams, "cachekit_errors_total", map[string]string{"tier": "client", "op": "get", "kind": "transient"}); got != 1 {
		t.Errorf("errors = %v", got)
	}
	if got := counter(t, fams, "cachekit_bytes_total", map[string]string{"tier": "client", "op": "get"}); got != 18 {
		t.Errorf("bytes read = %v, want 3×6", got)
	}
	if got := counter(t, fams, "cachekit_bytes_total", map[string]string{"tier": "client", "op": "set"}); got != 11 {
		t.Errorf("bytes written = %v, want 6+5", got)
	}
	if got := counter(t, fams, "cachekit_retries_total", map[string]string{"kind": "transient"}); got != 1 {
		t.Errorf("retries = %v", got)
	}
	h := find(t, fams, "cachekit_request_duration_seconds", map[string]string{"tier": "client", "op": "load"}).GetHistogram()
	if h.GetSampleCount() != 1 || h.GetSampleSum() < 0.003 {
		t.Errorf("load histogram: count %d sum %v", h.GetSampleCount(), h.GetSampleSum())
	}
	if h := find(t, fams, "cachekit_request_duration_seconds", map[string]string{"tier": "client", "op": "get"}).GetHistogram(); h.GetSampleCount() != 6 {
		t.Errorf("get histogram count %d, want 6", h.GetSampleCount())
	}
	if g := find(t, fams, "cachekit_breaker_state", nil).GetGauge().GetValue(); g != 1 {
		t.Errorf("breaker state %v, want 1 (open)", g)
	}
	if got := counter(t, fams, "cachekit_breaker_transitions_total", map[string]string{"state": "open"}); got != 1 {
		t.Errorf("transitions = %v", got)
	}
	if got := counter(t, fams, "cachekit_self_heals_total", map[string]string{"kind": "encryption"}); got != 1 {
		t.Errorf("self heals = %v", got)
	}
	if got := counter(t, fams, "cachekit_invalidations_total", map[string]string{"tier": "l1", "scope": "keys"}); got != 1 {
		t.Errorf("invalidations = %v", got)
	}
	if got := counter(t, fams, "cachekit_invalidations_total", map[string]string{"tier": "l1", "scope": "all"}); got != 1 {
		t.Errorf("invalidations (all) = %v", got)
	}
	if got := counter(t, fams, "cachekit_evictions_total", map[string]string{"tier": "l1", "reason": "size"}); got != 4 {
		t.Errorf("evictions = %v", got)
	}
	// A get is never "ok"; a set never a hit: those series do not exist.
	for _, m := range fams["cachekit_requests_total"].GetMetric() {
		var op, res string
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "op":
				op = l.GetValue()
			case "result":
				res = l.GetValue()
			}
		}
		if op == "get" && res == "ok" || op != "get" && res != "ok" && res != "error" {
			t.Errorf("meaningless series op=%s result=%s", op, res)
		}
	}
}

func TestWithoutDurationsReadsNoClock(t *testing.T) {
	ctx := context.Background()
	col := ckprom.New(ckprom.WithoutDurations())
	if col.Observer().Timing {
		t.Fatal("WithoutDurations: the observer still times operations")
	}
	reg := prom.NewRegistry()
	reg.MustRegister(col)
	c, err := core.New(newMap(), core.WithCodec(jsonCodec{}), core.WithObserver(col.Observer()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.Set(ctx, "k", 1)
	fams := scrape(t, reg)
	if got := counter(t, fams, "cachekit_requests_total", map[string]string{"op": "set", "result": "ok"}); got != 1 {
		t.Fatalf("sets = %v", got)
	}
	if h := find(t, fams, "cachekit_request_duration_seconds", map[string]string{"op": "set"}).GetHistogram(); h.GetSampleCount() != 0 {
		t.Fatalf("histogram has %d samples without durations", h.GetSampleCount())
	}
}

// An event a tier's prebuilt series do not cover is still counted.
func TestUnusualEventsAreCounted(t *testing.T) {
	col := ckprom.New()
	reg := prom.NewRegistry()
	reg.MustRegister(col)
	obs := col.Observer()
	obs.OnOp(context.Background(), core.OpEvent{Op: core.OpLoad, Tier: "l1", Result: core.ResultOK, Bytes: 3, Duration: time.Millisecond})
	obs.OnOp(context.Background(), core.OpEvent{Op: core.OpLoad, Tier: "l1", Result: core.ResultHit})
	obs.OnOp(context.Background(), core.OpEvent{Op: core.Op(200), Tier: "l1", Result: core.ResultOK}) // unknown: dropped
	fams := scrape(t, reg)
	if got := counter(t, fams, "cachekit_requests_total", map[string]string{"tier": "l1", "op": "load", "result": "ok"}); got != 1 {
		t.Errorf("load ok = %v", got)
	}
	if got := counter(t, fams, "cachekit_requests_total", map[string]string{"tier": "l1", "op": "load", "result": "hit"}); got != 1 {
		t.Errorf("load hit = %v", got)
	}
	if got := counter(t, fams, "cachekit_bytes_total", map[string]string{"tier": "l1", "op": "load"}); got != 3 {
		t.Errorf("bytes = %v", got)
	}
	if h := find(t, fams, "cachekit_request_duration_seconds", map[string]string{"tier": "l1", "op": "load"}).GetHistogram(); h.GetSampleCount() != 1 {
		t.Errorf("histogram count %d", h.GetSampleCount())
	}
	if n := len(fams["cachekit_requests_total"].GetMetric()); n != 8+2 {
		t.Errorf("%d request series, want 8 prebuilt for l1 (get: hit, miss, stale, error; set and delete: ok, error) plus 2", n)
	}
}

// The keys of a batch backend call are counted as requests, but observe
// no duration: the time they carry is the batch's, not one key's latency.
func TestBatchEventsCountedWithoutLatency(t *testing.T) {
	col := ckprom.New()
	reg := prom.NewRegistry()
	reg.MustRegister(col)
	obs := col.Observer()
	for range 3 {
		obs.OnOp(context.Background(), core.OpEvent{Op: core.OpGet, Tier: core.TierClient, Result: core.ResultHit, Bytes: 4, Duration: 5 * time.Millisecond, Batch: 3})
	}
	obs.OnOp(context.Background(), core.OpEvent{Op: core.OpGet, Tier: core.TierClient, Result: core.ResultMiss, Duration: time.Millisecond})
	fams := scrape(t, reg)
	if got := counter(t, fams, "cachekit_requests_total", map[string]string{"tier": "client", "op": "get", "result": "hit"}); got != 3 {
		t.Errorf("batch hits counted %v times, want 3", got)
	}
	if got := counter(t, fams, "cachekit_bytes_total", map[string]string{"tier": "client", "op": "get"}); got != 12 {
		t.Errorf("batch bytes %v, want 12", got)
	}
	if h := find(t, fams, "cachekit_request_duration_seconds", map[string]string{"tier": "client", "op": "get"}).GetHistogram(); h.GetSampleCount() != 1 {
		t.Errorf("%d durations observed, want 1 (the single-key miss)", h.GetSampleCount())
	}
}

func TestEventsAllocateNothing(t *testing.T) {
	obs := ckprom.New().Observer()
	ctx := context.Background()
	e := core.OpEvent{Op: core.OpGet, Tier: core.TierClient, Result: core.ResultHit, Bytes: 10, Duration: time.Microsecond}
	obs.OnOp(ctx, e) // builds the tier's series
	if n := testing.AllocsPerRun(100, func() { obs.OnOp(ctx, e) }); n != 0 {
		t.Fatalf("%v allocations per event", n)
	}
}
