package bench

import (
	"context"
	"strconv"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
	ckotel "github.com/cachekit-io/cachekit-go/observe/otel"
	ckprom "github.com/cachekit-io/cachekit-go/observe/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// observers are the configurations of the observed rows: none, a no-op
// OnOp without and with Timing (two clock reads per operation), the
// observe/prometheus collector registered in a registry, and observe/otel
// over the OpenTelemetry SDK: metrics alone (a manual reader), then metrics
// and the client's spans (an SDK tracer provider with no exporter).
func observers(tb testing.TB) []struct {
	name string
	obs  *core.Observer
} {
	nop := func(context.Context, core.OpEvent) {}
	col := ckprom.New()
	prometheus.NewRegistry().MustRegister(col)
	tp := sdktrace.NewTracerProvider()
	tb.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	otelObs, err := ckotel.New(
		ckotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))),
		ckotel.WithTracerProvider(tp))
	if err != nil {
		tb.Fatal(err)
	}
	otelMetrics, err := ckotel.New(
		ckotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))),
		ckotel.WithoutSpans())
	if err != nil {
		tb.Fatal(err)
	}
	return []struct {
		name string
		obs  *core.Observer
	}{
		{"none", nil},
		{"nop", &core.Observer{OnOp: nop}},
		{"nop-timed", &core.Observer{OnOp: nop, Timing: true}},
		{"prometheus", col.Observer()},
		{"otel-metrics", otelMetrics},
		{"otel", otelObs},
	}
}

// BenchmarkObservedL1Hit is BenchmarkL1Hit's cachekit row (100 B) under
// each observer.
func BenchmarkObservedL1Hit(b *testing.B) {
	s := sizes[0]
	for _, o := range observers(b) {
		b.Run("size="+s.name+"/observer="+o.name, func(b *testing.B) {
			ctx := context.Background()
			srv := anyRedis(b)
			srv.flush(b)
			l := newCachekit(b, srv, cachekitConfig{observer: o.obs}, nil)
			b.Cleanup(l.Close)
			v := value(s)
			if err := l.Set(ctx, "l1hit", v); err != nil {
				b.Fatal(err)
			}
			for range warmups {
				got, found, err := l.Get(ctx, "l1hit")
				check(b, v, got, found, err)
			}
			l.Settle()
			m := startMeter(b, srv)
			for i := 0; i < b.N; i++ {
				got, found, err := l.Get(ctx, "l1hit")
				check(b, v, got, found, err)
			}
			m.stop()
		})
	}
}

// BenchmarkObservedL2Hit is BenchmarkL2Hit's cachekit row (100 B) under
// each observer: a Redis hit with the L1 cold.
func BenchmarkObservedL2Hit(b *testing.B) {
	s := sizes[0]
	for _, o := range observers(b) {
		b.Run("size="+s.name+"/observer="+o.name, func(b *testing.B) {
			ctx := context.Background()
			srv := redisContainer(b)
			srv.flush(b)
			l := newCachekit(b, srv, cachekitConfig{observer: o.obs}, nil)
			b.Cleanup(l.Close)
			v := value(s)
			keys := make([]string, cycleKeys(s))
			for i := range keys {
				keys[i] = "l2hit:" + strconv.Itoa(i)
				if err := l.Set(ctx, keys[i], v); err != nil {
					b.Fatal(err)
				}
			}
			l.Settle()
			l.Drop(keys)
			m := startMeter(b, srv)
			for i := 0; i < b.N; i++ {
				j := i % len(keys)
				got, found, err := l.Get(ctx, keys[j])
				check(b, v, got, found, err)
				if j == len(keys)-1 {
					l.Settle()
					m.pause()
					l.Drop(keys)
					m.resume()
				}
			}
			l.Settle()
			m.stop()
		})
	}
}
