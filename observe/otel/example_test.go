package otel_test

import (
	"context"
	"fmt"

	"github.com/cachekit-io/cachekit-go/core"
	ckotel "github.com/cachekit-io/cachekit-go/observe/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// A client whose operations are recorded by an OpenTelemetry meter
// provider (here with a manual reader; in a service, an exporter's).
func Example() {
	reader := sdkmetric.NewManualReader()
	obs, err := ckotel.New(ckotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))), ckotel.WithoutSpans())
	if err != nil {
		panic(err)
	}
	c, err := core.New(newMap(), core.WithCodec(jsonCodec{}), core.WithObserver(obs))
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx := context.Background()
	_ = c.Set(ctx, "greeting", "hello")
	_, _, _ = core.Get[string](ctx, c, "greeting")

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(ctx, &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name == "cachekit.client.requests" {
			var n int64
			for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
				n += p.Value
			}
			fmt.Println(m.Name, n)
		}
	}
	// Output: cachekit.client.requests 2
}
