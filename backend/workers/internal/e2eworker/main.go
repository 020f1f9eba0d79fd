//go:build js && wasm

package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachekit-io/cachekit-go/backend/cachekitio"
	"github.com/cachekit-io/cachekit-go/backend/workers"
	"github.com/cachekit-io/cachekit-go/backend/workers/worker"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/protocol"
)

// Item is the typed value the tests store (MessagePack on the wire).
type Item struct {
	Name string `msgpack:"name" json:"name"`
	N    int    `msgpack:"n" json:"n"`
}

// Namespace is the core client's namespace; the host test uses the same.
const Namespace = "e2e"

type app struct {
	url     string
	backend *cachekitio.Backend
	cache   *core.Client
	bootID  string
	count   atomic.Int64
	mu      sync.Mutex
}

func main() {
	a := &app{url: os.Getenv("CACHEKIT_API_URL"), bootID: rand.Text()}
	// The test server is on loopback: only the explicit insecure option
	// allows that. Never do this with a URL from untrusted input.
	b, err := workers.New(cachekitio.WithInsecureCustomEndpoint(a.url), cachekitio.WithTimeout(3*time.Second))
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2eworker:", err)
		os.Exit(1)
	}
	c, err := core.New(b, core.WithCodec(protocol.Msgpack()), core.WithNamespace(Namespace))
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2eworker:", err)
		os.Exit(1)
	}
	a.backend, a.cache = b, c
	fmt.Fprintln(os.Stderr, worker.Serve(a.mux()))
	os.Exit(1)
}

func (a *app) mux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /count", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"boot": a.bootID, "n": a.count.Add(1)})
	})
	m.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		result(w, map[string]any{}, a.cache.Health(r.Context()))
	})
	m.HandleFunc("POST /set", func(w http.ResponseWriter, r *http.Request) {
		var it Item
		if err := json.NewDecoder(r.Body).Decode(&it); err != nil {
			http.Error(w, "bad item", http.StatusBadRequest)
			return
		}
		result(w, map[string]any{}, a.cache.Set(r.Context(), key(r), it, core.TTL(seconds(r, "ttl"))))
	})
	m.HandleFunc("GET /get", func(w http.ResponseWriter, r *http.Request) {
		it, found, err := core.Get[Item](r.Context(), a.cache, key(r))
		result(w, map[string]any{"found": found, "value": it}, err)
	})
	m.HandleFunc("GET /fresh", func(w http.ResponseWriter, r *http.Request) {
		e, found, err := a.backend.Get(r.Context(), a.storageKey(r))
		f := e.Freshness
		result(w, map[string]any{"found": found, "known": f.Known, "stale": f.Stale,
			"fresh_for_ms": f.FreshFor.Milliseconds(), "bytes": len(e.Value)}, err)
	})
	m.HandleFunc("GET /delete", func(w http.ResponseWriter, r *http.Request) {
		result(w, map[string]any{}, a.cache.Delete(r.Context(), key(r)))
	})
	m.HandleFunc("GET /exists", func(w http.ResponseWriter, r *http.Request) {
		ok, err := a.cache.Exists(r.Context(), key(r))
		result(w, map[string]any{"exists": ok}, err)
	})
	m.HandleFunc("GET /ttl", func(w http.ResponseWriter, r *http.Request) {
		ttl, found, err := a.backend.TTL(r.Context(), a.storageKey(r))
		result(w, map[string]any{"found": found, "ttl_ms": ttl.Milliseconds()}, err)
	})
	m.HandleFunc("GET /expire", func(w http.ResponseWriter, r *http.Request) {
		ok, err := a.backend.Expire(r.Context(), a.storageKey(r), seconds(r, "ttl"))
		result(w, map[string]any{"updated": ok}, err)
	})
	m.HandleFunc("GET /lock", func(w http.ResponseWriter, r *http.Request) {
		ctx, k := r.Context(), a.storageKey(r)
		id, ok, err := a.backend.Lock(ctx, k, 10*time.Second)
		out := map[string]any{"acquired": ok}
		if err == nil && ok {
			var again bool
			_, again, err = a.backend.Lock(ctx, k, 10*time.Second)
			out["contended"] = !again
			if err == nil {
				out["released"], err = a.backend.Unlock(ctx, k, id)
			}
		}
		result(w, out, err)
	})
	m.HandleFunc("GET /badauth", func(w http.ResponseWriter, r *http.Request) {
		b, err := workers.New(cachekitio.WithoutEnv(), cachekitio.WithAPIKey(r.URL.Query().Get("key")),
			cachekitio.WithInsecureCustomEndpoint(a.url), cachekitio.WithMaxRetries(0))
		if err == nil {
			_, _, err = b.Get(r.Context(), "ns:"+Namespace+":anything")
		}
		result(w, map[string]any{}, err)
	})
	m.HandleFunc("GET /unreachable", func(w http.ResponseWriter, r *http.Request) {
		// A port nothing listens on: a transport failure, retried, then
		// reported as transient.
		b, err := workers.New(cachekitio.WithoutEnv(), cachekitio.WithAPIKey("ck_sdk_unreachable"),
			cachekitio.WithInsecureCustomEndpoint(r.URL.Query().Get("url")), cachekitio.WithMaxRetries(1))
		if err == nil {
			err = b.Health(r.Context())
		}
		result(w, map[string]any{}, err)
	})
	m.HandleFunc("GET /timeout", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		ctx, cancel := context.WithTimeout(r.Context(), time.Duration(ms)*time.Millisecond)
		defer cancel()
		b, err := workers.New(cachekitio.WithoutEnv(), cachekitio.WithAPIKey("ck_sdk_timeout"),
			cachekitio.WithInsecureCustomEndpoint(r.URL.Query().Get("url")), cachekitio.WithMaxRetries(0))
		if err == nil {
			err = b.Health(ctx)
		}
		result(w, map[string]any{}, err)
	})
	m.HandleFunc("GET /contend", func(w http.ResponseWriter, r *http.Request) {
		// Concurrent requests queue on one mutex: each one's next fetch is
		// started when another request's fetch completes.
		a.mu.Lock()
		defer a.mu.Unlock()
		it, found, err := core.Get[Item](r.Context(), a.cache, key(r))
		result(w, map[string]any{"found": found, "value": it}, err)
	})
	m.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) {
		panic("e2eworker: deliberate panic")
	})
	return m
}

func key(r *http.Request) string { return r.URL.Query().Get("key") }

func (a *app) storageKey(r *http.Request) string {
	sk, err := a.cache.StorageKey(key(r))
	if err != nil {
		return ""
	}
	return sk
}

// seconds reads a whole number of seconds from the query.
func seconds(r *http.Request, name string) time.Duration {
	n, _ := strconv.Atoi(r.URL.Query().Get(name))
	return time.Duration(n) * time.Second
}

// result replies with out plus "ok", and "kind" and "err" for a failure.
func result(w http.ResponseWriter, out map[string]any, err error) {
	out["ok"] = err == nil
	if err != nil {
		out["kind"] = core.KindOf(err).String()
		out["err"] = err.Error()
	}
	reply(w, out)
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
