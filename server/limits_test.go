package server_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/cachekit-io/cachekit-go/server"
)

// checkAPI2 fails unless r carries API-2's headers and a JSON error body.
func checkAPI2(t *testing.T, r resp) {
	t.Helper()
	if r.h.Get("Cache-Control") != "no-store" || r.h.Get("Vary") != "Authorization" {
		t.Fatalf("status %d without API-2 headers: %v", r.status, r.h)
	}
}

// A tenant holding its quota of live leases gets 429 with Retry-After and
// an error body; other tenants and the tenant's releases are unaffected.
// The default quota applies without configuration (the table was
// unbounded: 100,000 leases of one tenant were all granted).
func TestLockQuota(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.LockQuota = 3 })
	var ids []string
	for i := range 3 {
		m := e.mustStatus(req{method: "POST", path: fmt.Sprintf("/v1/cache/q%d/lock", i), key: liveA, body: []byte(`{"timeout_ms":3600000}`)}, 200).json(t)
		id, _ := m["lock_id"].(string)
		if id == "" {
			t.Fatalf("lock %d not granted: %v", i, m)
		}
		ids = append(ids, id)
	}
	r := e.mustStatus(req{method: "POST", path: "/v1/cache/q3/lock", key: liveA, body: []byte(`{"timeout_ms":3600000}`)}, http.StatusTooManyRequests)
	checkAPI2(t, r)
	if r.h.Get("Retry-After") == "" || r.json(t)["error"] == nil {
		t.Fatalf("429 without Retry-After or error body: %v %q", r.h, r.body)
	}
	// Another tenant (globex) is not affected.
	if m := e.mustStatus(req{method: "POST", path: "/v1/cache/q3/lock", key: liveB}, 200).json(t); m["lock_id"] == nil {
		t.Fatalf("another tenant's lock refused: %v", m)
	}
	if m := e.mustStatus(req{method: "GET", path: "/v1/cache/health", key: liveA}, 200).json(t); m["active_locks"] != 3.0 {
		t.Fatalf("active_locks = %v, want 3", m["active_locks"])
	}
	e.mustStatus(req{method: "DELETE", path: "/v1/cache/q0/lock", key: liveA, hdr: map[string]string{"X-CacheKit-Lock-Id": ids[0]}}, 200)
	if m := e.mustStatus(req{method: "POST", path: "/v1/cache/q3/lock", key: liveA}, 200).json(t); m["lock_id"] == nil {
		t.Fatalf("lock refused after a release: %v", m)
	}

	d := newEnv(t)
	for i := range server.DefaultLockQuota {
		r := d.do(req{method: "POST", path: fmt.Sprintf("/v1/cache/d%d/lock", i), key: liveA, body: []byte(`{"timeout_ms":3600000}`)})
		if r.status != 200 {
			t.Fatalf("lock %d of the default quota: %d", i, r.status)
		}
	}
	d.mustStatus(req{method: "POST", path: "/v1/cache/over/lock", key: liveA}, http.StatusTooManyRequests)
}

// The lock table's memory bound answers 503 with Retry-After.
func TestLockMemoryBound(t *testing.T) { // room for two leases of about 210 bytes
	e := newEnv(t, func(c *server.Config) { c.LockMemoryBytes = 450 })
	e.mustStatus(req{method: "POST", path: "/v1/cache/m0/lock", key: liveA}, 200)
	e.mustStatus(req{method: "POST", path: "/v1/cache/m1/lock", key: liveA}, 200)
	r := e.mustStatus(req{method: "POST", path: "/v1/cache/m2/lock", key: liveB}, http.StatusServiceUnavailable)
	checkAPI2(t, r)
	if r.h.Get("Retry-After") == "" {
		t.Fatalf("503 without Retry-After: %v", r.h)
	}
}
