//go:build js && wasm

package workers_test

// These tests run in a JavaScript host: under Node (go_js_wasm_exec) and,
// the same compiled test binary, inside workerd. The host test in
// e2e_test.go starts the reference server and a local HTTP server and
// passes their addresses in the environment; run alone, they skip.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/backend/cachekitio"
	"github.com/cachekit-io/cachekit-go/backend/cachekitio/cachekitiotest"
	"github.com/cachekit-io/cachekit-go/backend/workers"
	"github.com/cachekit-io/cachekit-go/conformance"
	"github.com/cachekit-io/cachekit-go/core"
)

// Environment set by the host test.
const (
	envURL    = "CACHEKIT_WORKERS_TEST_URL"     // the reference server (HTTPS)
	envKey    = "CACHEKIT_WORKERS_TEST_KEY"     // an SDK key it accepts
	envAux    = "CACHEKIT_WORKERS_TEST_AUX"     // a local HTTP server for the Transport tests
	envAuxTLS = "CACHEKIT_WORKERS_TEST_AUX_TLS" // an HTTPS server whose CA nobody trusts (Node only)
	envMax    = "CACHEKIT_WORKERS_TEST_MAX"     // the server's value limit
)

func env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatalf("%s is not set: run go test in backend/workers on the host, which starts the servers and runs this", name)
		}
		t.Skipf("%s is not set: these tests are run by the host test (go test in backend/workers), which starts the servers", name)
	}
	return v
}

// TestJSConformance runs the conformance suite for the workers backend
// against the reference server.
func TestJSConformance(t *testing.T) {
	url, key := env(t, envURL), env(t, envKey)
	max, err := strconv.Atoi(env(t, envMax))
	if err != nil {
		t.Fatal(err)
	}
	conformance.RunBackend(t, conformance.Harness{
		New: func(t *testing.T) core.Backend {
			b, err := workers.New(cachekitio.WithoutEnv(), cachekitio.WithAPIKey(key),
				cachekitio.WithInsecureCustomEndpoint(url))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			return cachekitiotest.HashKeys(b)
		},
		// As for backend/cachekitio: whole-second stamping and whole-second
		// X-CacheKit-Fresh-For.
		TTLResolution:        2 * time.Second,
		MaxValueSize:         max,
		EnforcesMaxValueSize: true,
		NoFreshness:          true,
	})
}

// A wrong API key is KindAuth, and no error text shows the key.
func TestJSBadKey(t *testing.T) {
	url := env(t, envURL)
	const bad = "ck_sdk_wrong_0123456789"
	b, err := workers.New(cachekitio.WithoutEnv(), cachekitio.WithAPIKey(bad),
		cachekitio.WithInsecureCustomEndpoint(url), cachekitio.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = b.Get(t.Context(), "workers:badkey")
	if core.KindOf(err) != core.KindAuth {
		t.Fatalf("want KindAuth, got %v (%v)", core.KindOf(err), err)
	}
	for _, s := range []string{err.Error(), fmt.Sprintf("%v %+v %#v", err, err, err), fmt.Sprint(b)} {
		if strings.Contains(s, bad) {
			t.Fatalf("the API key leaked: %s", s)
		}
	}
}

// TestJSTransport checks the Transport's contract against a local server.
func TestJSTransport(t *testing.T) {
	aux := env(t, envAux)
	rt := &workers.Transport{}
	do := func(t *testing.T, rt http.RoundTripper, ctx context.Context, method, path string, body []byte, h http.Header) (*http.Response, error) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, aux+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body == nil {
			req.Body = http.NoBody
		}
		for k, v := range h {
			req.Header[k] = v
		}
		return rt.RoundTrip(req)
	}
	readAll := func(t *testing.T, res *http.Response) []byte {
		t.Helper()
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	t.Run("Echo", func(t *testing.T) {
		body := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
		res, err := do(t, rt, t.Context(), "PUT", "/echo", body, http.Header{
			"Authorization": {"Bearer secret"}, "X-Cachekit-Ttl": {"60"}, "Connection": {"close"}})
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Method  string              `json:"method"`
			Headers map[string][]string `json:"headers"`
			Len     int                 `json:"len"`
			SHA     string              `json:"sha"`
		}
		if err := json.Unmarshal(readAll(t, res), &got); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(body)
		if res.StatusCode != 200 || got.Method != "PUT" || got.Len != len(body) || got.SHA != hex.EncodeToString(sum[:]) {
			t.Fatalf("echo: %d %+v", res.StatusCode, got)
		}
		if got.Headers["Authorization"][0] != "Bearer secret" || got.Headers["X-Cachekit-Ttl"][0] != "60" {
			t.Fatalf("headers not sent: %v", got.Headers)
		}
		if res.Header.Get("X-Echo") != "yes" || res.ContentLength <= 0 {
			t.Fatalf("response headers: %v, length %d", res.Header, res.ContentLength)
		}
	})

	t.Run("Head", func(t *testing.T) {
		res, err := do(t, rt, t.Context(), "HEAD", "/echo", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if b := readAll(t, res); res.StatusCode != 200 || len(b) != 0 {
			t.Fatalf("HEAD: %d, %d body bytes", res.StatusCode, len(b))
		}
	})

	t.Run("RedirectNotFollowed", func(t *testing.T) {
		res, err := do(t, rt, t.Context(), "GET", "/redirect", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, res)
		if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/echo" {
			t.Fatalf("redirect: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
	})

	t.Run("Gzip", func(t *testing.T) {
		res, err := do(t, rt, t.Context(), "GET", "/gzip", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		b := readAll(t, res)
		if string(b) != strings.Repeat("hello gzip\n", 1000) {
			t.Fatalf("gzip body: %d bytes %q…", len(b), b[:min(len(b), 20)])
		}
		if res.ContentLength != -1 || !res.Uncompressed || res.Header.Get("Content-Encoding") != "" {
			t.Fatalf("decoded response: length %d, uncompressed %v, encoding %q",
				res.ContentLength, res.Uncompressed, res.Header.Get("Content-Encoding"))
		}
	})

	t.Run("StreamedBody", func(t *testing.T) {
		const n = 3<<20 + 7
		res, err := do(t, rt, t.Context(), "GET", "/big?n="+strconv.Itoa(n), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		b := readAll(t, res)
		if len(b) != n || !bytes.Equal(b, pattern(n)) {
			t.Fatalf("streamed body: %d bytes, want %d", len(b), n)
		}
	})

	t.Run("ResponseBound", func(t *testing.T) {
		bounded := &workers.Transport{MaxResponseBytes: 1000}
		res, err := do(t, bounded, t.Context(), "GET", "/big?n=1000", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if b := readAll(t, res); len(b) != 1000 {
			t.Fatalf("at the bound: %d bytes", len(b))
		}
		res, err = do(t, bounded, t.Context(), "GET", "/big?n=50000", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if core.KindOf(err) != core.KindPayloadTooLarge || len(b) > 1000 {
			t.Fatalf("over the bound: %d bytes, %v", len(b), err)
		}
	})

	t.Run("RequestBound", func(t *testing.T) {
		bounded := &workers.Transport{MaxRequestBytes: 10}
		_, err := do(t, bounded, t.Context(), "PUT", "/refused", []byte("eleven byte"), nil)
		if core.KindOf(err) != core.KindPayloadTooLarge {
			t.Fatalf("want KindPayloadTooLarge, got %v", err)
		}
		res, err := do(t, rt, t.Context(), "GET", "/hits", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if b := readAll(t, res); string(b) != "0" {
			t.Fatalf("the refused body reached the server (%s hits)", b)
		}
	})

	t.Run("DeadlineBeforeHeaders", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := do(t, rt, ctx, "GET", "/hang-headers", nil, nil)
		if core.KindOf(err) != core.KindTimeout || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want KindTimeout wrapping DeadlineExceeded, got %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("the abort took %v", d)
		}
	})

	t.Run("CancelDuringBody", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		res, err := do(t, rt, ctx, "GET", "/hang-body", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		first := make([]byte, 5)
		if _, err := io.ReadFull(res.Body, first); err != nil || string(first) != "start" {
			t.Fatalf("first bytes: %q %v", first, err)
		}
		time.AfterFunc(100*time.Millisecond, cancel)
		_, err = io.ReadAll(res.Body)
		if core.KindOf(err) != core.KindCanceled || !errors.Is(err, context.Canceled) {
			t.Fatalf("want KindCanceled, got %v", err)
		}
	})

	t.Run("CloseEarly", func(t *testing.T) {
		res, err := do(t, rt, t.Context(), "GET", "/big?n=4000000", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 10)
		if _, err := io.ReadFull(res.Body, buf); err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if _, err := res.Body.Read(buf); err == nil || err == io.EOF {
			t.Fatalf("read after Close: %v", err)
		}
	})

	t.Run("ConnectionRefused", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://127.0.0.1:1/", nil)
		_, err := rt.RoundTrip(req)
		if core.KindOf(err) != core.KindTransient {
			t.Fatalf("want KindTransient, got %v", err)
		}
	})

	t.Run("BadHeaderIsAnErrorNotAPanic", func(t *testing.T) {
		_, err := do(t, rt, t.Context(), "GET", "/echo", nil, http.Header{"X-Bad": {"a\nb"}})
		if core.KindOf(err) != core.KindInvalidInput {
			t.Fatalf("want KindInvalidInput, got %v", err)
		}
	})

	t.Run("UntrustedCertificate", func(t *testing.T) {
		u := os.Getenv(envAuxTLS)
		if u == "" {
			t.Skip("only under Node, where the rejection carries a code")
		}
		req, _ := http.NewRequestWithContext(t.Context(), "GET", u+"/echo", nil)
		_, err := rt.RoundTrip(req)
		if core.KindOf(err) != core.KindConfig {
			t.Fatalf("want KindConfig, got %v", err)
		}
	})
}

// pattern is the body /big serves: byte i is i*7 mod 251.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7 % 251)
	}
	return b
}
