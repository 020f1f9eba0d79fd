package server_test

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/server"
	"github.com/cachekit-io/cachekit-go/server/memstore"
)

// The API keys of the request fuzz target, one per class, and a key of a
// tenant that never writes (for the isolation check).
const (
	fzSDK   = "ck_sdk_fuzz_0123456789abcdef"
	fzAPI   = "ck_api_fuzz_0123456789abcdef"
	fzLive  = "ck_live_fuzz_users_0123456789"
	fzOther = "ck_live_fzother_0123456789abcd"
)

// fzAuth is the Authorization header per selector: each key class (the
// scheme is case-insensitive and may be followed by several spaces, as
// HTTP allows), then none and malformed or unknown credentials.
var fzAuth = []struct {
	value string
	valid bool
}{
	{"Bearer " + fzSDK, true}, {"Bearer " + fzAPI, true}, {"Bearer " + fzLive, true},
	{"bearer  " + fzSDK, true}, {"", false}, {"Bearer ck_sdk_fuzz_0123456789abcdeX", false},
	{"Basic " + fzSDK, false}, {"Bearer", false}, {"Token " + fzAPI, false},
}

// lockedBuffer is a log sink safe for the handler's concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	l.b.Reset()
	return s
}

// fzServe parses raw as net/http's server would and serves it with h; ok
// is false when net/http would have refused the request itself. It returns
// the parsed request and the body it carried, which is what the text of
// raw says it is (its Content-Length, its own header lines), not
// necessarily what the caller meant to send.
func fzServe(h http.Handler, raw string) (rec *httptest.ResponseRecorder, r *http.Request, body []byte, ok bool) {
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		return nil, nil, nil, false
	}
	if body, err = io.ReadAll(r.Body); err != nil {
		return nil, nil, nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec, r, body, true
}

// fzRequest is the text of one HTTP/1.1 request.
func fzRequest(method, target, auth, l1, hname, hval string, body []byte) string {
	var b strings.Builder
	b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: cache.example\r\n")
	if auth != "" {
		b.WriteString("Authorization: " + auth + "\r\n")
	}
	if l1 != "" {
		b.WriteString("X-CacheKit-L1-Status: " + l1 + "\r\n")
	}
	if hname != "" {
		b.WriteString(hname + ": " + hval + "\r\n")
	}
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	b.Write(body)
	return b.String()
}

// FuzzServerRequest drives the server's handler with fuzzed methods,
// request targets (path and query), one extra header, bodies and
// credentials, parsed by net/http exactly as a listening server would. On
// every request: no panic and no 5xx (the store is in memory and never
// fails); Cache-Control: no-store and Vary: Authorization; a 405 names what
// is allowed; no API key in the response or the logs; nothing but OPTIONS
// and the liveness probe answers 2xx without a valid key. A PUT that
// succeeds reads back, with the same key, as exactly the bytes written, and
// reads as not found by another tenant; after a DELETE it reads as not
// found.
func FuzzServerRequest(f *testing.F) {
	keys, err := server.NewStaticKeys([]server.KeyEntry{
		{Key: fzSDK, Tenant: "fuzz"},
		{Key: fzAPI, Tenant: "fuzz"},
		{Key: fzLive, Tenant: "fuzz", Namespaces: []string{"users"}},
		{Key: fzOther, Tenant: "fzother"},
	})
	if err != nil {
		f.Fatal(err)
	}
	logs := &lockedBuffer{}
	now := time.Unix(1_800_000_000, 250_000_000)
	srv, err := server.New(server.Config{
		Storage: memstore.New(),
		Keys:    keys,
		Logger:  slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:     func() time.Time { return now },
		// Small, so that the 413 path is reachable.
		MaxValueBytes: 1 << 10,
	})
	if err != nil {
		f.Fatal(err)
	}

	f.Add("PUT", "/v1/cache/user%3A1", uint8(0), "X-CacheKit-TTL", "60", []byte("value"))
	f.Add("GET", "/v1/cache/ns:app:k?x=1&y", uint8(1), "If-None-Match", "*", []byte(nil))
	f.Add("PUT", "/v1/cache/users:a/b/../c", uint8(2), "X-CacheKit-Stale-TTL", "5", []byte{0, 1, 2})
	f.Add("PATCH", "/v1/cache/k/ttl", uint8(0), "Content-Type", "application/json", []byte(`{"ttl":30}`))
	f.Add("POST", "/v1/cache/k/lock", uint8(1), "Content-Type", "application/json", []byte(`{"timeout_ms":500}`))
	f.Add("DELETE", "/v1/cache/k/lock?lock_id=abc", uint8(0), "X-CacheKit-Lock-Id", "abc", []byte(nil))
	f.Add("GET", "/v1/cache/health", uint8(3), "Origin", "https://evil.example", []byte(nil))
	f.Add("OPTIONS", "/v1/cache/%2e%2e/x", uint8(4), "Access-Control-Request-Method", "PUT", []byte(nil))
	f.Add("HEAD", "/v1/cache/nsapi:x:y", uint8(5), "X-TTL", "0", []byte(nil))
	f.Add("GET", "http://cache.example/v1/cache/a%252e%252e\\b", uint8(6), "X-CacheKit-L1-Status", "hit", []byte(nil))
	f.Add("PUT", "/v1/cache/big", uint8(0), "X-CacheKit-TTL", "2592000", bytes.Repeat([]byte("x"), 1025))
	f.Add("GET", "/livez", uint8(7), "", "", []byte(nil))
	f.Fuzz(func(t *testing.T, method, target string, authSel uint8, hname, hval string, body []byte) {
		auth := fzAuth[int(authSel)%len(fzAuth)].value
		l1 := ""
		if authSel&0x80 == 0 {
			l1 = "miss"
		}
		raw := fzRequest(method, target, auth, l1, hname, hval, body)
		rec, r, sent, ok := fzServe(srv, raw)
		if !ok {
			return
		}
		check := func(what string, rec *httptest.ResponseRecorder) {
			t.Helper()
			res := rec.Result()
			if res.StatusCode >= 500 || res.StatusCode < 200 {
				t.Fatalf("%s: status %d (body %q)\n%q", what, res.StatusCode, rec.Body.Bytes(), raw)
			}
			if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Vary") != "Authorization" {
				t.Fatalf("%s: headers %v lack Cache-Control: no-store or Vary: Authorization", what, res.Header)
			}
			if res.StatusCode == http.StatusMethodNotAllowed && res.Header.Get("Allow") == "" {
				t.Fatalf("%s: 405 without Allow", what)
			}
			var hdr strings.Builder
			_ = res.Header.Write(&hdr)
			text := hdr.String() + rec.Body.String() + logs.take()
			for _, k := range []string{fzSDK, fzAPI, fzLive, fzOther, "0123456789abcde"} {
				if strings.Contains(text, k) {
					t.Fatalf("%s: an API key shows in the response or the logs:\n%s", what, text)
				}
			}
		}
		check("request", rec)

		valid := fzAuth[int(authSel)%len(fzAuth)].valid
		if !valid && rec.Code < 300 && r.Method != http.MethodOptions && !strings.HasPrefix(r.RequestURI, "/livez") {
			t.Fatalf("status %d without a valid key:\n%q", rec.Code, raw)
		}
		if r.Method != http.MethodPut || rec.Code != http.StatusOK {
			return
		}
		// A PUT that succeeded: read it back, from this tenant and another.
		get := func(method, auth string) *httptest.ResponseRecorder {
			rec, _, _, ok := fzServe(srv, fzRequest(method, target, auth, "miss", "", "", nil))
			if !ok {
				t.Fatalf("%s of an accepted PUT's target does not parse", method)
			}
			check(method, rec)
			return rec
		}
		got := get("GET", auth)
		if got.Code == http.StatusMethodNotAllowed {
			return // not the entry route (a lock or ttl route, say)
		}
		if got.Code != http.StatusOK || !bytes.Equal(got.Body.Bytes(), sent) {
			t.Fatalf("PUT %q stored %q; GET gives %d %q", target, sent, got.Code, got.Body.Bytes())
		}
		if o := get("GET", "Bearer "+fzOther); o.Code != http.StatusNotFound {
			t.Fatalf("another tenant reads %q: %d %q", target, o.Code, o.Body.Bytes())
		}
		if d := get("DELETE", auth); d.Code >= 300 {
			t.Fatalf("DELETE of a stored entry: %d %q", d.Code, d.Body.Bytes())
		}
		if g := get("GET", auth); g.Code != http.StatusNotFound {
			t.Fatalf("GET after DELETE: %d %q", g.Code, g.Body.Bytes())
		}
	})
}
