package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/server"
	"github.com/cachekit-io/cachekit-go/server/memstore"
)

// rawServer serves s over real TCP through s.WrapListener.
func rawServer(t *testing.T, keys server.KeyStore) string {
	t.Helper()
	if keys == nil {
		k, err := server.NewStaticKeys(testKeys)
		if err != nil {
			t.Fatal(err)
		}
		keys = k
	}
	s, err := server.New(server.Config{Storage: memstore.New(), Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: s, MaxHeaderBytes: 4 << 10, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(s.WrapListener(ln)) }()
	t.Cleanup(func() { _ = hs.Close() })
	return ln.Addr().String()
}

// rawExchange sends the raw requests on one connection, reading an answer
// after each.
func rawExchange(t *testing.T, addr string, raws ...string) []*http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	var out []*http.Response
	for _, raw := range raws {
		if _, err := io.WriteString(c, raw); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body = io.NopCloser(strings.NewReader(string(b)))
		out = append(out, res)
	}
	return out
}

type failingKeys struct{}

func (failingKeys) Lookup(context.Context, string) (server.Principal, bool, error) {
	return server.Principal{}, false, errors.New("key store down")
}

// net/http answers some malformed requests itself, before any handler: a
// target whose percent-encoding does not parse, a control byte in it, a
// missing Host, an unsupported protocol version, oversized header fields,
// an Expect other than 100-continue. Through WrapListener those answers
// carry API-2's headers and a JSON error, and the authentication outcome
// comes first. (GET /v1/cache/bad%zzkey without Authorization was a
// plain-text 400 without Cache-Control or Vary.)
func TestEarlyErrorsAuthenticatedFirst(t *testing.T) {
	addr := rawServer(t, nil)
	auth := "Authorization: Bearer " + liveA + "\r\n"
	cases := []struct {
		name, raw string
		want      int
	}{
		{"bad escape, no auth", "GET /v1/cache/bad%zzkey HTTP/1.1\r\nHost: x\r\n\r\n", 401},
		{"bad escape, unknown key", "GET /v1/cache/bad%zzkey HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ck_live_nobody_0123456789\r\n\r\n", 401},
		{"bad escape, two keys", "GET /v1/cache/bad%zzkey HTTP/1.1\r\nHost: x\r\n" + auth + auth + "\r\n", 401},
		{"bad escape", "GET /v1/cache/bad%zzkey HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400},
		{"truncated escape", "PUT /v1/cache/k% HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 1\r\n\r\nv", 400},
		{"control byte, no auth", "GET /v1/cache/a\x7fb HTTP/1.1\r\nHost: x\r\n\r\n", 401},
		{"control byte", "GET /v1/cache/a\x7fb HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", 400},
		{"no Host, no auth", "GET /v1/cache/k HTTP/1.1\r\n\r\n", 401},
		{"no Host", "GET /v1/cache/k HTTP/1.1\r\n" + auth + "\r\n", 400},
		{"HTTP/3.0, no auth", "GET /v1/cache/k HTTP/3.0\r\nHost: x\r\n\r\n", 401},
		{"HTTP/3.0", "GET /v1/cache/k HTTP/3.0\r\nHost: x\r\n" + auth + "\r\n", 505},
		{"headers too large", "GET /v1/cache/k HTTP/1.1\r\nHost: x\r\n" + auth + "X-Pad: " + strings.Repeat("p", 8<<10) + "\r\n\r\n", 431},
		{"headers too large, no auth", "GET /v1/cache/k HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("p", 8<<10) + "\r\n\r\n", 401},
		{"bad Content-Length", "PUT /v1/cache/k HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: x\r\n\r\n", 400},
		{"unknown transfer coding", "PUT /v1/cache/k HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: zip\r\n\r\n", 501},
		{"Expect", "PUT /v1/cache/k HTTP/1.1\r\nHost: x\r\n" + auth + "Expect: magic\r\nContent-Length: 1\r\n\r\nv", 417},
		{"Expect, no auth", "PUT /v1/cache/k HTTP/1.1\r\nHost: x\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nv", 401},
		{"preflight", "OPTIONS /v1/cache/bad%zz HTTP/1.1\r\nHost: x\r\n\r\n", 204},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := rawExchange(t, addr, c.raw)[0]
			checkEarly(t, res, c.want)
		})
	}
}

func checkEarly(t *testing.T, res *http.Response, want int) {
	t.Helper()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("status %d, want %d (body %q)", res.StatusCode, want, b)
	}
	if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Vary") != "Authorization" {
		t.Fatalf("no API-2 headers: %v", res.Header)
	}
	if want == 401 && res.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("401 without WWW-Authenticate: %v", res.Header)
	}
	if want == 503 && res.Header.Get("Retry-After") == "" {
		t.Fatalf("503 without Retry-After: %v", res.Header)
	}
	if want == 204 {
		return
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m["error"] == nil {
		t.Fatalf("body %q is not a JSON error", b)
	}
}

// On a kept-alive connection the refused request is judged by its own
// head, not the previous request's credentials; a key-store fault is a
// 503, as for any request.
func TestEarlyErrorsOwnHead(t *testing.T) {
	addr := rawServer(t, nil)
	auth := "Authorization: Bearer " + liveA + "\r\n"
	res := rawExchange(t, addr,
		"PUT /v1/cache/k HTTP/1.1\r\nHost: x\r\n"+auth+"Content-Length: 1\r\n\r\nv",
		"GET /v1/cache/bad%zz HTTP/1.1\r\nHost: x\r\n\r\n")
	if res[0].StatusCode != 200 {
		t.Fatalf("PUT: %d", res[0].StatusCode)
	}
	checkEarly(t, res[1], 401)
	res = rawExchange(t, addr,
		"GET /v1/cache/k HTTP/1.1\r\nHost: x\r\n"+auth+"\r\n",
		"GET /v1/cache/bad%zz HTTP/1.1\r\nHost: x\r\n"+auth+"\r\n")
	if res[0].StatusCode != 200 {
		t.Fatalf("GET: %d", res[0].StatusCode)
	}
	checkEarly(t, res[1], 400)

	down := rawServer(t, failingKeys{})
	checkEarly(t, rawExchange(t, down, "GET /v1/cache/bad%zz HTTP/1.1\r\nHost: x\r\n"+auth+"\r\n")[0], 503)
}

// A response body is never taken for net/http's own error answer: a value
// whose bytes, where net/http writes them to the connection in a call of
// their own, look like one is served intact.
func TestEarlyErrorLookalikeBodyServedIntact(t *testing.T) {
	addr := rawServer(t, nil)
	auth := "Authorization: Bearer " + liveA + "\r\n"
	get := "GET /v1/cache/v HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n"
	put := func(v []byte) {
		t.Helper()
		res := rawExchange(t, addr, fmt.Sprintf("PUT /v1/cache/v HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\n\r\n%s", auth, len(v), v))[0]
		if res.StatusCode != 200 {
			t.Fatalf("PUT: %d", res.StatusCode)
		}
	}
	// The response head goes into net/http's 4 KiB write buffer with the
	// body's first bytes; the rest of a large body is written in one call,
	// from offset 4096 − len(head). Measure the head, then plant a lookalike
	// there.
	value := bytes.Repeat([]byte("v"), 64<<10)
	put(value)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, get); err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 4096)
	if _, err := io.ReadFull(c, raw); err != nil {
		t.Fatal(err)
	}
	headLen := bytes.Index(raw, []byte("\r\n\r\n")) + 4
	lookalike := "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request"
	copy(value[4096-headLen:], lookalike)
	put(value)
	res := rawExchange(t, addr, get)[0]
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !bytes.Equal(b, value) {
		t.Fatalf("GET of a value holding a lookalike at offset %d: status %d, %d bytes, intact %v", 4096-headLen, res.StatusCode, len(b), bytes.Equal(b, value))
	}
}
