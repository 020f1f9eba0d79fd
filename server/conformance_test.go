package server_test

import (
	"crypto/x509"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/backend/cachekitio"
	"github.com/cachekit-io/cachekit-go/backend/cachekitio/cachekitiotest"
	"github.com/cachekit-io/cachekit-go/conformance"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/l1/bigcache"
	"github.com/cachekit-io/cachekit-go/server"
	"github.com/cachekit-io/cachekit-go/server/devcert"
	"github.com/cachekit-io/cachekit-go/server/memstore"
)

// conformanceValueLimit is the server's value limit in the in-process runs:
// the suite's large values are this size, and one byte more must be refused.
const conformanceValueLimit = 2 << 20

// startTLS serves s over TLS (HTTP/2 offered) with a certificate from a CA
// made for this test, and returns the URL and the CA pool.
func startTLS(t testing.TB, h *server.Server) (string, *x509.CertPool) {
	t.Helper()
	bundle, err := devcert.New("127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(h)
	ts.TLS = bundle.ServerTLSConfig()
	ts.EnableHTTP2 = true
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts.URL, bundle.Pool
}

func newServer(t testing.TB, storage core.Backend, maxValue int64, opts ...envOption) *server.Server {
	t.Helper()
	keys, err := server.NewStaticKeys(testKeys)
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{Storage: storage, Keys: keys, MaxValueBytes: maxValue}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// harness returns the conformance harness for cachekitio against url.
func harness(url string, pool *x509.CertPool, maxValue int) conformance.Harness {
	return conformance.Harness{
		New: func(t *testing.T) core.Backend {
			b, err := cachekitio.New(cachekitio.WithoutEnv(), cachekitio.WithAPIKey(sdkA),
				cachekitio.WithInsecureCustomEndpoint(url), cachekitio.WithRootCAs(pool))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			return cachekitiotest.HashKeys(b)
		},
		// Whole-second stamping (fresh_until = floor(stored_at) + ttl) and
		// the whole-second X-CacheKit-Fresh-For each cost up to a second,
		// so reported freshness can be off by up to two seconds.
		TTLResolution:        2 * time.Second,
		MaxValueSize:         maxValue,
		EnforcesMaxValueSize: true,
		// A no-expiry entry carries no X-CacheKit-Fresh-For, which the
		// protocol makes indistinguishable from a pre-signal server: the
		// backend reports Known == false rather than claiming NoExpiry.
		NoFreshness: true,
	}
}

// TestConformanceInProcess runs the conformance suite for backend/cachekitio
// against the reference server over TLS on loopback, on both in-process
// stores, and on memstore behind the edge tier (default 5 s budget).
func TestConformanceInProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("conformance suite sleeps through TTLs")
	}
	stores := map[string]func(t *testing.T) core.Backend{
		"memstore": func(*testing.T) core.Backend { return memstore.New() },
		"bigcache": func(t *testing.T) core.Backend {
			b, err := bigcache.New()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			return b
		},
	}
	for name, mk := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url, pool := startTLS(t, newServer(t, mk(t), conformanceValueLimit))
			conformance.RunBackend(t, harness(url, pool, conformanceValueLimit))
		})
	}
	t.Run("memstore+edge", func(t *testing.T) {
		t.Parallel()
		url, pool := startTLS(t, newServer(t, memstore.New(), conformanceValueLimit,
			func(c *server.Config) { c.EdgeCacheBytes = 8 << 20 }))
		conformance.RunBackend(t, harness(url, pool, conformanceValueLimit))
	})
}
