// Command observed is a small HTTP service whose cache is observed: GET
// /users/{id} answers through a function wrapped by core.Cached, and GET
// /metrics serves the cache's Prometheus metrics (observe/prometheus):
// requests per tier, operation and result, latencies, bytes, retries and
// the breaker state.
//
//	go run ./examples/observed            # listens on :8080
//	curl localhost:8080/users/42; curl localhost:8080/metrics
//
// The cache is the production preset: an L1 over Redis when
// CACHEKIT_REDIS_URL (or REDIS_URL) is set, over cachekit.io when
// CACHEKIT_API_KEY is, and otherwise over an in-process store standing in
// for a shared one, so that it runs with no server.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/cachekit-io/cachekit-go"
	_ "github.com/cachekit-io/cachekit-go/backend/cachekitio" // FromEnv may choose cachekit.io
	_ "github.com/cachekit-io/cachekit-go/backend/redis"      // or Redis
	"github.com/cachekit-io/cachekit-go/core"
	ckprom "github.com/cachekit-io/cachekit-go/observe/prometheus"
	"github.com/cachekit-io/cachekit-go/server/memstore"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// User is what the service serves.
type User struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	flag.Parse()
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	h, closeCache, err := newService(context.Background(), logger, lookupUser)
	if err != nil {
		logger.Error("starting", "err", err)
		os.Exit(1)
	}
	defer closeCache()
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	logger.Info("listening", "addr", *addr)
	if err := srv.ListenAndServe(); err != nil {
		logger.Error("serving", "err", err)
	}
}

// lookupUser stands in for a slow database query.
func lookupUser(ctx context.Context, id int) (User, error) {
	select {
	case <-time.After(20 * time.Millisecond):
	case <-ctx.Done():
		return User{}, ctx.Err()
	}
	return User{ID: id, Name: "user " + strconv.Itoa(id)}, nil
}

// newService builds the cache, observed by a Prometheus collector, and the
// service's routes; the function returned closes the cache.
func newService(ctx context.Context, logger *slog.Logger, lookup func(context.Context, int) (User, error)) (http.Handler, func() error, error) {
	col := ckprom.New()
	reg := prometheus.NewRegistry()
	reg.MustRegister(col, collectors.NewGoCollector())
	opts := []cachekit.Option{
		cachekit.WithObserver(col.Observer()),
		cachekit.WithLogger(logger),
		cachekit.WithNamespace("users"),
	}
	var (
		cache *core.Client
		err   error
	)
	if os.Getenv("CACHEKIT_REDIS_URL") != "" || os.Getenv("REDIS_URL") != "" || os.Getenv("CACHEKIT_API_KEY") != "" {
		cache, err = cachekit.FromEnv(ctx, opts...)
	} else {
		cache, err = cachekit.Production(memstore.New(), opts...)
	}
	if err != nil {
		return nil, nil, err
	}
	user := core.Cached(cache, "user", lookup, core.TTL(time.Minute))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil || id <= 0 {
			http.Error(w, "bad id", http.StatusBadRequest)
			return
		}
		u, err := user(r.Context(), id)
		if err != nil {
			logger.WarnContext(r.Context(), "lookup failed", "cache.kind", core.KindOf(err).String())
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(u)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux, cache.Close, nil
}
