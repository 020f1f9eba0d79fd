package chaos_test

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/backend/cachekitio"
	"github.com/cachekit-io/cachekit-go/chaos"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/protocol"
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
	var (
		mu     sync.Mutex
		events []chaos.BreakerEvent
	)
	rel := core.DefaultReliability()
	rel.OnBreakerChange = func(s core.BreakerState) {
		mu.Lock()
		events = append(events, chaos.BreakerEvent{At: time.Now().UnixMilli(), State: s.String()})
		mu.Unlock()
	}
	logs := &countHandler{}
	c, err := core.New(be, core.WithCodec(protocol.Msgpack()), core.WithPreset(core.PresetIO),
		core.WithReliability(rel), core.WithLogger(slogNew(logs)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	type window struct {
		name     string
		from, to int64
	}
	var (
		windows []window
		rep     *chaos.Report
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		rep = chaos.Run(context.Background(), c, chaos.Workload{ID: "io", Goroutines: 8, Keys: 200, Duration: 18 * time.Second, Think: 2 * time.Millisecond})
	}()
	fault := func(name string, span time.Duration, begin, end func()) {
		time.Sleep(2 * time.Second)
		w := window{name: name, from: time.Now().UnixMilli()}
		begin()
		time.Sleep(span)
		end()
		w.to = time.Now().UnixMilli()
		windows = append(windows, w)
	}
	fault("503 storm", 2*time.Second, func() { rs.mode.Store(storm) }, func() { rs.mode.Store(serve) })
	fault("slow handler", 2*time.Second, func() { rs.mode.Store(slow) }, func() { rs.mode.Store(serve) })
	fault("kill", 2*time.Second, rs.kill, rs.start)
	<-done
	mu.Lock()
	rep.Breaker = events
	mu.Unlock()
	st := c.Stats()
	t.Logf("%d GetOrLoad, %d GetOrLoadMany, %d GetMany (%d failed), %d Set (%d failed), breaker opened %d times, %d rejected, %d degraded, %d warnings",
		rep.GetOrLoads, rep.Batches, rep.ManyReads, rep.ManyReadErrors, rep.Sets, rep.SetErrors, st.BreakerOpens, st.BreakerRejected, st.Degraded, logs.n.Load())
	if rep.Wrong != 0 || rep.GetOrLoadErrors != 0 || rep.BatchErrors != 0 {
		t.Errorf("%d wrong values, %d GetOrLoad errors, %d GetOrLoadMany errors; first: %q", rep.Wrong, rep.GetOrLoadErrors, rep.BatchErrors, rep.Examples)
	}
	if n := logs.n.Load(); n > 18 {
		t.Errorf("%d warnings in 18 s", n)
	}
	// Margins for a loaded 2-core machine under -race.
	for _, w := range windows {
		opened := rep.FirstBreaker("open", w.from)
		if opened < 0 || opened > w.from+3000 {
			t.Errorf("%s: breaker opened at %+d ms, want within 3 s", w.name, opened-w.from)
			continue
		}
		fail := rep.Window(opened+chaos.BucketWidth.Milliseconds(), w.to)
		during := rep.Window(w.from, w.to)
		closed := rep.FirstBreaker("closed", opened)
		t.Logf("%s: breaker open after %d ms; failing calls p99 %v (%d); GetOrLoad p99 %v (%d); batch reads p99 %v (%d); closed %+d ms after the server returned",
			w.name, opened-w.from, fail.Fail.Quantile(0.99), fail.Fail.Count(), during.Load.Quantile(0.99), during.Load.Count(),
			during.Batch.Quantile(0.99), during.Batch.Count(), closed-w.to)
		if q := fail.Fail.Quantile(0.99); q > 100*time.Millisecond {
			t.Errorf("%s: failing calls p99 %v, want ≤ 100ms", w.name, q)
		}
		if q := during.Load.Quantile(0.99); q > 2*time.Second {
			t.Errorf("%s: GetOrLoad p99 %v, want ≤ 2s", w.name, q)
		}
		if q := during.Batch.Quantile(0.99); q > 2*time.Second {
			t.Errorf("%s: batch reads (GetOrLoadMany, GetMany) p99 %v, want ≤ 2s", w.name, q)
		}
		if closed < 0 || closed > w.to+6000 {
			t.Errorf("%s: breaker closed at %+d ms after the server returned, want within 6 s", w.name, closed-w.to)
		}
	}
}

func slogNew(h slog.Handler) *slog.Logger { return slog.New(h) }
