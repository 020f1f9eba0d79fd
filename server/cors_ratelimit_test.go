package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/server"
)

// CORS: OPTIONS is 204 before authentication for every origin; only an
// allowlisted origin gets Access-Control-* headers, which allow
// Authorization and Content-Type but no X-CacheKit-* request header and
// expose no response header; with no allowlist no response carries any.
func TestCORSHeaders(t *testing.T) {
	const app, other = "https://app.example", "https://evil.example"
	acHeaders := func(r resp) string {
		var names []string
		for name := range r.h {
			if strings.HasPrefix(name, "Access-Control-") {
				names = append(names, name)
			}
		}
		return strings.Join(names, ",")
	}
	// Off by default.
	e := newEnv(t)
	for _, q := range []req{
		{method: "OPTIONS", path: "/v1/cache/k", noL1: true, hdr: map[string]string{"Origin": app, "Access-Control-Request-Method": "PUT"}},
		{method: "GET", path: "/v1/cache/k", key: liveA, hdr: map[string]string{"Origin": app}},
	} {
		if r := e.do(q); acHeaders(r) != "" || r.h.Get("Vary") != "Authorization" {
			t.Fatalf("no allowlist, %s: Access-Control headers %q, Vary %q", q.method, acHeaders(r), r.h.Get("Vary"))
		}
	}

	e = newEnv(t, func(c *server.Config) { c.CORSOrigins = []string{app, "http://localhost:3000"} })
	pre := e.mustStatus(req{method: "OPTIONS", path: "/v1/cache/k", noL1: true,
		hdr: map[string]string{"Origin": app, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization, x-cachekit-l1-status"}}, 204)
	if pre.h.Get("Access-Control-Allow-Origin") != app ||
		pre.h.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type" ||
		!strings.Contains(pre.h.Get("Access-Control-Allow-Methods"), "PUT") ||
		pre.h.Get("Access-Control-Max-Age") == "" {
		t.Fatalf("allowlisted preflight: %v", pre.h)
	}
	if strings.Contains(strings.ToLower(pre.h.Get("Access-Control-Allow-Headers")), "x-cachekit") {
		t.Fatal("the preflight allows an X-CacheKit-* request header")
	}
	if v := pre.h.Get("Vary"); !strings.Contains(v, "Authorization") || !strings.Contains(v, "Origin") {
		t.Fatalf("Vary %q", v)
	}
	// Any other origin: 204, and no Access-Control-* at all.
	if r := e.mustStatus(req{method: "OPTIONS", path: "/v1/cache/k", noL1: true, hdr: map[string]string{"Origin": other}}, 204); acHeaders(r) != "" {
		t.Fatalf("other origin's preflight: %q", acHeaders(r))
	}
	// Actual requests: the allowlisted origin gets Allow-Origin only (no
	// Expose-Headers, so freshness headers stay unreadable), on errors too.
	e.put(liveA, "/v1/cache/k", "v", ttlHdr("60"))
	for _, q := range []req{
		{method: "GET", path: "/v1/cache/k", key: liveA, hdr: map[string]string{"Origin": app}},
		{method: "GET", path: "/v1/cache/k", hdr: map[string]string{"Origin": app}},
	} {
		r := e.do(q)
		if acHeaders(r) != "Access-Control-Allow-Origin" || r.h.Get("Access-Control-Allow-Origin") != app {
			t.Fatalf("%d from the allowlisted origin: %q", r.status, acHeaders(r))
		}
	}
	if r := e.do(req{method: "GET", path: "/v1/cache/k", key: liveA, hdr: map[string]string{"Origin": other}}); acHeaders(r) != "" {
		t.Fatalf("other origin: %q", acHeaders(r))
	}
	// The list is closed: no wildcard, nothing but scheme://host[:port].
	keys, _ := server.NewStaticKeys(testKeys)
	for _, bad := range []string{"*", "https://app.example/", "https://app.example/path", "ftp://x.example", "app.example", "https://u@app.example"} {
		_, err := server.New(server.Config{Storage: e.store, Keys: keys, CORSOrigins: []string{bad}})
		if core.KindOf(err) != core.KindConfig {
			t.Errorf("origin %q: %v, want a KindConfig error", bad, err)
		}
	}
}

// Rate limiting: a token bucket per tenant, after authentication; a request
// beyond it is 429 with Retry-After (whole seconds until a token), which
// backend/cachekitio treats as transient. Off by default.
func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 50; i++ {
		e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: liveA}, 404)
	}

	e = newEnv(t, func(c *server.Config) { c.RateLimit, c.RateBurst = 2, 3 })
	get := func(key string) resp { return e.do(req{method: "GET", path: "/v1/cache/k", key: key}) }
	for i := 0; i < 3; i++ { // the burst
		if r := get(liveA); r.status != 404 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	r := get(apiA) // same tenant, other key: same bucket
	if r.status != 429 || r.h.Get("Retry-After") != "1" || r.h.Get("Cache-Control") != "no-store" {
		t.Fatalf("over the limit: %d Retry-After %q", r.status, r.h.Get("Retry-After"))
	}
	if r := get(liveB); r.status != 404 { // another tenant has its own bucket
		t.Fatalf("tenant B: %d", r.status)
	}
	// Authentication comes first: an unknown key is 401, not 429; OPTIONS
	// is never limited.
	if r := get("ck_live_unknown_0123456789abcdef"); r.status != 401 {
		t.Fatalf("unknown key: %d", r.status)
	}
	e.mustStatus(req{method: "OPTIONS", path: "/v1/cache/k", noL1: true}, 204)
	// Refill: 2 tokens a second.
	e.clock.Add(500 * time.Millisecond)
	if r := get(liveA); r.status != 404 {
		t.Fatalf("after 0.5 s: %d", r.status)
	}
	if r := get(liveA); r.status != 429 {
		t.Fatalf("second request after 0.5 s: %d", r.status)
	}
	e.clock.Add(10 * time.Second) // refills to the burst, no further
	for i := 0; i < 3; i++ {
		if r := get(liveA); r.status != 404 {
			t.Fatalf("after 10 s, request %d: %d", i, r.status)
		}
	}
	if r := get(liveA); r.status != 429 {
		t.Fatalf("burst exceeded after a refill: %d", r.status)
	}

	// A slow rate: Retry-After rounds the wait up.
	e = newEnv(t, func(c *server.Config) { c.RateLimit = 0.25 })
	get(liveA)
	if r := get(liveA); r.status != 429 || r.h.Get("Retry-After") != "4" {
		t.Fatalf("rate 0.25/s: %d Retry-After %q", r.status, r.h.Get("Retry-After"))
	}
	keys, _ := server.NewStaticKeys(testKeys)
	if _, err := server.New(server.Config{Storage: e.store, Keys: keys, RateLimit: -1}); core.KindOf(err) != core.KindConfig {
		t.Fatalf("negative rate: %v", err)
	}
}
