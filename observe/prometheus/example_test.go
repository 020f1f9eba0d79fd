package prometheus_test

import (
	"fmt"
	"net/http"

	"github.com/cachekit-io/cachekit-go/core"
	ckprom "github.com/cachekit-io/cachekit-go/observe/prometheus"
	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// A client whose operations are exported on /metrics.
func Example() {
	col := ckprom.New()
	reg := prom.NewRegistry()
	reg.MustRegister(col)
	c, err := core.New(newMap(), core.WithCodec(jsonCodec{}), core.WithObserver(col.Observer()))
	if err != nil {
		panic(err)
	}
	defer c.Close()
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	fmt.Println(c.NamespaceName() == "")
	// Output: true
}
