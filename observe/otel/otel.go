package otel

import (
	"context"
	"sync"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	gotel "go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the meter and tracer.
const ScopeName = "github.com/cachekit-io/cachekit-go/observe/otel"

// Attribute keys.
const (
	AttrSystem      = attribute.Key("db.system.name")
	AttrOperation   = attribute.Key("db.operation.name")
	AttrErrorType   = attribute.Key("error.type")
	AttrTier        = attribute.Key("cachekit.tier")
	AttrResult      = attribute.Key("cachekit.result")
	AttrNamespace   = attribute.Key("cachekit.namespace")
	AttrBytes       = attribute.Key("cachekit.bytes")
	AttrBreaker     = attribute.Key("cachekit.breaker.state")
	AttrScope       = attribute.Key("cachekit.invalidation.scope")
	AttrEvictReason = attribute.Key("cachekit.eviction.reason")
)

// System is the value of db.system.name.
const System = "cachekit"

// DefaultBuckets are the bounds of db.client.operation.duration, in
// seconds: from 50 µs (an in-process hit) to 2.5 s.
var DefaultBuckets = []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// Option configures New.
type Option func(*config)

type config struct {
	mp        metric.MeterProvider
	tp        trace.TracerProvider
	noSpans   bool
	tierSpans bool
}

// WithMeterProvider sets the meter provider (default: the global one).
func WithMeterProvider(mp metric.MeterProvider) Option { return func(c *config) { c.mp = mp } }

// WithTracerProvider sets the tracer provider (default: the global one).
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tp = tp } }

// WithoutSpans records metrics only.
func WithoutSpans() Option { return func(c *config) { c.noSpans = true } }

// WithTierSpans adds a span for each tier call of a composition (tiers
// other than "client"), children of the caller's span like the client's
// own. Off by default: an L1 hit would then cost two spans.
func WithTierSpans() Option { return func(c *config) { c.tierSpans = true } }

// observer holds the instruments.
type observer struct {
	tracer      trace.Tracer
	tierSpans   bool
	duration    metric.Float64Histogram
	requests    metric.Int64Counter
	bytes       metric.Int64Counter
	retries     metric.Int64Counter
	breaker     metric.Int64Gauge
	transitions metric.Int64Counter
	heals       metric.Int64Counter
	invals      metric.Int64Counter
	evictions   metric.Int64Counter

	sets sync.Map // setKey → attribute sets, resolved once
}

type setKey struct {
	tier   string
	op     core.Op
	result core.Result
	kind   core.Kind
}

// attrs are one (tier, op, result, kind) combination's measurement
// options and span attributes, held in slices so that recording passes
// them on without allocating.
type attrs struct {
	dur        []metric.RecordOption
	req, bytes []metric.AddOption
	span       []attribute.KeyValue
}

// New returns a core.Observer that records metrics and spans. It times
// operations (core.Observer.Timing): durations are the point. An error
// means an instrument could not be created.
func New(opts ...Option) (*core.Observer, error) {
	cfg := config{}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.mp == nil {
		cfg.mp = gotel.GetMeterProvider()
	}
	if cfg.tp == nil {
		cfg.tp = gotel.GetTracerProvider()
	}
	m := cfg.mp.Meter(ScopeName)
	o := &observer{}
	var errs [10]error
	o.duration, errs[0] = m.Float64Histogram("db.client.operation.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of cache operations."), metric.WithExplicitBucketBoundaries(DefaultBuckets...))
	o.requests, errs[1] = m.Int64Counter("cachekit.client.requests", metric.WithUnit("{request}"),
		metric.WithDescription("Cache operations by tier, operation and result."))
	o.bytes, errs[2] = m.Int64Counter("cachekit.client.bytes", metric.WithUnit("By"),
		metric.WithDescription("Stored bytes read by hits and written by sets."))
	o.retries, errs[3] = m.Int64Counter("cachekit.client.retries", metric.WithUnit("{retry}"),
		metric.WithDescription("Backend calls tried again, by the kind of the failure."))
	o.breaker, errs[4] = m.Int64Gauge("cachekit.breaker.state", metric.WithUnit("{state}"),
		metric.WithDescription("Circuit breaker state: 0 closed, 1 open, 2 half-open."))
	o.transitions, errs[5] = m.Int64Counter("cachekit.breaker.transitions", metric.WithUnit("{transition}"),
		metric.WithDescription("Circuit breaker state changes, by the state entered."))
	o.heals, errs[6] = m.Int64Counter("cachekit.self_heals", metric.WithUnit("{value}"),
		metric.WithDescription("Stored values that could not be read and were reloaded."))
	o.invals, errs[7] = m.Int64Counter("cachekit.invalidations", metric.WithUnit("{report}"),
		metric.WithDescription("Invalidation reports acted on."))
	o.evictions, errs[8] = m.Int64Counter("cachekit.evictions", metric.WithUnit("{entry}"),
		metric.WithDescription("Entries a tier dropped of its own accord."))
	for _, err := range errs {
		if err != nil {
			return nil, core.Wrap(err, core.KindConfig, "otel.new")
		}
	}
	if !cfg.noSpans {
		o.tracer = cfg.tp.Tracer(ScopeName)
		o.tierSpans = cfg.tierSpans
	}
	return &core.Observer{
		Timing: true,
		OnOp:   o.op,
		OnRetry: func(ctx context.Context, e core.RetryEvent) {
			o.retries.Add(ctx, 1, metric.WithAttributes(AttrErrorType.String(e.Kind.String())))
		},
		OnBreaker: func(e core.BreakerEvent) {
			ctx := context.Background()
			o.breaker.Record(ctx, breakerValue(e.To))
			o.transitions.Add(ctx, 1, metric.WithAttributes(AttrBreaker.String(e.To.String())))
		},
		OnSelfHeal: func(ctx context.Context, e core.SelfHealEvent) {
			o.heals.Add(ctx, 1, metric.WithAttributes(AttrErrorType.String(e.Kind.String())))
		},
		OnInvalidation: func(e core.InvalidationEvent) {
			scope := "keys"
			if e.All {
				scope = "all"
			}
			o.invals.Add(context.Background(), 1, metric.WithAttributes(AttrTier.String(e.Tier), AttrScope.String(scope)))
		},
		OnEviction: func(e core.EvictionEvent) {
			o.evictions.Add(context.Background(), int64(e.Count),
				metric.WithAttributes(AttrTier.String(e.Tier), AttrEvictReason.String(e.Reason)))
		},
	}, nil
}

// attrsOf returns the attributes of an event, built once per combination.
func (o *observer) attrsOf(e core.OpEvent) *attrs {
	k := setKey{tier: e.Tier, op: e.Op, result: e.Result, kind: e.Kind}
	if a, ok := o.sets.Load(k); ok {
		return a.(*attrs)
	}
	op, tier, res := AttrOperation.String(e.Op.String()), AttrTier.String(e.Tier), AttrResult.String(e.Result.String())
	dur := []attribute.KeyValue{AttrSystem.String(System), op, tier, res}
	if e.Result == core.ResultError {
		dur = append(dur, AttrErrorType.String(e.Kind.String()))
	}
	a := &attrs{
		dur:   []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(dur...))},
		req:   []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(op, tier, res))},
		bytes: []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(op, tier))},
		span:  dur,
	}
	got, _ := o.sets.LoadOrStore(k, a)
	return got.(*attrs)
}

// op records one operation: its metrics and, unless WithoutSpans, its
// span under the caller's.
func (o *observer) op(ctx context.Context, e core.OpEvent) {
	a := o.attrsOf(e)
	o.requests.Add(ctx, 1, a.req...)
	if e.Bytes > 0 {
		o.bytes.Add(ctx, int64(e.Bytes), a.bytes...)
	}
	if e.Batch > 0 {
		// One key of a batch call: counted, but its Duration is the whole
		// batch's, not this key's latency, and a span per key would flood
		// the trace.
		return
	}
	o.duration.Record(ctx, e.Duration.Seconds(), a.dur...)
	if o.tracer == nil || e.Tier != core.TierClient && !o.tierSpans {
		return
	}
	end := time.Now()
	_, span := o.tracer.Start(ctx, "cachekit "+e.Op.String(),
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(end.Add(-e.Duration)),
		trace.WithAttributes(a.span...))
	if e.Namespace != "" {
		span.SetAttributes(AttrNamespace.String(e.Namespace))
	}
	if e.Bytes > 0 {
		span.SetAttributes(AttrBytes.Int(e.Bytes))
	}
	if e.Result == core.ResultError {
		span.SetStatus(codes.Error, e.Kind.String())
	}
	span.End(trace.WithTimestamp(end))
}

// breakerValue is the gauge value of a breaker state: 0 closed (or no
// breaker), 1 open, 2 half-open.
func breakerValue(s core.BreakerState) int64 {
	switch s {
	case core.BreakerOpen:
		return 1
	case core.BreakerHalfOpen:
		return 2
	}
	return 0
}
