package server_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/server"
	"github.com/cachekit-io/cachekit-go/server/memstore"
)

// Authentication precedes every other check; OPTIONS is answered first.
func TestAuthenticationFirst(t *testing.T) {
	e := newEnv(t)
	for _, q := range []req{
		{method: "GET", path: "/v1/cache/a%2Fb"},                              // would be 400
		{method: "POST", path: "/v1/cache/k"},                                 // would be 405
		{method: "GET", path: "/v1/cache/"},                                   // would be 404
		{method: "PUT", path: "/v1/cache/k", body: make([]byte, 10)},          // would be 200
		{method: "GET", path: "/v1/cache/k", key: "ck_test_0123456789abcdef"}, // wrong prefix
		{method: "GET", path: "/v1/cache/k", key: "ck_sdk_unknown_0123456789"},
		{method: "GET", path: "/v1/cache/k", key: sdkA, hdr: map[string]string{"Authorization": "Basic " + sdkA}},
		{method: "GET", path: "/v1/cache/k", key: sdkA, hdr: map[string]string{"Authorization": "Bearer"}},
		{method: "GET", path: "/v1/cache/health"},
	} {
		r := e.mustStatus(q, http.StatusUnauthorized)
		if strings.Contains(string(r.body), sdkA) {
			t.Fatal("401 body echoes the key")
		}
	}
	// The scheme is case-insensitive.
	e.mustStatus(req{method: "GET", path: "/v1/cache/k", hdr: map[string]string{"Authorization": "bearer " + liveA}}, 404)
}

type faultyKeys struct{}

func (faultyKeys) Lookup(context.Context, string) (server.Principal, bool, error) {
	return server.Principal{}, false, errors.New("key store down")
}

// A key-store fault is 503 with Retry-After, never 401.
func TestKeyStoreFault503(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Keys = faultyKeys{} })
	r := e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: liveA}, 503)
	if r.h.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}

// OPTIONS on any path is 204 before authentication.
func TestOptionsPreflight(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/v1/cache/k", "/v1/cache/health", "/v1/cache/k/lock", "/elsewhere"} {
		e.mustStatus(req{method: "OPTIONS", path: p, noL1: true}, 204)
	}
}

// API-2: Cache-Control: no-store and Vary: Authorization on every response.
func TestNoStoreVaryEveryResponse(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.MaxValueBytes = 8 })
	e.put(liveA, "/v1/cache/k", "v", nil)
	for _, q := range []req{
		{method: "OPTIONS", path: "/v1/cache/k"},
		{method: "GET", path: "/v1/cache/k"},
		{method: "GET", path: "/v1/cache/k", key: liveA},
		{method: "HEAD", path: "/v1/cache/k", key: liveA},
		{method: "GET", path: "/v1/cache/missing", key: liveA},
		{method: "PUT", path: "/v1/cache/k", key: liveA, body: []byte("123456789")},
		{method: "PUT", path: "/v1/cache/k", key: liveA, body: []byte("v")},
		{method: "POST", path: "/v1/cache/k", key: liveA},
		{method: "GET", path: "/v1/cache/a%2Fb", key: liveA},
		{method: "GET", path: "/v1/cache/k/ttl", key: liveA},
		{method: "POST", path: "/v1/cache/k/lock", key: liveA},
		{method: "GET", path: "/v1/cache/health", key: liveA},
		{method: "GET", path: "/nowhere", key: liveA},
		{method: "GET", path: "/livez"},
		{method: "GET", path: "/v1/cache/k", key: sdkA, noL1: true},
	} {
		r := e.do(q)
		if r.h.Get("Cache-Control") != "no-store" || r.h.Get("Vary") != "Authorization" {
			t.Fatalf("%s %s (%d): Cache-Control %q Vary %q", q.method, q.path, r.status, r.h.Get("Cache-Control"), r.h.Get("Vary"))
		}
	}
}

// API-1: ck_sdk_ keys must send X-CacheKit-L1-Status (after authentication).
func TestSDKKeyNeedsL1Status(t *testing.T) {
	e := newEnv(t)
	e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: sdkA, noL1: true}, 400)
	e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: sdkA, hdr: map[string]string{"X-CacheKit-L1-Status": "HIT"}}, 400)
	e.mustStatus(req{method: "GET", path: "/v1/cache/health", key: sdkA, noL1: true}, 400)
	for _, v := range []string{"hit", "miss", "disabled"} {
		e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: sdkA, hdr: map[string]string{"X-CacheKit-L1-Status": v}}, 404)
	}
	// Optional for the other classes.
	e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: apiA, noL1: true}, 404)
	e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: liveA, noL1: true}, 404)
	// 401 precedes the 400.
	e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: "ck_sdk_unknown_0123456789", noL1: true}, 401)
}

// Write-space split: an SDK key cannot mutate nsapi: keys, an API key cannot
// mutate ns: keys, a legacy key may do both, and reads are open.
func TestWriteSpaceSplit(t *testing.T) {
	e := newEnv(t)
	nsapi, ns := "/v1/cache/nsapi%3Ausers%3Ak", "/v1/cache/ns%3Ausers%3Ak"
	e.put(apiA, nsapi, "api-value", ttlHdr("60"))
	e.put(sdkA, ns, "sdk-value", ttlHdr("60"))
	mutations := func(path string) []req {
		return []req{
			{method: "PUT", path: path, body: []byte("overwritten")},
			{method: "DELETE", path: path},
			{method: "PATCH", path: path + "/ttl", body: []byte(`{"ttl": 5}`)},
			{method: "POST", path: path + "/lock", body: []byte(`{"timeout_ms": 1000}`)},
			{method: "DELETE", path: path + "/lock", hdr: map[string]string{"X-CacheKit-Lock-Id": "x"}},
		}
	}
	for _, q := range mutations(nsapi) {
		q.key = sdkA
		e.mustStatus(q, 403)
	}
	for _, q := range mutations(ns) {
		q.key = apiA
		e.mustStatus(q, 403)
	}
	// Nothing changed: the values and their TTLs are intact, no lock is held.
	if r := e.mustStatus(req{method: "GET", path: nsapi, key: sdkA}, 200); string(r.body) != "api-value" {
		t.Fatalf("nsapi value %q", r.body)
	}
	if r := e.mustStatus(req{method: "GET", path: ns, key: apiA}, 200); string(r.body) != "sdk-value" {
		t.Fatalf("ns value %q", r.body)
	}
	if r := e.mustStatus(req{method: "GET", path: nsapi + "/ttl", key: liveA}, 200); r.json(t)["ttl"] != 60.0 {
		t.Fatalf("ttl changed: %s", r.body)
	}
	if r := e.mustStatus(req{method: "POST", path: nsapi + "/lock", key: apiA}, 200); r.json(t)["lock_id"] == nil {
		t.Fatal("lock taken by a forbidden request")
	}
	// The owning class and the legacy class may mutate.
	e.put(apiA, nsapi, "api-2", nil)
	e.put(liveA, nsapi, "live", nil)
	e.put(liveA, ns, "live", nil)
	// The default namespace is shared by every class.
	for _, k := range []string{sdkA, apiA, liveA} {
		e.put(k, "/v1/cache/shared%3Akey", k[:7], nil)
		e.mustStatus(req{method: "DELETE", path: "/v1/cache/shared%3Akey", key: k}, 200)
	}
}

// Namespace grants gate reads and writes.
func TestNamespaceGrants(t *testing.T) {
	e := newEnv(t)
	e.put(usrA, "/v1/cache/ns%3Ausers%3A1", "u", nil)
	e.mustStatus(req{method: "GET", path: "/v1/cache/ns%3Ausers%3A1", key: usrA}, 200)
	e.mustStatus(req{method: "GET", path: "/v1/cache/ns%3Aorders%3A1", key: usrA}, 403)
	e.mustStatus(req{method: "PUT", path: "/v1/cache/ns%3Aorders%3A1", key: usrA, body: []byte("x")}, 403)
	e.mustStatus(req{method: "GET", path: "/v1/cache/plain", key: usrA}, 403) // default not granted
}

// Two tenants using the same cache key never see each other's data.
func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	path := "/v1/cache/ns%3Ausers%3Aprofile%3A42"
	e.put(sdkA, path, "acme-data", ttlHdr("60"))
	e.mustStatus(req{method: "GET", path: path, key: sdkB}, 404)
	e.mustStatus(req{method: "HEAD", path: path, key: sdkB}, 404)
	e.mustStatus(req{method: "GET", path: path + "/ttl", key: sdkB}, 404)
	e.put(sdkB, path, "globex-data", nil)
	if r := e.mustStatus(req{method: "GET", path: path, key: sdkA}, 200); string(r.body) != "acme-data" {
		t.Fatalf("acme sees %q", r.body)
	}
	if r := e.mustStatus(req{method: "GET", path: path, key: liveB}, 200); string(r.body) != "globex-data" {
		t.Fatalf("globex sees %q", r.body)
	}
	// Locks are per tenant too.
	e.mustStatus(req{method: "POST", path: path + "/lock", key: sdkA}, 200)
	if r := e.mustStatus(req{method: "POST", path: path + "/lock", key: sdkB}, 200); r.json(t)["lock_id"] == nil {
		t.Fatal("tenant B contended on tenant A's lock")
	}
	// A delete by B leaves A's entry.
	e.mustStatus(req{method: "DELETE", path: path, key: sdkB}, 200)
	e.mustStatus(req{method: "GET", path: path, key: sdkA}, 200)
	e.mustStatus(req{method: "GET", path: path, key: sdkB}, 404)
	// PATCH by B on A's key is a no-op for A.
	e.mustStatus(req{method: "PATCH", path: path + "/ttl", key: sdkB, body: []byte(`{"ttl":1}`)}, 200)
	if r := e.mustStatus(req{method: "GET", path: path + "/ttl", key: sdkA}, 200); r.json(t)["ttl"] != 60.0 {
		t.Fatalf("A's ttl %s", r.body)
	}
}

// API-12/13, rules 2-3: routing on the WHATWG-parsed path, split on raw "/"
// before the single decode.
func TestRouting(t *testing.T) {
	e := newEnv(t)
	e.put(liveA, "/v1/cache/k", "v", nil)
	for path, want := range map[string]int{
		"/v1/cache/":                404, // API-13
		"/v1/cache":                 404,
		"/v1/cache/k/extra":         404, // API-12
		"/v1/cache/k/ttl/x":         404,
		"/v1/cache/%2e%2e/ttl":      404, // → /v1/ttl
		"/v1/cache/.%2E/health":     404, // → /v1/health
		"/v1/cache/k/%2e":           404, // → /v1/cache/k/ (an empty third segment)
		"/v1/cache/x/../k":          200, // → /v1/cache/k
		"/v1/cache/x%2F..%2F..%2Fk": 400, // %2F is no boundary (API-16)
		"/v1/cache/a%2Fb":           400,
		"/v1/cache/ttl":             400, // an empty key plus /ttl
		"/v1/cache//ttl":            400,
		"/v1/cache/lock":            405, // GET on the lock route
		"/v1/cache/health":          200,
		"/v1/cache/k?lock_id=x":     200,
		"/v1/cache/%6B":             200, // single decode: %6B is k
		"/v1/cache/%256B":           400, // decoded once to %6B: charset
		"/v1/cache/k%":              400, // malformed escape
		"/v1/cache/k%zz":            400,
		"/v1/cache/a\\..\\health":   200, // a raw backslash is "/" under WHATWG → /v1/cache/health
		"/v1/cache/a%5C..%5Chealth": 400, // encoded, it is data: charset
		"abs:/v1/cache/a%2Fb":       400, // absolute-form request target, still undecoded
		"abs:/v1/cache/%6B":         200,
	} {
		e.mustStatus(req{method: "GET", path: path, key: liveA}, want)
	}
}

// Key validation after the single decode: length, charset, traversal,
// namespace shape.
func TestKeyValidation(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("a", 400)
	for path, want := range map[string]int{
		"/v1/cache/" + long:                 200,
		"/v1/cache/" + long + "a":           400,
		"/v1/cache/a..b":                    400,
		"/v1/cache/ns%3Ausers%3A":           400, // empty rest
		"/v1/cache/ns%3Akey":                400,
		"/v1/cache/ns%3Ab%2Fad%3Ak":         400,
		"/v1/cache/ns%3A" + long[:65] + ":": 400, // namespace > 64
		"/v1/cache/nsapi%3Aa%3Ab":           200,
		"/v1/cache/nsx%3Aa":                 200, // not a prefix: default namespace
		"/v1/cache/A-Z_0.9%3Ax":             200,
		"/v1/cache/caf%C3%A9":               400,
	} {
		e.mustStatus(req{method: "PUT", path: path, key: liveA, body: []byte("v")}, want)
	}
}

// 405 with Allow on every route, evaluated after authentication.
func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ method, path, allow string }{
		{"POST", "/v1/cache/k", "GET, HEAD, PUT, DELETE"},
		{"PATCH", "/v1/cache/k", "GET, HEAD, PUT, DELETE"},
		{"PUT", "/v1/cache/k/ttl", "GET, PATCH"},
		{"DELETE", "/v1/cache/k/ttl", "GET, PATCH"},
		{"GET", "/v1/cache/k/lock", "POST, DELETE"},
		{"PUT", "/v1/cache/k/lock", "POST, DELETE"},
		{"POST", "/v1/cache/health", "GET"},
		{"DELETE", "/v1/cache/health", "GET"},
	} {
		r := e.mustStatus(req{method: c.method, path: c.path, key: liveA}, 405)
		if r.h.Get("Allow") != c.allow {
			t.Fatalf("%s %s: Allow %q", c.method, c.path, r.h.Get("Allow"))
		}
		e.mustStatus(req{method: c.method, path: c.path}, 401)
	}
}

// TTL validation (API-40/41/43): no hidden default, 0/negative/non-integer/
// over-cap rejected, X-TTL accepted but X-CacheKit-TTL preferred.
func TestPutTTLValidation(t *testing.T) {
	e := newEnv(t)
	for _, v := range []string{"0", "-1", "1.5", "abc", "+5", "2592001", "99999999999999999999", ""} {
		e.mustStatus(req{method: "PUT", path: "/v1/cache/k", key: liveA, body: []byte("v"), hdr: ttlHdr(v)}, 400)
		e.mustStatus(req{method: "PUT", path: "/v1/cache/k", key: liveA, body: []byte("v"), hdr: map[string]string{"X-TTL": v}}, 400)
	}
	e.put(liveA, "/v1/cache/k", "v", ttlHdr("2592000"))
	e.put(liveA, "/v1/cache/k", "v", ttlHdr("0000060"))
	ttlOf := func() any {
		return e.mustStatus(req{method: "GET", path: "/v1/cache/k/ttl", key: liveA}, 200).json(t)["ttl"]
	}
	if got := ttlOf(); got != 60.0 {
		t.Fatalf("ttl %v", got)
	}
	e.put(liveA, "/v1/cache/k", "v", map[string]string{"X-TTL": "30"})
	if got := ttlOf(); got != 30.0 {
		t.Fatalf("legacy X-TTL: ttl %v", got)
	}
	e.put(liveA, "/v1/cache/k", "v", map[string]string{"X-TTL": "30", "X-CacheKit-TTL": "40"})
	if got := ttlOf(); got != 40.0 {
		t.Fatalf("X-CacheKit-TTL preferred: ttl %v", got)
	}
	// No TTL: no expiry, not a hidden default.
	e.put(liveA, "/v1/cache/k", "v", nil)
	if got := ttlOf(); got != nil {
		t.Fatalf("no-TTL entry: ttl %v", got)
	}
}

// Stale-TTL validation (SWR Validation table).
func TestPutStaleTTLValidation(t *testing.T) {
	e := newEnv(t)
	bad := []map[string]string{
		{"X-CacheKit-TTL": "10", "X-CacheKit-Stale-TTL": "-1"},
		{"X-CacheKit-TTL": "10", "X-CacheKit-Stale-TTL": "1.5"},
		{"X-CacheKit-TTL": "1", "X-CacheKit-Stale-TTL": "2592000"},
		{"X-CacheKit-TTL": "1", "X-CacheKit-Stale-TTL": "4294967297"},
		{"X-CacheKit-Stale-TTL": "10"},
		{"X-CacheKit-TTL": "2591000", "X-CacheKit-Stale-TTL": "1001"},
	}
	for _, h := range bad {
		e.mustStatus(req{method: "PUT", path: "/v1/cache/k", key: liveA, body: []byte("v"), hdr: h}, 400)
	}
	for _, h := range []map[string]string{
		{"X-CacheKit-TTL": "10", "X-CacheKit-Stale-TTL": "0"},
		{"X-CacheKit-TTL": "2591000", "X-CacheKit-Stale-TTL": "1000"},
		{"X-TTL": "10", "X-CacheKit-Stale-TTL": "5"},
		{"X-CacheKit-TTL": "1", "X-CacheKit-Stale-TTL": "2591999"},
	} {
		e.put(liveA, "/v1/cache/k", "v", h)
	}
}

// API-50/52, SWR windows and freshness headers: fresh_until =
// floor(stored_at) + ttl, evict_at = fresh_until + stale_ttl.
func TestLifecycleWindows(t *testing.T) {
	e := newEnv(t) // the clock sits 0.3 s past a whole second
	base := e.clock.whole()
	e.put(sdkA, "/v1/cache/k", "bytes", map[string]string{"X-CacheKit-TTL": "10", "X-CacheKit-Stale-TTL": "5"})
	get := func() resp { return e.do(req{method: "GET", path: "/v1/cache/k", key: sdkA}) }
	head := func() resp { return e.do(req{method: "HEAD", path: "/v1/cache/k", key: sdkA}) }
	check := func(at time.Duration, status int, freshness, freshFor string) {
		t.Helper()
		e.clock.t = base.Add(at)
		r := get()
		if r.status != status || r.h.Get("X-CacheKit-Freshness") != freshness || r.h.Get("X-CacheKit-Fresh-For") != freshFor {
			t.Fatalf("at +%v: %d %q %q, want %d %q %q", at, r.status, r.h.Get("X-CacheKit-Freshness"), r.h.Get("X-CacheKit-Fresh-For"), status, freshness, freshFor)
		}
		if status == 200 && string(r.body) != "bytes" {
			t.Fatalf("at +%v: body %q", at, r.body)
		}
		h := head() // API-47: HEAD has GET's status, no body, no Fresh-For
		if h.status != status || len(h.body) != 0 || h.h.Get("X-CacheKit-Fresh-For") != "" || h.h.Get("X-CacheKit-Freshness") != freshness {
			t.Fatalf("HEAD at +%v: %d body %d Fresh-For %q", at, h.status, len(h.body), h.h.Get("X-CacheKit-Fresh-For"))
		}
	}
	check(300*time.Millisecond, 200, "fresh", "9")
	check(time.Second, 200, "fresh", "9")
	check(1500*time.Millisecond, 200, "fresh", "8")
	check(9900*time.Millisecond, 200, "fresh", "0") // final sub-second floors to 0
	check(10*time.Second, 200, "stale", "0")        // fresh_until is a whole second
	check(14900*time.Millisecond, 200, "stale", "0")
	check(15*time.Second, 404, "", "") // API-52: never past evict_at
	// Without a stale window the entry evicts at fresh_until, and freshness is
	// still labelled.
	e.clock.t = base.Add(900 * time.Millisecond)
	e.put(sdkA, "/v1/cache/k", "bytes", ttlHdr("2"))
	check(1999*time.Millisecond, 200, "fresh", "0")
	check(2*time.Second, 404, "", "")
	// PUT replaces the timing metadata: a re-PUT without stale has none.
	e.clock.t = base
	e.put(sdkA, "/v1/cache/k", "bytes", map[string]string{"X-CacheKit-TTL": "1", "X-CacheKit-Stale-TTL": "100"})
	e.put(sdkA, "/v1/cache/k", "bytes", ttlHdr("1"))
	check(time.Second, 404, "", "")
}

// No-expiry entries: fresh forever, no Fresh-For, /ttl null (API-70).
func TestNoExpiryEntry(t *testing.T) {
	e := newEnv(t)
	e.put(liveA, "/v1/cache/k", "forever", nil)
	e.clock.Add(365 * 24 * time.Hour)
	r := e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: liveA}, 200)
	if r.h.Get("X-CacheKit-Freshness") != "fresh" || len(r.h.Values("X-CacheKit-Fresh-For")) != 0 {
		t.Fatalf("headers %v", r.h)
	}
	if r := e.mustStatus(req{method: "GET", path: "/v1/cache/k/ttl", key: liveA}, 200); string(r.body) != "{\"ttl\":null}\n" {
		t.Fatalf("ttl body %q", r.body)
	}
	// PATCH gives it its first expiry from floor(now).
	e.mustStatus(req{method: "PATCH", path: "/v1/cache/k/ttl", key: liveA, body: []byte(`{"ttl": 5}`)}, 200)
	if r := e.mustStatus(req{method: "GET", path: "/v1/cache/k/ttl", key: liveA}, 200); r.json(t)["ttl"] != 5.0 {
		t.Fatalf("ttl %s", r.body)
	}
	r = e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: liveA}, 200)
	if r.h.Get("X-CacheKit-Fresh-For") != "4" {
		t.Fatalf("Fresh-For %q", r.h.Get("X-CacheKit-Fresh-For"))
	}
}

// GET /ttl: seconds to evict_at rounded up (evict_at − floor(now)), never 0,
// 404 when absent or evicted.
func TestGetTTLRounding(t *testing.T) {
	e := newEnv(t)
	base := e.clock.whole()
	e.put(liveA, "/v1/cache/k", "v", map[string]string{"X-CacheKit-TTL": "10", "X-CacheKit-Stale-TTL": "5"})
	for at, want := range map[time.Duration]float64{
		300 * time.Millisecond:   15,
		1 * time.Second:          14,
		9999 * time.Millisecond:  6,
		12 * time.Second:         3, // in the stale window: to evict_at
		14999 * time.Millisecond: 1,
	} {
		e.clock.t = base.Add(at)
		if r := e.mustStatus(req{method: "GET", path: "/v1/cache/k/ttl", key: liveA}, 200); r.json(t)["ttl"] != want {
			t.Fatalf("at +%v: %s, want %v", at, r.body, want)
		}
	}
	e.clock.t = base.Add(15 * time.Second)
	e.mustStatus(req{method: "GET", path: "/v1/cache/k/ttl", key: liveA}, 404)
	e.mustStatus(req{method: "GET", path: "/v1/cache/absent/ttl", key: liveA}, 404)
}

// PATCH /ttl: never 404, 409 when stale (API-56/73), renews from floor(now)
// keeping the stale window (API-51), re-validated against the cap.
func TestPatchTTL(t *testing.T) {
	e := newEnv(t)
	base := e.clock.whole()
	patch := func(body string, want int) resp {
		t.Helper()
		return e.mustStatus(req{method: "PATCH", path: "/v1/cache/k/ttl", key: liveA, body: []byte(body)}, want)
	}
	if r := patch(`{"ttl": 10}`, 200); r.json(t)["updated"] != false {
		t.Fatalf("absent key: %s", r.body)
	}
	for _, b := range []string{`{"ttl": 0}`, `{"ttl": -1}`, `{"ttl": 1.5}`, `{"ttl": "10"}`, `{"ttl": null}`, `{}`, ``, `[1]`, `{"ttl": 2592001}`} {
		patch(b, 400)
	}
	e.put(liveA, "/v1/cache/k", "v", map[string]string{"X-CacheKit-TTL": "10", "X-CacheKit-Stale-TTL": "100"})
	e.clock.t = base.Add(5700 * time.Millisecond)
	if r := patch(`{"ttl": 20}`, 200); r.json(t)["updated"] != true {
		t.Fatalf("patch: %s", r.body)
	}
	// fresh_until = floor(now)+20 = base+25; evict_at = base+125.
	e.clock.t = base.Add(24900 * time.Millisecond)
	if r := e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: liveA}, 200); r.h.Get("X-CacheKit-Freshness") != "fresh" || r.h.Get("X-CacheKit-Fresh-For") != "0" {
		t.Fatalf("after patch: %v", r.h)
	}
	if r := e.mustStatus(req{method: "GET", path: "/v1/cache/k/ttl", key: liveA}, 200); r.json(t)["ttl"] != 101.0 {
		t.Fatalf("ttl after patch %s", r.body)
	}
	patch(`{"ttl": 2591950}`, 400) // + stale 100 > cap
	e.clock.t = base.Add(25 * time.Second)
	patch(`{"ttl": 20}`, 409) // stale: refresh needs a PUT
	e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: liveA}, 200)
	e.clock.t = base.Add(125 * time.Second)
	patch(`{"ttl": 20}`, 200) // evicted: a no-op
	e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: liveA}, 404)
}

// Lock lease semantics: contention is 200 with a null lock_id; the lease
// expires after timeout_ms; release with the header (API-67), the legacy
// query parameter still accepted (API-68), the header preferred.
func TestLockLease(t *testing.T) {
	e := newEnv(t)
	lock := func(body string) any {
		t.Helper()
		r := e.mustStatus(req{method: "POST", path: "/v1/cache/k/lock", key: liveA, body: []byte(body)}, 200)
		m := r.json(t)
		if _, ok := m["lock_id"]; !ok {
			t.Fatalf("no lock_id field: %s", r.body)
		}
		return m["lock_id"]
	}
	release := func(hdr map[string]string, query string) bool {
		t.Helper()
		r := e.mustStatus(req{method: "DELETE", path: "/v1/cache/k/lock" + query, key: liveA, hdr: hdr}, 200)
		return r.json(t)["released"] == true
	}
	id, ok := lock(`{"timeout_ms": 1500}`).(string)
	if !ok || id == "" {
		t.Fatal("not acquired")
	}
	if lock(`{"timeout_ms": 1500}`) != nil {
		t.Fatal("contended lock returned an id")
	}
	e.clock.Add(1499 * time.Millisecond)
	if lock(``) != nil {
		t.Fatal("lease ended early")
	}
	e.clock.Add(time.Millisecond)
	id2, ok := lock(``).(string) // default lease 5 s
	if !ok || id2 == id {
		t.Fatal("expired lease not re-acquirable")
	}
	if release(map[string]string{"X-CacheKit-Lock-Id": id}, "") {
		t.Fatal("stale id released the new lease")
	}
	// Header preferred over the query parameter.
	if release(map[string]string{"X-CacheKit-Lock-Id": "wrong"}, "?lock_id="+id2) {
		t.Fatal("query parameter preferred over header")
	}
	if !release(map[string]string{"X-CacheKit-Lock-Id": " " + id2 + " "}, "") {
		t.Fatal("release failed")
	}
	id3 := lock(`{"timeout_ms": 60000}`).(string)
	if !release(nil, "?lock_id="+id3) {
		t.Fatal("legacy query release failed")
	}
	e.mustStatus(req{method: "DELETE", path: "/v1/cache/k/lock", key: liveA}, 400)
	e.mustStatus(req{method: "DELETE", path: "/v1/cache/k/lock", key: liveA, hdr: map[string]string{"X-CacheKit-Lock-Id": "   "}}, 400)
	for _, b := range []string{`{"timeout_ms": 0}`, `{"timeout_ms": -5}`, `{"timeout_ms": 1.5}`, `{"timeout_ms": 3600001}`, `nope`} {
		e.mustStatus(req{method: "POST", path: "/v1/cache/k/lock", key: liveA, body: []byte(b)}, 400)
	}
	// Health counts this tenant's live leases.
	lock(`{"timeout_ms": 1000}`)
	if r := e.mustStatus(req{method: "GET", path: "/v1/cache/health", key: liveA}, 200).json(t); r["active_locks"] != 1.0 || r["status"] != "ok" {
		t.Fatalf("health %v", r)
	}
	if r := e.mustStatus(req{method: "GET", path: "/v1/cache/health", key: liveB}, 200).json(t); r["active_locks"] != 0.0 {
		t.Fatalf("other tenant's health %v", r)
	}
}

// DELETE is idempotent: 200 {"success": true} whether or not the key existed.
func TestDeleteIdempotent(t *testing.T) {
	e := newEnv(t)
	e.put(liveA, "/v1/cache/k", "v", nil)
	for range 2 {
		if r := e.mustStatus(req{method: "DELETE", path: "/v1/cache/k", key: liveA}, 200); string(r.body) != "{\"success\":true}\n" {
			t.Fatalf("body %q", r.body)
		}
	}
	e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: liveA}, 404)
}

// Values up to the limit are stored; over it is 413, with or without a
// Content-Length.
func TestBodyLimit(t *testing.T) {
	e := newEnv(t)
	big := make([]byte, server.DefaultMaxValueBytes+1)
	e.mustStatus(req{method: "PUT", path: "/v1/cache/k", key: liveA, body: big}, 413)
	e.mustStatus(req{method: "PUT", path: "/v1/cache/k", key: liveA, body: big[:server.DefaultMaxValueBytes]}, 200)
	if r := e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: liveA}, 200); len(r.body) != server.DefaultMaxValueBytes {
		t.Fatalf("read %d bytes", len(r.body))
	}
	// Chunked (no Content-Length): the read limit catches it.
	small := newEnv(t, func(c *server.Config) { c.MaxValueBytes = 1000 })
	r, err := http.NewRequest("PUT", small.srv.URL+"/v1/cache/k", strings.NewReader(strings.Repeat("x", 1001)))
	if err != nil {
		t.Fatal(err)
	}
	r.ContentLength = -1
	r.Header.Set("Authorization", "Bearer "+liveA)
	res, err := small.srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Fatalf("chunked over limit: %d", res.StatusCode)
	}
}

// Health: {"status":"ok","cache_entries":n,"active_locks":n}; 503 when the
// store is unhealthy.
func TestHealth(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.ExposeEntryCount = true })
	e.put(liveA, "/v1/cache/a", "v", nil)
	e.put(liveB, "/v1/cache/b", "v", nil)
	m := e.mustStatus(req{method: "GET", path: "/v1/cache/health", key: sdkA}, 200).json(t)
	if m["status"] != "ok" || m["cache_entries"] != 2.0 || m["active_locks"] != 0.0 {
		t.Fatalf("health %v", m)
	}
	d := newEnv(t)
	d.put(liveA, "/v1/cache/a", "v", nil)
	if m := d.mustStatus(req{method: "GET", path: "/v1/cache/health", key: sdkA}, 200).json(t); m["cache_entries"] != 0.0 {
		t.Fatalf("entry count exposed by default: %v", m)
	}
	f := newEnv(t, func(c *server.Config) { c.Storage = &faultyStore{Backend: memstore.New(), kind: core.KindTransient} })
	f.mustStatus(req{method: "GET", path: "/v1/cache/health", key: sdkA}, 503)
}

type faultyStore struct {
	core.Backend
	kind core.Kind
}

func (f *faultyStore) err() error { return core.NewError(f.kind, "faulty", "down", nil) }
func (f *faultyStore) Get(context.Context, string) (core.Entry, bool, error) {
	return core.Entry{}, false, f.err()
}
func (f *faultyStore) Set(context.Context, string, []byte, time.Duration) error { return f.err() }
func (f *faultyStore) Delete(context.Context, string) error                     { return f.err() }
func (f *faultyStore) Health(context.Context) error                             { return f.err() }

// A transient storage fault answers 503 with Retry-After on reads and writes;
// anything else is 500.
func TestStorageFaults(t *testing.T) {
	for kind, want := range map[core.Kind]int{core.KindTransient: 503, core.KindTimeout: 503, core.KindPermanent: 500} {
		e := newEnv(t, func(c *server.Config) { c.Storage = &faultyStore{Backend: memstore.New(), kind: kind} })
		for _, q := range []req{
			{method: "GET", path: "/v1/cache/k"},
			{method: "PUT", path: "/v1/cache/k", body: []byte("v")},
			{method: "DELETE", path: "/v1/cache/k"},
			{method: "GET", path: "/v1/cache/k/ttl"},
		} {
			q.key = liveA
			r := e.mustStatus(q, want)
			if (want == 503) != (r.h.Get("Retry-After") != "") {
				t.Fatalf("%v: Retry-After %q", kind, r.h.Get("Retry-After"))
			}
		}
	}
}

// Stored bytes are returned unchanged (the server never inspects values).
func TestValuesAreOpaque(t *testing.T) {
	e := newEnv(t)
	v := make([]byte, 256)
	for i := range v {
		v[i] = byte(i)
	}
	e.mustStatus(req{method: "PUT", path: "/v1/cache/k", key: liveA, body: v, hdr: map[string]string{"Content-Type": "application/octet-stream"}}, 200)
	r := e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: liveA}, 200)
	if string(r.body) != string(v) || r.h.Get("Content-Type") != "application/octet-stream" || r.h.Get("Content-Length") != strconv.Itoa(len(v)) {
		t.Fatalf("round trip changed bytes or headers: %v", r.h)
	}
	e.mustStatus(req{method: "PUT", path: "/v1/cache/empty", key: liveA, body: []byte{}}, 200)
	if r := e.mustStatus(req{method: "GET", path: "/v1/cache/empty", key: liveA}, 200); len(r.body) != 0 {
		t.Fatal("empty value")
	}
}
