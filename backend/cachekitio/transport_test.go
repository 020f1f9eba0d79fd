package cachekitio_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/cachekit-io/cachekit-go/backend/cachekitio"
	"github.com/cachekit-io/cachekit-go/core"
)

// fakeTransport answers every request itself: no connection is made.
type fakeTransport struct {
	mu     sync.Mutex
	reqs   []*http.Request
	closed int
}

func (f *fakeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, r)
	f.mu.Unlock()
	if r.Body != nil {
		_ = r.Body.Close()
	}
	body := "v"
	return &http.Response{StatusCode: 200, Header: http.Header{"X-Cachekit-Freshness": {"fresh"}},
		ContentLength: int64(len(body)), Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

func (f *fakeTransport) CloseIdleConnections() { f.mu.Lock(); f.closed++; f.mu.Unlock() }

// WithTransport sends every request through the given RoundTripper, which
// even reaches a loopback URL (no dial guard applies) when the endpoint is
// explicitly insecure; Close reaches its CloseIdleConnections.
func TestWithTransport(t *testing.T) {
	ft := &fakeTransport{}
	b, err := cachekitio.New(cachekitio.WithoutEnv(), cachekitio.WithAPIKey("ck_sdk_transport_test"),
		cachekitio.WithInsecureCustomEndpoint("https://127.0.0.1:1"), cachekitio.WithTransport(ft))
	if err != nil {
		t.Fatal(err)
	}
	e, found, err := b.Get(t.Context(), "k")
	if err != nil || !found || !bytes.Equal(e.Value, []byte("v")) {
		t.Fatalf("Get through the transport: %v %v %q", err, found, e.Value)
	}
	if len(ft.reqs) != 1 || ft.reqs[0].URL.String() != "https://127.0.0.1:1/v1/cache/k" ||
		ft.reqs[0].Header.Get("Authorization") != "Bearer ck_sdk_transport_test" {
		t.Fatalf("requests: %v", ft.reqs)
	}
	if err := b.Close(); err != nil || ft.closed != 1 {
		t.Fatalf("Close: %v, CloseIdleConnections called %d times", err, ft.closed)
	}
}

// The URL rules still hold with a custom transport, and a nil one is a
// configuration error.
func TestWithTransportKeepsURLChecks(t *testing.T) {
	ft := &fakeTransport{}
	for _, opts := range [][]cachekitio.Option{
		{cachekitio.WithURL("http://api.cachekit.io")},                              // not HTTPS
		{cachekitio.WithURL("https://127.0.0.1"), cachekitio.WithAllowCustomHost()}, // loopback
		{cachekitio.WithURL("https://cache.example.com")},                           // not allow-listed
		{cachekitio.WithTransport(nil)},
	} {
		all := append([]cachekitio.Option{cachekitio.WithoutEnv(), cachekitio.WithAPIKey("ck_sdk_x"),
			cachekitio.WithTransport(ft)}, opts...)
		if _, err := cachekitio.New(all...); core.KindOf(err) != core.KindConfig {
			t.Errorf("want KindConfig, got %v", err)
		}
	}
	if len(ft.reqs) != 0 {
		t.Fatalf("a rejected configuration sent %d requests", len(ft.reqs))
	}
}

// failingTransport fails every round trip with a classified error.
type failingTransport struct {
	mu    sync.Mutex
	calls int
	err   error
}

func (f *failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	return nil, f.err
}

// A transport's own classification wins: a KindConfig failure (an untrusted
// certificate) is returned as KindConfig and not retried; an unclassified
// failure stays transient and is retried.
func TestWithTransportErrorKinds(t *testing.T) {
	for _, tc := range []struct {
		err       error
		kind      core.Kind
		wantCalls int
	}{
		{core.NewError(core.KindConfig, "fetch", "certificate not trusted", nil), core.KindConfig, 1},
		{io.ErrUnexpectedEOF, core.KindTransient, 3},
	} {
		ft := &failingTransport{err: tc.err}
		b, err := cachekitio.New(cachekitio.WithoutEnv(), cachekitio.WithAPIKey("ck_sdk_transport_test"),
			cachekitio.WithInsecureCustomEndpoint("https://127.0.0.1:1"), cachekitio.WithTransport(ft),
			cachekitio.WithMaxRetries(2))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = b.Get(t.Context(), "k")
		if got := core.KindOf(err); got != tc.kind {
			t.Errorf("%v: kind %v, want %v", tc.err, got, tc.kind)
		}
		if ft.calls != tc.wantCalls {
			t.Errorf("%v: %d round trips, want %d", tc.err, ft.calls, tc.wantCalls)
		}
		if strings.Contains(err.Error(), "ck_sdk_transport_test") {
			t.Errorf("API key in error: %v", err)
		}
	}
}
