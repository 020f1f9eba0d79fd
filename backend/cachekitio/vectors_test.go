package cachekitio

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// The vendored vectors are byte-identical to the protocol's (SHA256SUMS).
var vectorSums = map[string]string{
	"path-encoding.json":     "52b3ca2c102b5065162bfe05e485b458237cdd8948be1d7acd1c86f026a90c31",
	"freshness-headers.json": "74beb975b6855f52d9dd453279873faf8048a9c3c79a8167cfda099beec5fcd3",
}

func TestVectorChecksums(t *testing.T) {
	for name, want := range vectorSums {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != want {
			t.Errorf("testdata/%s: sha256 %x, want %s (vendor vectors unchanged)", name, got, want)
		}
	}
}

type pathVector struct {
	Key        string   `json:"key"`
	Encoded    *string  `json:"encoded"`
	Decoded    *string  `json:"decoded"`
	Reject     bool     `json:"reject"`
	Alternates []string `json:"encoded_alternates"`
	Note       string   `json:"note"`
}

func loadPathVectors(t *testing.T) []pathVector {
	t.Helper()
	b, err := os.ReadFile("testdata/path-encoding.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Vectors []pathVector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) < 20 {
		t.Fatalf("only %d path vectors", len(f.Vectors))
	}
	return f.Vectors
}

// recorder is a TLS test server that records every request's raw target.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
	uris []string
	h    http.HandlerFunc
	srv  *httptest.Server
}

func newRecorder(t *testing.T, h http.HandlerFunc) *recorder {
	t.Helper()
	r := &recorder{h: h}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		r.mu.Lock()
		r.reqs = append(r.reqs, q)
		r.uris = append(r.uris, q.RequestURI)
		r.mu.Unlock()
		if r.h != nil {
			r.h(w, q)
			return
		}
		w.WriteHeader(200)
	}))
	r.srv.EnableHTTP2 = true
	r.srv.StartTLS()
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.uris)
}

func (r *recorder) last() (*http.Request, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.uris) == 0 {
		return nil, ""
	}
	return r.reqs[len(r.reqs)-1], r.uris[len(r.uris)-1]
}

func (r *recorder) backend(t *testing.T, opts ...Option) *Backend {
	t.Helper()
	pool := r.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	b, err := newBackend(append([]Option{
		WithoutEnv(), WithAPIKey(testKey), WithInsecureCustomEndpoint(r.srv.URL),
		WithRootCAs(pool), withRetryBackoff(time.Millisecond),
	}, opts...), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

const testKey = "ck_sdk_test_SECRET_0123456789abcdef"

// Every path vector: the encoding is the reference form (or an allowed
// alternate), and on the wire the parsed request path carries exactly it
// for every endpoint (API-4..7, API-11, API-15, API-17). Most transmittable
// rows are keys the service rejects (its charset), which the backend
// refuses before sending (TestKeyValidation); the wire is checked with that
// check switched off (withAnyKey), and the default backend must refuse
// exactly the rows ValidateKey refuses, sending nothing for them.
func TestPathEncodingVectors(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.RequestURI, "/lock") && r.Method == http.MethodPost:
			_, _ = w.Write([]byte(`{"lock_id":"L"}`))
		case strings.HasSuffix(r.RequestURI, "/ttl"):
			_, _ = w.Write([]byte(`{"ttl":5,"updated":true}`))
		default:
			w.WriteHeader(200)
		}
	})
	b := rec.backend(t, withAnyKey())
	strict := keyOps(t, rec.backend(t))
	ctx := t.Context()
	ops := []struct {
		sub string
		do  func(key string) error
	}{
		{"", func(k string) error { _, _, err := b.Get(ctx, k); return err }},
		{"", func(k string) error { return b.Set(ctx, k, []byte("v"), time.Minute) }},
		{"", func(k string) error { return b.Delete(ctx, k) }},
		{"", func(k string) error { _, err := b.Exists(ctx, k); return err }},
		{"/ttl", func(k string) error { _, _, err := b.TTL(ctx, k); return err }},
		{"/ttl", func(k string) error { _, err := b.Expire(ctx, k, time.Minute); return err }},
		{"/lock", func(k string) error { _, _, err := b.Lock(ctx, k, time.Second); return err }},
		{"/lock", func(k string) error { _, err := b.Unlock(ctx, k, "L"); return err }},
	}
	for _, v := range loadPathVectors(t) {
		if v.Reject {
			if v.Encoded != nil || v.Decoded != nil {
				t.Fatalf("reject row %q has an encoding", v.Key)
			}
			// API-9/14: raised before a URL is built: no request at all.
			before := rec.count()
			for i, op := range ops {
				err := op.do(v.Key)
				if core.KindOf(err) != core.KindInvalidInput {
					t.Errorf("reserved key %q, op %d: error %v, want KindInvalidInput", v.Key, i, err)
				}
			}
			if n := rec.count() - before; n != 0 {
				t.Errorf("reserved key %q: %d requests sent", v.Key, n)
			}
			continue
		}
		if ValidateKey(v.Key) != nil {
			before := rec.count()
			for i, op := range strict {
				if err := op(v.Key); core.KindOf(err) != core.KindInvalidInput {
					t.Errorf("key %q, op %d with the key check: %v, want KindInvalidInput", v.Key, i, err)
				}
			}
			if n := rec.count() - before; n != 0 {
				t.Errorf("key %q: %d requests sent with the key check on", v.Key, n)
			}
		}
		allowed := append([]string{*v.Encoded}, v.Alternates...)
		enc := encodeKey(v.Key)
		if !contains(allowed, enc) {
			t.Errorf("encodeKey(%q) = %q, want one of %q", v.Key, enc, allowed)
		}
		for i, op := range ops {
			if err := op.do(v.Key); err != nil {
				t.Fatalf("key %q op %d: %v", v.Key, i, err)
			}
			req, uri := rec.last()
			// Parse the request target as the server did, and compare the
			// parsed path, not a template string.
			pu, err := url.ParseRequestURI(uri)
			if err != nil {
				t.Fatalf("key %q: request target %q does not parse: %v", v.Key, uri, err)
			}
			want := "/v1/cache/" + enc + op.sub
			if pu.EscapedPath() != want || req.URL.EscapedPath() != want {
				t.Errorf("key %q op %d: parsed path %q, want %q", v.Key, i, pu.EscapedPath(), want)
			}
			if pu.RawQuery != "" || pu.Fragment != "" {
				t.Errorf("key %q op %d: request carries a query or fragment: %q", v.Key, i, uri)
			}
			// The server's single decode of the key segment gives the key.
			seg := strings.TrimSuffix(strings.TrimPrefix(pu.EscapedPath(), "/v1/cache/"), op.sub)
			if strings.Contains(seg, "/") {
				t.Errorf("key %q: more than one segment: %q", v.Key, seg)
			}
			if dec, err := url.PathUnescape(seg); err != nil || dec != *v.Decoded || dec != v.Key {
				t.Errorf("key %q: segment %q decodes to %q (%v), want %q", v.Key, seg, dec, err, *v.Decoded)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// latin1 turns a vector's value (each character one byte, U+0000-U+00FF)
// into the bytes an HTTP stack delivers.
func latin1(t *testing.T, s string) string {
	t.Helper()
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			t.Fatalf("vector value has character %U above U+00FF", r)
		}
		b = append(b, byte(r))
	}
	return string(b)
}

type freshnessVectors struct {
	Freshness []struct {
		Name  string  `json:"name"`
		Value *string `json:"value"`
		Stale bool    `json:"stale"`
	} `json:"freshness_vectors"`
	FreshFor []struct {
		Name     string  `json:"name"`
		Value    *string `json:"value"`
		FreshFor *int64  `json:"fresh_for"`
	} `json:"fresh_for_vectors"`
}

func loadFreshnessVectors(t *testing.T) freshnessVectors {
	t.Helper()
	b, err := os.ReadFile("testdata/freshness-headers.json")
	if err != nil {
		t.Fatal(err)
	}
	var f freshnessVectors
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Freshness) < 9 || len(f.FreshFor) < 20 {
		t.Fatalf("too few freshness vectors: %d, %d", len(f.Freshness), len(f.FreshFor))
	}
	return f
}

// Every freshness vector, through the parsers and end to end through Get
// over HTTP (API-18, API-32/33/34).
func TestFreshnessHeaderVectors(t *testing.T) {
	f := loadFreshnessVectors(t)
	var mu sync.Mutex
	var name, value string
	var present bool
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if present {
			w.Header()[name] = []string{value}
		}
		_, _ = w.Write([]byte("v"))
	})
	b := rec.backend(t)
	serve := func(n, v string, p bool) core.Freshness {
		mu.Lock()
		name, value, present = n, v, p
		mu.Unlock()
		e, found, err := b.Get(t.Context(), "k")
		if err != nil || !found {
			t.Fatalf("Get: %v %v", found, err)
		}
		return e.Freshness
	}
	for _, v := range f.Freshness {
		val, p := "", v.Value != nil
		if p {
			val = latin1(t, *v.Value)
		}
		if got := parseStale(val, p); got != v.Stale {
			t.Errorf("%s: parseStale = %v, want %v", v.Name, got, v.Stale)
		}
		if got := serve(hdrFreshness, val, p); got.Stale != v.Stale {
			t.Errorf("%s over HTTP: Stale = %v, want %v", v.Name, got.Stale, v.Stale)
		}
	}
	for _, v := range f.FreshFor {
		val, p := "", v.Value != nil
		if p {
			val = latin1(t, *v.Value)
		}
		secs, known := parseFreshFor(val, p)
		if (v.FreshFor == nil) != !known || (v.FreshFor != nil && secs != *v.FreshFor) {
			t.Errorf("%s: parseFreshFor = (%d, %v), want %v", v.Name, secs, known, v.FreshFor)
		}
		got := serve(hdrFreshFor, val, p)
		if v.FreshFor == nil {
			if got.Known || got.Stale {
				t.Errorf("%s over HTTP: %+v, want unknown (no server bound)", v.Name, got)
			}
			continue
		}
		if want := time.Duration(*v.FreshFor) * time.Second; !got.Known || got.FreshFor != want {
			t.Errorf("%s over HTTP: %+v, want Known FreshFor %v", v.Name, got, want)
		}
		// API-29/30: an upper tier's copy lives at most min(local, fresh_for),
		// and 0 means no copy.
		ttl, ok := got.Bound(time.Hour)
		if *v.FreshFor == 0 && ok {
			t.Errorf("%s: Bound allows a copy of an exhausted entry", v.Name)
		}
		if *v.FreshFor > 0 && (!ok || ttl != min(time.Hour, got.FreshFor)) {
			t.Errorf("%s: Bound = %v %v", v.Name, ttl, ok)
		}
	}
	// API-58: a stale response is never copied up, whatever Fresh-For says.
	mu.Lock()
	present = false
	mu.Unlock()
	stale := freshnessOf(http.Header{hdrFreshness: {"stale"}, hdrFreshFor: {"30"}})
	if _, ok := stale.Bound(time.Hour); ok || !stale.Stale {
		t.Errorf("stale entry: %+v may be copied", stale)
	}
	if errors.Is(nil, core.ErrAuth) {
		t.Fatal("unreachable")
	}
}
