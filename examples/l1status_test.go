package examples

import (
	"context"
	"maps"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go"
	"github.com/cachekit-io/cachekit-go/backend/cachekitio"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/server"
	"github.com/cachekit-io/cachekit-go/server/devcert"
	"github.com/cachekit-io/cachekit-go/server/memstore"
)

// TestL1StatusAndMetricsHeadersOverHTTP runs the io preset against the
// reference server over real HTTP (TLS) and reads back, from what the
// server recorded, the X-CacheKit-L1-Status of each request and the
// session and metrics headers: an L1 miss, an L1 write-through, and a
// stack with no L1. Each case has a tenant of its own (the session id is
// the process's).
func TestL1StatusAndMetricsHeadersOverHTTP(t *testing.T) {
	keys := map[string]string{"miss": "ck_sdk_l1miss_0123456789abcdef", "through": "ck_sdk_l1through_0123456789abc", "nol1": "ck_sdk_nol1_0123456789abcdef"}
	var entries []server.KeyEntry
	for tenant, k := range keys {
		entries = append(entries, server.KeyEntry{Key: k, Tenant: tenant})
	}
	ks, err := server.NewStaticKeys(entries)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Storage: memstore.New(), Keys: ks})
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
	open := func(tenant string, opts ...cachekit.Option) *core.Client {
		t.Helper()
		c, err := cachekit.IO(keys[tenant], append(opts, cachekit.WithBackendOptions(
			cachekitio.WithInsecureCustomEndpoint(ts.URL), cachekitio.WithRootCAs(bundle.Pool)))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	report := func(tenant string) server.ClientReport {
		t.Helper()
		for _, r := range srv.ClientReports() {
			if r.Tenant == tenant {
				return r
			}
		}
		t.Fatalf("the server recorded nothing for %s", tenant)
		return server.ClientReport{}
	}
	ctx := context.Background()

	// An L1 miss: the L1 does not hold the key, the backend is asked.
	miss := open("miss")
	if _, found, err := core.Get[string](ctx, miss, "absent"); err != nil || found {
		t.Fatal(found, err)
	}
	r := report("miss")
	if want := map[string]uint64{"miss": 1}; !maps.Equal(r.L1Status, want) {
		t.Errorf("L1 miss: statuses %v, want %v", r.L1Status, want)
	}
	// The first request of a backend carries the metrics headers: nothing
	// counted yet, an L1 present.
	if r.L1Hits != "0" || r.L2Hits != "0" || r.Misses != "0" || r.L1HitRate != "0.000" {
		t.Errorf("L1 miss: metrics %+v", r)
	}
	if len(r.SessionID) != 36 {
		t.Errorf("session id %q is not a UUID", r.SessionID)
	}
	if ms, err := strconv.ParseInt(r.SessionStart, 10, 64); err != nil || time.UnixMilli(ms).After(time.Now()) || time.Since(time.UnixMilli(ms)) > time.Hour {
		t.Errorf("session start %q is not a recent time in ms since the epoch", r.SessionStart)
	}

	// An L1 write-through: the write goes to the backend, then the L1; the
	// reads after it are L1 hits the backend never sees, and the metrics
	// headers of the next request (a second later) count them.
	through := open("through")
	if err := through.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, found, err := core.Get[string](ctx, through, "k"); err != nil || !found {
			t.Fatal(found, err)
		}
	}
	time.Sleep(1100 * time.Millisecond) // the metrics headers ride at most once a second
	if _, _, err := core.Get[string](ctx, through, "absent"); err != nil {
		t.Fatal(err)
	}
	r = report("through")
	if want := map[string]uint64{"miss": 2}; !maps.Equal(r.L1Status, want) || r.Requests != 2 {
		t.Errorf("write-through: %d requests, statuses %v, want %v", r.Requests, r.L1Status, want)
	}
	if r.L1Hits != "3" || r.L2Hits != "0" || r.Misses != "0" || r.L1HitRate != "1.000" {
		t.Errorf("write-through: metrics L1=%s L2=%s misses=%s rate=%s, want 3 0 0 1.000", r.L1Hits, r.L2Hits, r.Misses, r.L1HitRate)
	}

	// No L1: every request says so, and no L1 counts are made up.
	nol1 := open("nol1", cachekit.WithoutL1())
	if err := nol1.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if _, found, err := core.Get[string](ctx, nol1, "k"); err != nil || !found {
		t.Fatal(found, err)
	}
	r = report("nol1")
	if want := map[string]uint64{"disabled": 2}; !maps.Equal(r.L1Status, want) {
		t.Errorf("no L1: statuses %v, want %v", r.L1Status, want)
	}
	if r.L1Hits != "" || r.L1HitRate != "" || r.L2Hits != "0" || r.Misses != "0" {
		t.Errorf("no L1: metrics %+v", r)
	}
}
