package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cachekit-io/cachekit-go/server"
	"github.com/cachekit-io/cachekit-go/server/memstore"
)

func TestServerRecordsClientReports(t *testing.T) {
	keys, err := server.NewStaticKeys([]server.KeyEntry{{Key: "ck_sdk_tele_0123456789abcdef", Tenant: "t1"}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Storage: memstore.New(), Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	send := func(auth, status string, metrics bool) int {
		req := httptest.NewRequest(http.MethodGet, "/v1/cache/k", nil)
		req.Header.Set("Authorization", "Bearer "+auth)
		req.Header.Set(server.HeaderL1Status, status)
		req.Header.Set(server.HeaderSessionID, "s-1")
		req.Header.Set(server.HeaderSessionStart, "1700000000000")
		if metrics {
			req.Header.Set(server.HeaderL1Hits, "5")
			req.Header.Set(server.HeaderL2Hits, "2")
			req.Header.Set(server.HeaderMisses, "3")
			req.Header.Set(server.HeaderL1HitRate, "0.500")
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		return w.Code
	}
	send("ck_sdk_tele_0123456789abcdef", "miss", true)
	send("ck_sdk_tele_0123456789abcdef", "hit", false)
	send("ck_sdk_tele_0123456789abcdef", "miss", false)
	if code := send("ck_sdk_wrong_0123456789abcdef", "miss", true); code != http.StatusUnauthorized {
		t.Fatalf("bad key answered %d", code)
	}
	rs := srv.ClientReports()
	if len(rs) != 1 {
		t.Fatalf("reports %+v (an unauthenticated request must not be recorded)", rs)
	}
	r := rs[0]
	if r.Tenant != "t1" || r.SessionID != "s-1" || r.SessionStart != "1700000000000" || r.Requests != 3 ||
		r.L1Status["miss"] != 2 || r.L1Status["hit"] != 1 || len(r.L1Status) != 2 {
		t.Fatalf("report %+v", r)
	}
	if r.L1Hits != "5" || r.L2Hits != "2" || r.Misses != "3" || r.L1HitRate != "0.500" {
		t.Fatalf("metrics %+v (the latest sent, kept across requests without them)", r)
	}
	r.L1Status["miss"] = 99 // a copy: the server's record is unchanged
	if srv.ClientReports()[0].L1Status["miss"] != 2 {
		t.Fatal("ClientReports shares its maps with the server")
	}
}
