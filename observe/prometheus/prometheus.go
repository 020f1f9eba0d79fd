package prometheus

import (
	"context"
	"sync"

	"github.com/cachekit-io/cachekit-go/core"
	prom "github.com/prometheus/client_golang/prometheus"
)

// DefaultBuckets are the request duration buckets, in seconds: from 50 µs
// (an in-process hit) to 2.5 s (a backend behind a retry).
var DefaultBuckets = []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// Option configures a Collector.
type Option func(*config)

type config struct {
	buckets   []float64
	noTiming  bool
	constLbls prom.Labels
}

// WithBuckets sets the histogram buckets of
// cachekit_request_duration_seconds (default DefaultBuckets).
func WithBuckets(b []float64) Option { return func(c *config) { c.buckets = b } }

// WithoutDurations makes the Observer not time operations:
// cachekit_request_duration_seconds stays empty and no clock is read.
func WithoutDurations() Option { return func(c *config) { c.noTiming = true } }

// WithConstLabels adds labels to every series (for example the service's
// cache name, when a process has several clients).
func WithConstLabels(l map[string]string) Option {
	return func(c *config) { c.constLbls = prom.Labels(l) }
}

// Collector is a prometheus.Collector of a client's observations. It is
// safe for concurrent use; one Collector may observe several clients,
// which then share its series.
type Collector struct {
	requests    *prom.CounterVec
	errors      *prom.CounterVec
	duration    *prom.HistogramVec
	bytes       *prom.CounterVec
	retries     *prom.CounterVec
	breaker     prom.Gauge
	transitions *prom.CounterVec
	heals       *prom.CounterVec
	invals      *prom.CounterVec
	evictions   *prom.CounterVec
	timing      bool

	tiers sync.Map // tier name → *tierSeries
}

// ops and results index the prebuilt series: core.Op and core.Result start
// at 1.
const (
	nOps     = int(core.OpLoad) + 1
	nResults = int(core.ResultError) + 1
)

// tierSeries are one tier's series, resolved once so that an event costs
// no label lookup.
type tierSeries struct {
	requests [nOps][nResults]prom.Counter
	duration [nOps]prom.Observer
	bytes    [nOps]prom.Counter
}

// New returns a Collector; register it, then pass Observer() to the
// client.
func New(opts ...Option) *Collector {
	cfg := config{buckets: DefaultBuckets}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	cl := cfg.constLbls
	return &Collector{
		timing: !cfg.noTiming,
		requests: prom.NewCounterVec(prom.CounterOpts{Name: "cachekit_requests_total",
			Help: "Cache operations by tier, operation and result.", ConstLabels: cl}, []string{"tier", "op", "result"}),
		errors: prom.NewCounterVec(prom.CounterOpts{Name: "cachekit_errors_total",
			Help: "Failed cache operations by tier, operation and error kind.", ConstLabels: cl}, []string{"tier", "op", "kind"}),
		duration: prom.NewHistogramVec(prom.HistogramOpts{Name: "cachekit_request_duration_seconds",
			Help: "Duration of cache operations.", Buckets: cfg.buckets, ConstLabels: cl}, []string{"tier", "op"}),
		bytes: prom.NewCounterVec(prom.CounterOpts{Name: "cachekit_bytes_total",
			Help: "Stored bytes read by hits and written by sets.", ConstLabels: cl}, []string{"tier", "op"}),
		retries: prom.NewCounterVec(prom.CounterOpts{Name: "cachekit_retries_total",
			Help: "Backend calls tried again, by the kind of the failure.", ConstLabels: cl}, []string{"kind"}),
		breaker: prom.NewGauge(prom.GaugeOpts{Name: "cachekit_breaker_state",
			Help: "Circuit breaker state: 0 closed, 1 open, 2 half-open.", ConstLabels: cl}),
		transitions: prom.NewCounterVec(prom.CounterOpts{Name: "cachekit_breaker_transitions_total",
			Help: "Circuit breaker state changes, by the state entered.", ConstLabels: cl}, []string{"state"}),
		heals: prom.NewCounterVec(prom.CounterOpts{Name: "cachekit_self_heals_total",
			Help: "Stored values that could not be read and were reloaded.", ConstLabels: cl}, []string{"kind"}),
		invals: prom.NewCounterVec(prom.CounterOpts{Name: "cachekit_invalidations_total",
			Help: "Invalidation reports acted on, by tier and scope (keys or all).", ConstLabels: cl}, []string{"tier", "scope"}),
		evictions: prom.NewCounterVec(prom.CounterOpts{Name: "cachekit_evictions_total",
			Help: "Entries a tier dropped of its own accord.", ConstLabels: cl}, []string{"tier", "reason"}),
	}
}

func (c *Collector) all() []prom.Collector {
	return []prom.Collector{c.requests, c.errors, c.duration, c.bytes, c.retries, c.breaker,
		c.transitions, c.heals, c.invals, c.evictions}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prom.Desc) {
	for _, m := range c.all() {
		m.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prom.Metric) {
	for _, m := range c.all() {
		m.Collect(ch)
	}
}

// Observer returns the hooks that feed the Collector, for
// core.WithObserver (and compose.WithObserver).
func (c *Collector) Observer() *core.Observer {
	return &core.Observer{
		Timing: c.timing,
		OnOp:   c.op,
		OnRetry: func(_ context.Context, e core.RetryEvent) {
			c.retries.WithLabelValues(e.Kind.String()).Inc()
		},
		OnBreaker: func(e core.BreakerEvent) {
			c.breaker.Set(breakerValue(e.To))
			c.transitions.WithLabelValues(e.To.String()).Inc()
		},
		OnSelfHeal: func(_ context.Context, e core.SelfHealEvent) {
			c.heals.WithLabelValues(e.Kind.String()).Inc()
		},
		OnInvalidation: func(e core.InvalidationEvent) {
			scope := "keys"
			if e.All {
				scope = "all"
			}
			c.invals.WithLabelValues(e.Tier, scope).Inc()
		},
		OnEviction: func(e core.EvictionEvent) {
			c.evictions.WithLabelValues(e.Tier, e.Reason).Add(float64(e.Count))
		},
	}
}

// op records one operation.
func (c *Collector) op(_ context.Context, e core.OpEvent) {
	op, res := int(e.Op), int(e.Result)
	if op <= 0 || op >= nOps || res <= 0 || res >= nResults {
		return // an operation or result this version does not know
	}
	t := c.tier(e.Tier)
	name := e.Op.String()
	if r := t.requests[op][res]; r != nil {
		r.Inc()
	} else {
		c.requests.WithLabelValues(e.Tier, name, e.Result.String()).Inc()
	}
	if e.Result == core.ResultError {
		c.errors.WithLabelValues(e.Tier, name, e.Kind.String()).Inc()
	}
	if e.Bytes > 0 {
		if b := t.bytes[op]; b != nil {
			b.Add(float64(e.Bytes))
		} else {
			c.bytes.WithLabelValues(e.Tier, name).Add(float64(e.Bytes))
		}
	}
	if e.Duration > 0 && e.Batch == 0 { // a batch's duration is not one key's latency
		if d := t.duration[op]; d != nil {
			d.Observe(e.Duration.Seconds())
		} else {
			c.duration.WithLabelValues(e.Tier, name).Observe(e.Duration.Seconds())
		}
	}
}

// tier returns the series of tier name, creating them on first use, at
// zero, so that rates start from the first scrape: for the client every
// operation, for a composition's tiers get, set and delete (the calls they
// report). A get is a hit, miss, stale or error, the other operations ok
// or error; bytes are counted for gets and sets. An event outside these is
// still counted, through a label lookup.
func (c *Collector) tier(name string) *tierSeries {
	if t, ok := c.tiers.Load(name); ok {
		return t.(*tierSeries)
	}
	t := &tierSeries{}
	ops := []core.Op{core.OpGet, core.OpSet, core.OpDelete}
	if name == core.TierClient {
		ops = append(ops, core.OpExists, core.OpLoad)
	}
	for _, op := range ops {
		for r := core.ResultOK; int(r) < nResults; r++ {
			if r == core.ResultError || (op == core.OpGet) != (r == core.ResultOK) {
				t.requests[op][r] = c.requests.WithLabelValues(name, op.String(), r.String())
			}
		}
		t.duration[op] = c.duration.WithLabelValues(name, op.String())
		if op == core.OpGet || op == core.OpSet {
			t.bytes[op] = c.bytes.WithLabelValues(name, op.String())
		}
	}
	got, _ := c.tiers.LoadOrStore(name, t)
	return got.(*tierSeries)
}

// breakerValue is the gauge value of a breaker state: 0 closed (or no
// breaker), 1 open, 2 half-open.
func breakerValue(s core.BreakerState) float64 {
	switch s {
	case core.BreakerOpen:
		return 1
	case core.BreakerHalfOpen:
		return 2
	}
	return 0
}
