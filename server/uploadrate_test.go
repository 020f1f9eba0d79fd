package server_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/server"
)

// Each tenant's uploads are paced to its byte rate: beyond a burst of one
// second's bytes a PUT waits for its bytes (within BodyWait) or is
// answered 429 with Retry-After, its body unread, while another tenant's
// uploads pass; the bytes come back with time. A body without
// Content-Length is counted once read. (Nothing limited one tenant's
// uploads: under the load test two tenants' 4 MiB PUTs back to back
// doubled a small tenant's PUT p99.)
func TestUploadRate(t *testing.T) {
	const mib = 1 << 20
	e := newEnv(t, func(c *server.Config) {
		c.UploadBytesPerSecond = mib
		c.BodyWait = 100 * time.Millisecond
	})
	big := make([]byte, mib)
	e.mustStatus(req{method: "PUT", path: "/v1/cache/u0", key: liveA, body: big}, 200)
	r := e.mustStatus(req{method: "PUT", path: "/v1/cache/u1", key: liveA, body: big}, http.StatusTooManyRequests)
	checkAPI2(t, r)
	if r.h.Get("Retry-After") != "1" || r.json(t)["error"] == nil {
		t.Fatalf("429 without Retry-After: 1 or an error body: %v %q", r.h, r.body)
	}
	e.mustStatus(req{method: "GET", path: "/v1/cache/u1", key: liveA}, http.StatusNotFound)
	e.mustStatus(req{method: "PUT", path: "/v1/cache/u1", key: liveB, body: big}, 200) // another tenant
	// 950 ms later the bucket lacks 50 ms of bytes: the PUT waits for them.
	e.clock.Add(950 * time.Millisecond)
	e.mustStatus(req{method: "PUT", path: "/v1/cache/u1", key: liveA, body: big}, 200)
	e.clock.Add(time.Second)

	// Without Content-Length: taken from the full bucket once read, then
	// the next PUT finds the bucket a second in debt.
	chunked := func(n int) int {
		t.Helper()
		rq, err := http.NewRequest("PUT", e.srv.URL+"/v1/cache/u2", io.MultiReader(bytes.NewReader(make([]byte, n))))
		if err != nil {
			t.Fatal(err)
		}
		rq.Header.Set("Authorization", "Bearer "+liveA)
		res, err := e.srv.Client().Do(rq)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	if s := chunked(mib); s != 200 {
		t.Fatalf("chunked PUT of the burst: %d", s)
	}
	if s := chunked(mib); s != 200 { // the bucket was empty, not in debt
		t.Fatalf("second chunked PUT: %d", s)
	}
	r = e.mustStatus(req{method: "PUT", path: "/v1/cache/u3", key: liveA, body: []byte("x")}, http.StatusTooManyRequests)
	if !strings.Contains(string(r.body), "upload rate") {
		t.Fatalf("429 body %q", r.body)
	}

	// The default applies without configuration: 32 MiB a second.
	d := newEnv(t, func(c *server.Config) { c.BodyWait = 50 * time.Millisecond })
	d.mustStatus(req{method: "PUT", path: "/v1/cache/d0", key: liveA, body: make([]byte, 20*mib)}, 200)
	d.mustStatus(req{method: "PUT", path: "/v1/cache/d1", key: liveA, body: make([]byte, 20*mib)}, http.StatusTooManyRequests)
	// And a negative rate turns it off.
	o := newEnv(t, func(c *server.Config) { c.UploadBytesPerSecond = -1; c.BodyWait = 50 * time.Millisecond })
	for range 3 {
		o.mustStatus(req{method: "PUT", path: "/v1/cache/o", key: liveA, body: make([]byte, 20*mib)}, 200)
	}
}
