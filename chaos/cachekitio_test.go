package chaos_test

import (
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/backend/cachekitio"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/server"
	"github.com/cachekit-io/cachekit-go/server/memstore"
)

// Fault modes of refServer.
const (
	serve int32 = iota
	storm       // every request answered 503
	slow        // every request held until its client gives up
)

// refServer is the reference server over HTTPS on a fixed address, with a
// fault switch in front, that can be killed and restarted (empty).
type refServer struct {
	t    *testing.T
	addr string
	mode atomic.Int32
	mu   sync.Mutex
	srv  *httptest.Server
	pool *x509.CertPool
}

func (r *refServer) start() {
	r.t.Helper()
	keys, err := server.NewStaticKeys([]server.KeyEntry{{Key: "ck_sdk_chaos_fault_tests", Tenant: "chaos"}})
	if err != nil {
		r.t.Fatal(err)
	}
	s, err := server.New(server.Config{Storage: memstore.New(), Keys: keys})
	if err != nil {
		r.t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch r.mode.Load() {
		case storm:
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		case slow:
			select {
			case <-req.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		}
		s.ServeHTTP(w, req)
	})
	addr := r.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		r.t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(h)
	hs.Listener = l
	r.mu.Lock()
	if r.srv != nil {
		hs.TLS = r.srv.TLS // the same certificate after a restart
	}
	r.mu.Unlock()
	hs.StartTLS()
	r.mu.Lock()
	r.srv = hs
	if r.pool == nil {
		r.pool = x509.NewCertPool()
		r.pool.AddCert(hs.Certificate())
		r.addr = l.Addr().String()
	}
	r.mu.Unlock()
}

func (r *refServer) kill() {
	r.mu.Lock()
	s := r.srv
	r.mu.Unlock()
	// http.Server.Close drops the listener and every connection at once
	// (httptest's Close would wait for connections it counts as active).
	_ = s.Config.Close()
}

// TestFaultsCachekitio runs the workload against the reference server
// through backend/cachekitio with the io preset's stack, in this process,
// while the server answers 503 to everything, holds every request, and is
// killed and restarted empty.
func TestFaultsCachekitio(t *testing.T) {
	rs := &refServer{t: t}
	rs.start()
	defer func() { rs.mode.Store(serve); rs.kill() }()
	be, err := cachekitio.New(cachekitio.WithoutEnv(), cachekitio.WithAPIKey("ck_sdk_chaos_fault_tests"),
		cachekitio.WithInsecureCustomEndpoint("https://"+rs.addr), cachekitio.WithRootCAs(rs.pool))
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	runInProcess(t, be, core.PresetIO, "io", []inProcessFault{
		{"503 storm", func() { rs.mode.Store(storm) }, func() { rs.mode.Store(serve) }},
		{"slow handler", func() { rs.mode.Store(slow) }, func() { rs.mode.Store(serve) }},
		{"kill", rs.kill, rs.start},
	})
}
