package examples

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go"
	"github.com/cachekit-io/cachekit-go/backend/cachekitio"
	"github.com/cachekit-io/cachekit-go/backend/cachekitio/cachekitiotest"
	"github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/conformance"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/server"
	"github.com/cachekit-io/cachekit-go/server/devcert"
	"github.com/cachekit-io/cachekit-go/server/memstore"
)

// The stack the production preset builds (an L1 composed over Redis,
// following its invalidations) passes the conformance suite.
func TestPresetStackConformanceRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("conformance suite sleeps through TTLs")
	}
	url := redisURL
	if url == "" {
		url = rig.StartRedis(t).URL() // skips (fails in CI) without a container engine
	}
	for _, p := range []core.Preset{core.PresetProduction, core.PresetMinimal} {
		t.Run(p.String(), func(t *testing.T) {
			conformance.RunBackend(t, conformance.Harness{
				New: func(t *testing.T) core.Backend {
					b, err := redis.New(redis.Options{URL: url})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { _ = b.Close() })
					s, release, err := cachekit.Stack(p, b)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { _ = release() })
					return s
				},
			})
		})
	}
}

// The io preset's stack (an L1 over cachekitio) passes the conformance
// suite against the reference server.
func TestPresetStackConformanceReferenceServer(t *testing.T) {
	if testing.Short() {
		t.Skip("conformance suite sleeps through TTLs")
	}
	const apiKey = "ck_sdk_conformance_0123456789abcdef"
	const maxValue = 2 << 20
	keys, err := server.NewStaticKeys([]server.KeyEntry{{Key: apiKey, Tenant: "acme"}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Storage: memstore.New(), Keys: keys, MaxValueBytes: maxValue})
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := devcert.New("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.TLS = bundle.ServerTLSConfig()
	ts.StartTLS()
	t.Cleanup(ts.Close)
	conformance.RunBackend(t, conformance.Harness{
		New: func(t *testing.T) core.Backend {
			b, err := cachekitio.New(cachekitio.WithoutEnv(), cachekitio.WithAPIKey(apiKey),
				cachekitio.WithInsecureCustomEndpoint(ts.URL), cachekitio.WithRootCAs(bundle.Pool))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			s, release, err := cachekit.Stack(core.PresetIO, cachekitiotest.HashKeys(b))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = release() })
			return s
		},
		// As for cachekitio alone (server/conformance_test.go): whole-second
		// freshness, and no-expiry entries report unknown freshness.
		TTLResolution:        2 * time.Second,
		MaxValueSize:         maxValue,
		EnforcesMaxValueSize: true,
		NoFreshness:          true,
	})
}
