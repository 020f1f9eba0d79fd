package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/server"
	"github.com/cachekit-io/cachekit-go/server/memstore"
)

// API keys used by the tests: tenant "acme" has one key of each class and a
// namespace-restricted one; tenant "globex" has an SDK and a legacy key.
const (
	sdkA  = "ck_sdk_acme_0123456789abcdef"
	apiA  = "ck_api_acme_0123456789abcdef"
	liveA = "ck_live_acme_0123456789abcdef"
	usrA  = "ck_live_acme_users_only_0123456789"
	sdkB  = "ck_sdk_globex_0123456789abcdef"
	liveB = "ck_live_globex_0123456789abcdef"
)

var testKeys = []server.KeyEntry{
	{Key: sdkA, Tenant: "acme"},
	{Key: apiA, Tenant: "acme"},
	{Key: liveA, Tenant: "acme"},
	{Key: usrA, Tenant: "acme", Namespaces: []string{"users"}},
	{Key: sdkB, Tenant: "globex"},
	{Key: liveB, Tenant: "globex"},
}

// fakeClock is the server's clock in tests; it starts at a whole second plus
// an offset so that whole-second stamping is visible.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(offset time.Duration) *fakeClock {
	return &fakeClock{t: time.Unix(time.Now().Unix()+100, 0).Add(offset)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// whole returns the clock's current whole second.
func (c *fakeClock) whole() time.Time { return time.Unix(c.Now().Unix(), 0) }

type env struct {
	t     *testing.T
	srv   *httptest.Server
	clock *fakeClock
	store core.Backend
}

type envOption func(*server.Config)

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	keys, err := server.NewStaticKeys(testKeys)
	if err != nil {
		t.Fatal(err)
	}
	clock := newClock(300 * time.Millisecond)
	cfg := server.Config{Storage: memstore.New(), Keys: keys, Now: clock.Now}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Through WrapListener, as cachekit-server serves: every test then
	// passes through it too.
	ts := httptest.NewUnstartedServer(s)
	ts.Listener = s.WrapListener(ts.Listener)
	ts.Start()
	t.Cleanup(ts.Close)
	return &env{t: t, srv: ts, clock: clock, store: cfg.Storage}
}

// req describes one request; path is sent on the wire exactly as written.
type req struct {
	method, path, key string
	hdr               map[string]string
	body              []byte
	noL1              bool
}

type resp struct {
	status int
	h      http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

func (e *env) do(q req) resp {
	e.t.Helper()
	u, _ := url.Parse(e.srv.URL)
	var body io.Reader = http.NoBody
	if q.body != nil {
		body = bytes.NewReader(q.body)
	}
	r, err := http.NewRequestWithContext(context.Background(), q.method, e.srv.URL, body)
	if err != nil {
		e.t.Fatal(err)
	}
	// Opaque makes net/http send the path byte for byte (origin-form);
	// absolute-form is exercised too, by the "abs:" prefix.
	if p, ok := strings.CutPrefix(q.path, "abs:"); ok {
		r.URL = &url.URL{Scheme: u.Scheme, Host: u.Host, Opaque: "//" + u.Host + p}
	} else {
		r.URL = &url.URL{Scheme: u.Scheme, Host: u.Host, Opaque: q.path}
	}
	if q.key != "" {
		r.Header.Set("Authorization", "Bearer "+q.key)
	}
	if !q.noL1 {
		r.Header.Set("X-CacheKit-L1-Status", "miss")
	}
	for k, v := range q.hdr {
		r.Header.Set(k, v)
	}
	res, err := e.srv.Client().Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, h: res.Header, body: b}
}

func (e *env) mustStatus(q req, want int) resp {
	e.t.Helper()
	r := e.do(q)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d, want %d (body %q)", q.method, q.path, r.status, want, r.body)
	}
	return r
}

func (e *env) put(key, path string, value string, hdr map[string]string) {
	e.t.Helper()
	e.mustStatus(req{method: "PUT", path: path, key: key, body: []byte(value), hdr: hdr}, 200)
}

func ttlHdr(ttl string) map[string]string { return map[string]string{"X-CacheKit-TTL": ttl} }
