package server_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/server"
)

// Bodies in flight are bounded: while one upload holds the bound for
// large bodies, another large one waits BodyWait and is answered 503 with
// Retry-After, while a small one still passes; once the first completes,
// large uploads go through again. (Uploads were unbounded: one 30 MiB
// upload raised the process by 56 MB, and nothing limited many.)
func TestBodiesInFlightBounded(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.MaxValueBytes = 2 << 20
		c.MaxBodyBytesInFlight = 2 << 20 // raised to 3 MiB: 2 for large bodies, 1 kept for small ones
		c.BodyWait = 50 * time.Millisecond
	})
	u, _ := url.Parse(e.srv.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A slow upload: its headers and half its body.
	fmt.Fprintf(conn, "PUT /v1/cache/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s", liveA, 2<<20, strings.Repeat("a", 1<<20))
	var r resp
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if r = e.do(req{method: "PUT", path: "/v1/cache/other", key: liveB, body: make([]byte, 1<<20)}); r.status == http.StatusServiceUnavailable {
			break
		}
	}
	if r.status != http.StatusServiceUnavailable || r.h.Get("Retry-After") == "" {
		t.Fatalf("upload beside one holding the bound: %d %v, want 503 with Retry-After", r.status, r.h)
	}
	checkAPI2(t, r)
	e.mustStatus(req{method: "PUT", path: "/v1/cache/small", key: liveB, body: make([]byte, 10)}, 200)
	fmt.Fprint(conn, strings.Repeat("a", 1<<20))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("the slow upload: %v %v", res, err)
	}
	e.mustStatus(req{method: "PUT", path: "/v1/cache/other", key: liveB, body: make([]byte, 1<<20)}, 200)
}
