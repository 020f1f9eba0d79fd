package cachekitio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/google/uuid"
)

// Every request carries Authorization: Bearer, X-CacheKit-L1-Status, the
// session headers and metrics; writes carry X-CacheKit-TTL (never X-TTL).
func TestRequestHeaders(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v1/cache/health":
			_, _ = w.Write([]byte(`{"status":"ok"}`))
		case strings.HasSuffix(r.URL.Path, "/lock") && r.Method == "POST":
			_, _ = w.Write([]byte(`{"lock_id":"abc"}`))
		case strings.HasSuffix(r.URL.Path, "/ttl"):
			_, _ = w.Write([]byte(`{"ttl":null,"updated":true}`))
		case r.Method == "GET":
			w.WriteHeader(404)
		}
	})
	b := rec.backend(t, WithStaleTTL(1500*time.Millisecond))
	ctx := t.Context()
	calls := map[string]func() error{
		"get":    func() error { _, _, err := b.Get(ctx, "k"); return err },
		"set":    func() error { return b.Set(ctx, "k", []byte("v"), 1500*time.Millisecond) },
		"delete": func() error { return b.Delete(ctx, "k") },
		"exists": func() error { _, err := b.Exists(ctx, "k"); return err },
		"health": func() error { return b.Health(ctx) },
		"ttl":    func() error { _, _, err := b.TTL(ctx, "k"); return err },
		"expire": func() error { _, err := b.Expire(ctx, "k", time.Minute); return err },
		"lock":   func() error { _, _, err := b.Lock(ctx, "k", time.Second); return err },
		"unlock": func() error { _, err := b.Unlock(ctx, "k", "abc"); return err },
	}
	var sid string
	withMetrics := 0
	for name, c := range calls {
		if err := c(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r, _ := rec.last()
		h := r.Header
		if h.Get("Authorization") != "Bearer "+testKey {
			t.Errorf("%s: Authorization %q", name, h.Get("Authorization"))
		}
		if h.Get("X-CacheKit-L1-Status") != "disabled" {
			t.Errorf("%s: L1 status %q", name, h.Get("X-CacheKit-L1-Status"))
		}
		id, err := uuid.Parse(h.Get("X-CacheKit-Session-ID"))
		if err != nil || id.Version() != 4 {
			t.Errorf("%s: session id %q is not a UUIDv4", name, h.Get("X-CacheKit-Session-ID"))
		}
		if sid == "" {
			sid = id.String()
		} else if sid != id.String() {
			t.Errorf("session id changed")
		}
		if ms, err := time.Parse("", ""); err == nil {
			_ = ms
		}
		if s := h.Get("X-CacheKit-Session-Start"); len(s) < 13 || strings.Trim(s, "0123456789") != "" {
			t.Errorf("%s: session start %q", name, s)
		}
		if h.Get("X-CacheKit-L2-Hits") != "" && h.Get("X-CacheKit-Misses") != "" {
			withMetrics++
		}
		if len(h.Values("X-TTL")) != 0 {
			t.Errorf("%s: deprecated X-TTL sent", name)
		}
		if r.URL.RawQuery != "" {
			t.Errorf("%s: query string %q", name, r.URL.RawQuery)
		}
		if r.ProtoMajor != 2 {
			t.Errorf("%s: %s, want HTTP/2", name, r.Proto)
		}
		switch name {
		case "set":
			if h.Get("X-CacheKit-TTL") != "2" || h.Get("X-CacheKit-Stale-TTL") != "2" || h.Get("Content-Type") != "application/octet-stream" {
				t.Errorf("set headers: %v", h)
			}
		case "unlock":
			if h.Get("X-CacheKit-Lock-Id") != "abc" {
				t.Errorf("unlock: lock id header %q", h.Get("X-CacheKit-Lock-Id"))
			}
		}
	}
	// Metrics ride on the first request and then at most once a second.
	if withMetrics < 1 || withMetrics > 2 {
		t.Errorf("%d of %d requests carried metrics headers", withMetrics, len(calls))
	}
	// No-expiry writes carry neither TTL header (a stale window needs a TTL).
	if err := b.Set(ctx, "k", []byte("v"), core.NoExpiry); err != nil {
		t.Fatal(err)
	}
	r, _ := rec.last()
	if len(r.Header.Values("X-CacheKit-TTL")) != 0 || len(r.Header.Values("X-CacheKit-Stale-TTL")) != 0 {
		t.Errorf("no-expiry Set sent TTL headers: %v", r.Header)
	}
	// L1 status from the context, then from the option.
	_, _, _ = b.Get(ContextWithL1Status(ctx, L1Hit), "k")
	if r, _ := rec.last(); r.Header.Get("X-CacheKit-L1-Status") != "hit" {
		t.Errorf("context L1 status: %q", r.Header.Get("X-CacheKit-L1-Status"))
	}
	b2 := rec.backend(t, WithL1Status(func() L1Status { return L1Miss }),
		WithMetrics(func() Metrics { return Metrics{L1Hits: 3, L2Hits: 1, Misses: 4} }))
	_, _, _ = b2.Get(ctx, "k")
	r, _ = rec.last()
	if r.Header.Get("X-CacheKit-L1-Status") != "miss" || r.Header.Get("X-CacheKit-L1-Hits") != "3" ||
		r.Header.Get("X-CacheKit-L1-Hit-Rate") != "0.375" || r.Header.Get("X-CacheKit-Misses") != "4" {
		t.Errorf("option L1 status / metrics: %v", r.Header)
	}
}

// TTL conversion: sub-second rounds up to 1 s (API-42), 0 is no expiry
// (nothing sent), negative and > 30 days are rejected without a request.
func TestSetTTLValidation(t *testing.T) {
	rec := newRecorder(t, nil)
	b := rec.backend(t)
	for ttl, want := range map[time.Duration]string{time.Nanosecond: "1", time.Second: "1", 1001 * time.Millisecond: "2", 30 * 24 * time.Hour: "2592000"} {
		if err := b.Set(t.Context(), "k", nil, ttl); err != nil {
			t.Fatal(err)
		}
		if r, _ := rec.last(); r.Header.Get("X-CacheKit-TTL") != want {
			t.Errorf("ttl %v: sent %q, want %q", ttl, r.Header.Get("X-CacheKit-TTL"), want)
		}
	}
	n := rec.count()
	for _, ttl := range []time.Duration{-time.Second, 30*24*time.Hour + time.Second} {
		if err := b.Set(t.Context(), "k", nil, ttl); core.KindOf(err) != core.KindInvalidInput {
			t.Errorf("ttl %v: %v", ttl, err)
		}
	}
	bs := rec.backend(t, WithStaleTTL(time.Hour))
	if err := bs.Set(t.Context(), "k", nil, 30*24*time.Hour); core.KindOf(err) != core.KindInvalidInput {
		t.Errorf("ttl+stale over cap: %v", err)
	}
	if rec.count() != n {
		t.Error("an invalid TTL reached the server")
	}
	if _, err := newBackend([]Option{WithoutEnv(), WithAPIKey(testKey), WithStaleTTL(30 * 24 * time.Hour)}, nil); core.KindOf(err) != core.KindConfig {
		t.Errorf("stale TTL over its cap: %v", err)
	}
}

// Status → kind per the spec's error classification; 404 is a miss for Get,
// Exists and TTL; retryable statuses are retried.
func TestStatusMapping(t *testing.T) {
	var status atomic.Int32
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
		_, _ = w.Write([]byte(`{"error":"nope"}`))
	})
	b := rec.backend(t, WithMaxRetries(2))
	for code, kind := range map[int]core.Kind{
		400: core.KindInvalidInput, 401: core.KindAuth, 403: core.KindAuth, 405: core.KindPermanent,
		408: core.KindTransient, 409: core.KindPermanent, 413: core.KindPayloadTooLarge, 429: core.KindTransient,
		500: core.KindTransient, 502: core.KindTransient, 503: core.KindTransient, 504: core.KindTransient,
	} {
		status.Store(int32(code))
		before := rec.count()
		err := b.Set(t.Context(), "k", []byte("v"), time.Minute)
		if core.KindOf(err) != kind {
			t.Errorf("PUT %d: %v, want kind %v", code, err, kind)
		}
		wantTries := 1
		if kind == core.KindTransient {
			wantTries = 3
		}
		if got := rec.count() - before; got != wantTries {
			t.Errorf("PUT %d: %d attempts, want %d", code, got, wantTries)
		}
		if code == 413 && !strings.Contains(err.Error(), "value too large") {
			t.Errorf("413 message: %v", err)
		}
		// Lock is never retried.
		before = rec.count()
		_, _, err = b.Lock(t.Context(), "k", time.Second)
		if code != 409 && core.KindOf(err) != kind || rec.count()-before != 1 {
			t.Errorf("lock %d: %v after %d attempts", code, err, rec.count()-before)
		}
	}
	status.Store(404)
	if _, found, err := b.Get(t.Context(), "k"); found || err != nil {
		t.Errorf("GET 404: %v %v", found, err)
	}
	if ok, err := b.Exists(t.Context(), "k"); ok || err != nil {
		t.Errorf("HEAD 404: %v %v", ok, err)
	}
	if _, found, err := b.TTL(t.Context(), "k"); found || err != nil {
		t.Errorf("TTL 404: %v %v", found, err)
	}
	if err := b.Delete(t.Context(), "k"); err != nil {
		t.Errorf("DELETE 404: %v", err)
	}
	// A legacy 409 on lock is contention, not an error.
	status.Store(409)
	if _, got, err := b.Lock(t.Context(), "k", time.Second); got || err != nil {
		t.Errorf("lock 409: %v %v", got, err)
	}
}

// A transient failure followed by success is retried transparently.
func TestRetryRecovers(t *testing.T) {
	var n atomic.Int32
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 3 {
			w.WriteHeader(503)
			return
		}
		_, _ = w.Write([]byte("value"))
	})
	b := rec.backend(t)
	e, found, err := b.Get(t.Context(), "k")
	if err != nil || !found || string(e.Value) != "value" || n.Load() != 3 {
		t.Fatalf("got %q %v %v after %d attempts", e.Value, found, err, n.Load())
	}
	b0 := rec.backend(t, WithMaxRetries(0))
	n.Store(0)
	if _, _, err := b0.Get(t.Context(), "k"); core.KindOf(err) != core.KindTransient || n.Load() != 1 {
		t.Fatalf("no retries: %v after %d", err, n.Load())
	}
}

// Locks: contention is a 200 with a null (or absent, or empty) lock_id,
// never decided by status (API-65/66); the id goes in the header only
// (API-67/69).
func TestLockContention(t *testing.T) {
	var body atomic.Value
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(body.Load().(string)))
	})
	b := rec.backend(t)
	for resp, want := range map[string]bool{`{"lock_id":"id-1"}`: true, `{"lock_id":null}`: false, `{}`: false, `{"lock_id":""}`: false} {
		body.Store(resp)
		tok, got, err := b.Lock(t.Context(), "k", 1500*time.Microsecond)
		if err != nil || got != want || (want && tok != "id-1") {
			t.Errorf("%s: %q %v %v", resp, tok, got, err)
		}
		r, _ := rec.last()
		if b, _ := io.ReadAll(r.Body); false {
			_ = b
		}
	}
	body.Store(`{"lock_id":"id-1"}`)
	// The lease is sent as timeout_ms, rounded up.
	var gotBody []byte
	rec.h = func(w http.ResponseWriter, r *http.Request) {
		gotBody, _ = io.ReadAll(r.Body)
		_, _ = w.Write([]byte(`{"lock_id":"x"}`))
	}
	_, _, _ = b.Lock(t.Context(), "k", 1500*time.Microsecond)
	if string(gotBody) != `{"timeout_ms":2}` {
		t.Errorf("lock body %s", gotBody)
	}
	// Unlock: header only; empty token sends nothing.
	rec.h = func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"success":true,"released":false}`))
	}
	if rel, err := b.Unlock(t.Context(), "k", "tok"); rel || err != nil {
		t.Errorf("unlock released=false: %v %v", rel, err)
	}
	r, uri := rec.last()
	if strings.Contains(uri, "tok") || r.URL.RawQuery != "" || r.Header.Get("X-CacheKit-Lock-Id") != "tok" {
		t.Errorf("lock id not (only) in the header: %q %v", uri, r.Header)
	}
	n := rec.count()
	if rel, err := b.Unlock(t.Context(), "k", "  "); rel || err != nil || rec.count() != n {
		t.Errorf("empty token: %v %v", rel, err)
	}
}

// TTL reads: null is core.NoExpiry (API-71); malformed bodies are errors.
func TestTTLResponses(t *testing.T) {
	var body atomic.Value
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body.Load().(string))) })
	b := rec.backend(t)
	for resp, want := range map[string]time.Duration{`{"ttl":null}`: core.NoExpiry, `{"ttl":3542}`: 3542 * time.Second, `{}`: core.NoExpiry} {
		body.Store(resp)
		ttl, found, err := b.TTL(t.Context(), "k")
		if err != nil || !found || ttl != want {
			t.Errorf("%s: %v %v %v", resp, ttl, found, err)
		}
	}
	for _, resp := range []string{`{"ttl":-1}`, `{"ttl":1.5}`, `{"ttl":"5"}`, `nope`} {
		body.Store(resp)
		if _, _, err := b.TTL(t.Context(), "k"); core.KindOf(err) != core.KindPermanent {
			t.Errorf("%s: %v", resp, err)
		}
	}
	// Expire without an "updated" field falls back to HEAD.
	rec.h = func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.WriteHeader(404)
			return
		}
		_, _ = w.Write([]byte(`{"success":true}`))
	}
	if ok, err := b.Expire(t.Context(), "k", time.Minute); ok || err != nil {
		t.Errorf("Expire on an absent key: %v %v", ok, err)
	}
	for _, bad := range []time.Duration{0, -1} {
		if _, err := b.Expire(t.Context(), "k", bad); core.KindOf(err) != core.KindInvalidInput {
			t.Errorf("Expire(%v): %v", bad, err)
		}
	}
}

// The API key never appears in an error, a log line or any %v rendering of
// the backend or its errors.
func TestAPIKeyRedacted(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		// A hostile server echoes the key back in its error.
		w.WriteHeader(503)
		_, _ = fmt.Fprintf(w, `{"error":"bad key %s"}`, r.Header.Get("Authorization"))
	})
	b := rec.backend(t, WithLogger(log), WithMaxRetries(1))
	var errs []error
	_, _, err := b.Get(t.Context(), "k")
	errs = append(errs, err)
	errs = append(errs, b.Set(t.Context(), "k", nil, -1))
	_, err = newBackend([]Option{WithoutEnv(), WithAPIKey(testKey), WithURL("http://api.cachekit.io")}, nil)
	errs = append(errs, err)
	_, err = newBackend([]Option{WithoutEnv(), WithAPIKey(testKey + " x")}, nil)
	errs = append(errs, err)
	// A transport failure (nothing listening).
	dead, err := newBackend([]Option{WithoutEnv(), WithAPIKey(testKey), WithInsecureCustomEndpoint("https://127.0.0.1:1"), WithMaxRetries(0), WithLogger(log)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	errs = append(errs, dead.Health(t.Context()))
	log.Info("backend", "b", b)
	secretPart := "SECRET_0123456789abcdef"
	for i, err := range errs {
		if err == nil {
			t.Fatalf("error %d is nil", i)
		}
		for _, s := range []string{err.Error(), fmt.Sprintf("%v %+v %#v %s", err, err, err, err)} {
			if strings.Contains(s, secretPart) {
				t.Errorf("error %d reveals the API key: %s", i, s)
			}
		}
		for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
			if strings.Contains(u.Error(), secretPart) {
				t.Errorf("error %d's chain reveals the API key: %s", i, u.Error())
			}
		}
	}
	for _, s := range []string{fmt.Sprintf("%v|%+v|%#v|%s|%q", b, b, b, b, b), fmt.Sprintf("%+v %#v", struct{ B *Backend }{b}, []any{b}), b.String(), logs.String()} {
		if strings.Contains(s, secretPart) {
			t.Errorf("rendering reveals the API key: %s", s)
		}
	}
	if !strings.Contains(logs.String(), "request failed") {
		t.Errorf("expected failure logs, got %q", logs.String())
	}
}

// SSRF protection (API-74): HTTPS only, no literal internal addresses, host
// allow-list unless custom hosts are allowed.
func TestEndpointValidation(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://api.cachekit.io":          true,
		"https://api.cachekit.io/":         true,
		"https://API.CacheKit.io.":         true,
		"https://api.staging.cachekit.io":  true,
		"https://api.cachekit.io:443":      true,
		"http://api.cachekit.io":           false,
		"ftp://api.cachekit.io":            false,
		"api.cachekit.io":                  false,
		"https://user:pw@api.cachekit.io":  false,
		"https://api.cachekit.io/v1":       false,
		"https://api.cachekit.io?x=1":      false,
		"https://api.cachekit.io#f":        false,
		"https://evil.example":             false,
		"https://api.cachekit.io.evil.com": false,
		"https://":                         false,
		"https://api.cachekit.io:99999":    false,
	} {
		_, err := validateEndpoint(raw, false, false)
		if (err == nil) != ok {
			t.Errorf("%q: %v, want ok=%v", raw, err, ok)
		}
		if err != nil && core.KindOf(err) != core.KindConfig {
			t.Errorf("%q: kind %v", raw, core.KindOf(err))
		}
	}
	// With custom hosts allowed, internal addresses stay rejected.
	for raw, ok := range map[string]bool{
		"https://cache.example.com":   true,
		"https://8.8.8.8":             true,
		"https://[2606:4700::1111]":   true,
		"https://127.0.0.1":           false,
		"https://127.1.2.3:8443":      false,
		"https://10.0.0.1":            false,
		"https://172.16.5.4":          false,
		"https://192.168.1.1":         false,
		"https://169.254.169.254":     false,
		"https://100.64.0.1":          false,
		"https://0.0.0.0":             false,
		"https://[::1]":               false,
		"https://[::]":                false,
		"https://[fe80::1]":           false,
		"https://[fc00::1]":           false,
		"https://[::ffff:127.0.0.1]":  false,
		"https://[::ffff:8.8.8.8]":    false,
		"https://[::127.0.0.1]":       false,
		"https://224.0.0.1":           false,
		"https://localhost":           false,
		"https://foo.localhost":       false,
		"https://2130706433":          false,
		"https://0x7f000001":          false,
		"https://127.1":               false,
		"https://0177.0.0.1":          false,
		"http://cache.example.com":    false,
		"https://[fe80::1%25eth0]":    false,
		"https://api.cachekit.io:444": true,
	} {
		_, err := validateEndpoint(raw, true, false)
		if (err == nil) != ok {
			t.Errorf("custom %q: %v, want ok=%v", raw, err, ok)
		}
	}
	// The insecure option accepts internal hosts but still wants HTTPS.
	if _, err := validateEndpoint("https://127.0.0.1:8443", false, true); err != nil {
		t.Error(err)
	}
	if _, err := validateEndpoint("http://127.0.0.1:8443", false, true); err == nil {
		t.Error("insecure endpoint accepted plain http")
	}
}

// A host name that resolves to an internal address is refused at connect
// time (DNS rebinding); other hosts (a proxy) are dialed unchecked.
func TestDialGuard(t *testing.T) {
	rec := newRecorder(t, nil)
	port := rec.srv.URL[strings.LastIndexByte(rec.srv.URL, ':')+1:]
	g := &guardedDialer{host: "localhost"} // resolves to loopback via the hosts file
	if c, err := g.DialContext(t.Context(), "tcp", "localhost:"+port); err == nil || !strings.Contains(err.Error(), "internal address") {
		if c != nil {
			c.Close()
		}
		t.Fatalf("dial to a name resolving to loopback: %v", err)
	}
	c, err := g.DialContext(t.Context(), "tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatalf("dial to another host (a proxy): %v", err)
	}
	c.Close()
	// The backend uses the guard unless the endpoint is explicitly insecure.
	b, err := newBackend([]Option{WithoutEnv(), WithAPIKey(testKey), WithURL("https://cache.example.com"), WithAllowCustomHost()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := any(b.transport.DialContext).(func(context.Context, string, string) (net.Conn, error)); !ok || rec.count() != 0 {
		t.Fatal("no dialer")
	}
}

// Environment configuration, overridden by options.
func TestEnvConfig(t *testing.T) {
	env := map[string]string{
		"CACHEKIT_API_KEY":              testKey,
		"CACHEKIT_API_URL":              "https://cache.example.com",
		"CACHEKIT_ALLOW_CUSTOM_HOST":    "true",
		"CACHEKIT_TIMEOUT":              "2.5",
		"CACHEKIT_MAX_RETRIES":          "1",
		"CACHEKIT_CONNECTION_POOL_SIZE": "4",
	}
	getenv := func(k string) string { return env[k] }
	b, err := newBackend(nil, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if b.base.Host != "cache.example.com" || b.timeout != 2500*time.Millisecond || b.maxRetries != 1 || b.transport.MaxIdleConnsPerHost != 4 {
		t.Errorf("env config not applied: %v %v %v", b.base.Host, b.timeout, b.maxRetries)
	}
	b, err = newBackend([]Option{WithTimeout(time.Second), WithMaxRetries(5)}, getenv)
	if err != nil || b.timeout != time.Second || b.maxRetries != 5 {
		t.Errorf("options do not override env: %v", err)
	}
	for k, v := range map[string]string{"CACHEKIT_TIMEOUT": "soon", "CACHEKIT_MAX_RETRIES": "-1", "CACHEKIT_ALLOW_CUSTOM_HOST": "maybe", "CACHEKIT_CONNECTION_POOL_SIZE": "0"} {
		old := env[k]
		env[k] = v
		if _, err := newBackend(nil, getenv); core.KindOf(err) != core.KindConfig {
			t.Errorf("%s=%s: %v", k, v, err)
		}
		env[k] = old
	}
	env["CACHEKIT_ALLOW_CUSTOM_HOST"] = "false"
	if _, err := newBackend(nil, getenv); core.KindOf(err) != core.KindConfig {
		t.Errorf("custom host without permission: %v", err)
	}
	delete(env, "CACHEKIT_API_KEY")
	if _, err := newBackend([]Option{WithURL(ProductionURL)}, getenv); core.KindOf(err) != core.KindConfig {
		t.Errorf("no key: %v", err)
	}
	if _, err := newBackend([]Option{WithoutEnv(), WithAPIKey(testKey)}, func(string) string { panic("env read") }); err != nil {
		t.Errorf("WithoutEnv: %v", err)
	}
}

// Done contexts fail with KindCanceled/KindTimeout and send nothing; a slow
// server hits the per-attempt timeout (KindTimeout); Close stops the backend.
func TestContextTimeoutClose(t *testing.T) {
	release := make(chan struct{})
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Slow") != "" || strings.Contains(r.URL.Path, "slow") {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	})
	defer close(release)
	b := rec.backend(t, WithTimeout(200*time.Millisecond), WithMaxRetries(0))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := b.Lock(ctx, "k", time.Second); core.KindOf(err) != core.KindCanceled {
		t.Errorf("canceled: %v", err)
	}
	dctx, dcancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer dcancel()
	if err := b.Set(dctx, "k", nil, time.Second); core.KindOf(err) != core.KindTimeout {
		t.Errorf("deadline: %v", err)
	}
	if rec.count() != 0 {
		t.Errorf("%d requests sent with done contexts", rec.count())
	}
	start := time.Now()
	if _, _, err := b.Get(t.Context(), "slow"); core.KindOf(err) != core.KindTimeout || time.Since(start) > 5*time.Second {
		t.Errorf("slow server: %v after %v", err, time.Since(start))
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Get(t.Context(), "k"); err == nil {
		t.Error("Get after Close succeeded")
	}
	if err := b.Close(); err != nil {
		t.Error(err)
	}
}

// Set does not touch the caller's slice after it returns, even when the
// server answers before reading the whole body.
func TestSetDoesNotRetainValue(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(413) })
	b := rec.backend(t)
	v := bytes.Repeat([]byte("x"), 4<<20)
	err := b.Set(t.Context(), "k", v, time.Minute)
	if core.KindOf(err) != core.KindPayloadTooLarge {
		t.Fatalf("413: %v", err)
	}
	for i := range v { // the race detector flags any late read
		v[i] = 'y'
	}
	time.Sleep(50 * time.Millisecond)
}

// Redirects are not followed: they could carry the key elsewhere.
func TestNoRedirects(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/elsewhere" {
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		}
	})
	b := rec.backend(t)
	if _, _, err := b.Get(t.Context(), "k"); core.KindOf(err) != core.KindPermanent {
		t.Errorf("redirect: %v", err)
	}
	if rec.count() != 1 {
		t.Errorf("redirect followed: %d requests", rec.count())
	}
}

// Stats count hits, stale hits and misses.
func TestStats(t *testing.T) {
	var stale atomic.Bool
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/cache/missing" {
			w.WriteHeader(404)
			return
		}
		if stale.Load() {
			w.Header().Set("X-CacheKit-Freshness", "stale")
		}
		_, _ = w.Write([]byte("v"))
	})
	b := rec.backend(t)
	_, _, _ = b.Get(t.Context(), "k")
	stale.Store(true)
	e, _, _ := b.Get(t.Context(), "k")
	_, _, _ = b.Get(t.Context(), "missing")
	st := b.Stats()
	if len(st) != 1 || st[0].Hits != 2 || st[0].StaleHits != 1 || st[0].Misses != 1 || !e.Freshness.Stale {
		t.Errorf("stats %+v", st)
	}
}
