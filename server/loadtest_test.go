package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/l1/bigcache"
	"github.com/cachekit-io/cachekit-go/server"
)

// The load test: a well-behaved tenant's GET, PUT and lock latencies,
// alone and then beside a hostile tenant flooding locks, tenants uploading
// the largest values, slow bodies and a crowd of small tenants, all over
// loopback TCP against one server with bounded store, lock table and
// bodies in flight. The short variant runs in every go test and asserts
// bounds that cannot flake; CACHEKIT_LOADTEST=long (make loadtest-server)
// runs it longer, also asserts the well-behaved tenant's p99 within twice
// its unloaded p99, and prints the figures the README reports.

// loadConfig sizes one run.
type loadConfig struct {
	phase        time.Duration // unloaded and loaded measurement, each
	rounds       int           // alternations of unloaded and loaded windows
	hostile      int           // goroutines flooding locks
	uploaders    int           // goroutines PUTting MaxValueBytes values
	slowBodies   int           // connections dribbling a body
	crowd        int           // small tenants, one goroutine each
	assertP99    bool
	storeBytes   int64
	lockBytes    int64
	inflight     int64
	maxValue     int64
	lockQuota    int
	slack        int64 // runtime, goroutines, buffers (cachekit-server allows 64 MiB), and the clients
	readTimeout  time.Duration
	goodInterval time.Duration // pause between the good tenant's rounds
	hostilePause time.Duration // between one hostile goroutine's requests
	uploadPause  time.Duration // between one uploader's PUTs
	crowdPause   time.Duration // between one crowd tenant's requests
	rateLimit    float64       // per tenant, requests a second
}

func TestLoad(t *testing.T) {
	cfg := loadConfig{
		phase: 3 * time.Second, rounds: 3, hostile: 2, uploaders: 2, slowBodies: 2, crowd: 8,
		storeBytes: 48 << 20, lockBytes: 4 << 20, inflight: 16 << 20, maxValue: 4 << 20,
		lockQuota: 100, slack: 96 << 20, readTimeout: 3 * time.Second,
		goodInterval: 2 * time.Millisecond, hostilePause: time.Millisecond, uploadPause: 20 * time.Millisecond, crowdPause: 2 * time.Millisecond,
		rateLimit: 3000,
	}
	if os.Getenv("CACHEKIT_LOADTEST") == "long" {
		// Longer, more tenants, and paced: the load generators share the
		// machine's cores with the server, and a p99 measures the server's
		// isolation only while they leave it some CPU.
		cfg.phase, cfg.rounds, cfg.crowd, cfg.lockQuota = 30*time.Second, 10, 32, 2000
		cfg.uploadPause, cfg.crowdPause = 100*time.Millisecond, 20*time.Millisecond
		cfg.assertP99 = true
	} else if testing.Short() {
		t.Skip("the load test runs without -short")
	}
	runLoad(t, cfg)
}

// loadKeys: the good tenant, the hostile one, the uploaders' and the
// crowd's.
func loadKeys(crowd int) []server.KeyEntry {
	keys := []server.KeyEntry{
		{Key: "ck_live_good_0123456789abcdef", Tenant: "good"},
		{Key: "ck_live_hostile_0123456789abcdef", Tenant: "hostile"},
		{Key: "ck_live_upload_0123456789abcdef", Tenant: "upload"},
		{Key: "ck_live_slow_0123456789abcdef", Tenant: "slow"},
	}
	for i := range crowd {
		keys = append(keys, server.KeyEntry{Key: fmt.Sprintf("ck_live_crowd%d_0123456789abcdef", i), Tenant: fmt.Sprintf("crowd%d", i)})
	}
	return keys
}

// memSampler records the peak of the live heap (as the last GC measured
// it) and of the memory the runtime holds from the OS.
type memSampler struct {
	peakLive, peakTotal atomic.Int64
}

func (m *memSampler) sample() {
	s := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	metrics.Read(s)
	live := int64(s[0].Value.Uint64())
	total := int64(s[1].Value.Uint64() - s[2].Value.Uint64())
	for _, p := range []struct {
		peak *atomic.Int64
		v    int64
	}{{&m.peakLive, live}, {&m.peakTotal, total}} {
		for old := p.peak.Load(); p.v > old && !p.peak.CompareAndSwap(old, p.v); old = p.peak.Load() {
		}
	}
}

// opStats collects one operation's latencies and unexpected answers.
type opStats struct {
	mu   sync.Mutex
	lat  []time.Duration
	errs []string
}

func (o *opStats) add(d time.Duration, err string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err != "" {
		if len(o.errs) < 10 {
			o.errs = append(o.errs, err)
		}
		return
	}
	o.lat = append(o.lat, d)
}

func (o *opStats) p(q float64) time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.lat) == 0 {
		return 0
	}
	s := slices.Clone(o.lat)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*q))]
}

type goodStats struct{ get, put, lock opStats }

// statusCounts counts the answers of a load generator by status.
type statusCounts struct {
	mu sync.Mutex
	m  map[int]int
}

func (c *statusCounts) add(status int) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[int]int{}
	}
	c.m[status]++
	c.mu.Unlock()
}

func (c *statusCounts) snapshot() map[int]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.m)
}

func runLoad(t *testing.T, cfg loadConfig) {
	keys, err := server.NewStaticKeys(loadKeys(cfg.crowd))
	if err != nil {
		t.Fatal(err)
	}
	// As cachekit-server lays bigcache out (bigcacheLayout): each shard
	// keeps a buffer of the largest entry it stored, outside WithMaxBytes,
	// and needs a share of twice the largest entry.
	const shards = 2
	store, err := bigcache.New(bigcache.WithMaxBytes(cfg.storeBytes-shards*(cfg.maxValue+1<<20)), bigcache.WithShards(shards))
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.New(server.Config{
		Storage: store, Keys: keys, MaxValueBytes: cfg.maxValue,
		LockQuota: cfg.lockQuota, LockMemoryBytes: cfg.lockBytes,
		MaxBodyBytesInFlight: cfg.inflight, BodyWait: 200 * time.Millisecond,
		RateLimit: cfg.rateLimit, RateBurst: int(cfg.rateLimit),
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 2 * time.Second, ReadTimeout: cfg.readTimeout, WriteTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(s.WrapListener(ln)) }()
	t.Cleanup(func() { _ = hs.Close() })
	base := "http://" + ln.Addr().String()

	// The memory bound of the whole process: the data the server may hold,
	// bodies in flight, and slack for the runtime and the load generators
	// in this process. A soft limit keeps the GC's garbage within it, as
	// cachekit-server sets one from -max-memory and -max-inflight-mb.
	dataBound := cfg.storeBytes + cfg.lockBytes + cfg.inflight + cfg.slack/2
	bound := cfg.storeBytes + cfg.lockBytes + cfg.inflight + cfg.slack
	old := debug.SetMemoryLimit(bound - 32<<20) // room for the soft limit's overshoot

	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	var mem memSampler
	stopSampling := make(chan struct{})
	var samplerDone sync.WaitGroup
	samplerDone.Add(1)
	go func() {
		defer samplerDone.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			mem.sample()
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
		}
	}()

	goodClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 10 * time.Second}
	do := func(c *http.Client, method, path, key string, body io.Reader, hdr map[string]string) (int, []byte, error) {
		r, err := http.NewRequest(method, base+path, body)
		if err != nil {
			return 0, nil, err
		}
		r.Header.Set("Authorization", "Bearer "+key)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		res, err := c.Do(r)
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res.StatusCode, b, err
	}

	goodKey := "ck_live_good_0123456789abcdef"
	value := bytes.Repeat([]byte("g"), 1024)
	// measure runs the good tenant's rounds for d (PUT, GET, lock,
	// unlock) into st.
	measure := func(st *goodStats, d time.Duration) {
		for i, end := 0, time.Now().Add(d); time.Now().Before(end); i++ {
			k := fmt.Sprintf("/v1/cache/good%d", i%64)
			t0 := time.Now()
			code, _, err := do(goodClient, "PUT", k, goodKey, bytes.NewReader(value), map[string]string{"X-CacheKit-TTL": "60"})
			st.put.add(time.Since(t0), errString("PUT", code, err, 200))
			t0 = time.Now()
			code, _, err = do(goodClient, "GET", k, goodKey, nil, nil)
			if code == http.StatusNotFound { // evicted by the bounded store: a miss, not an error
				code = 200
			}
			st.get.add(time.Since(t0), errString("GET", code, err, 200))
			t0 = time.Now()
			code, b, err := do(goodClient, "POST", k+"/lock", goodKey, strings.NewReader(`{"timeout_ms":60000}`), nil)
			var m struct {
				LockID *string `json:"lock_id"`
			}
			e := errString("lock", code, err, 200)
			if e == "" && (json.Unmarshal(b, &m) != nil || m.LockID == nil) {
				e = "lock: not granted: " + string(b)
			}
			st.lock.add(time.Since(t0), e)
			if m.LockID != nil {
				code, _, err = do(goodClient, "DELETE", k+"/lock", goodKey, nil, map[string]string{"X-CacheKit-Lock-Id": *m.LockID})
				if e := errString("unlock", code, err, 200); e != "" {
					st.lock.add(0, e)
				}
			}
			time.Sleep(cfg.goodInterval)
		}
	}

	// The load generators run while running is set, and end with
	// stopLoad; slow bodies run throughout.
	var running atomic.Bool
	paused := func() bool {
		if running.Load() {
			return false
		}
		time.Sleep(5 * time.Millisecond)
		return true
	}
	stopLoad := make(chan struct{})
	var wg sync.WaitGroup
	var hostile, uploads, crowd statusCounts
	hostileKey := "ck_live_hostile_0123456789abcdef"
	for g := range cfg.hostile {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-stopLoad:
					return
				default:
				}
				if paused() {
					continue
				}
				time.Sleep(cfg.hostilePause)
				code, _, err := do(c, "POST", fmt.Sprintf("/v1/cache/flood%d-%d/lock", g, i), hostileKey, strings.NewReader(`{"timeout_ms":3600000}`), nil)
				if err != nil {
					code = -1
				}
				hostile.add(code)
			}
		}()
	}
	big := bytes.Repeat([]byte("u"), int(cfg.maxValue))
	for g := range cfg.uploaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Transport: &http.Transport{}, Timeout: 20 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-stopLoad:
					return
				default:
				}
				if paused() {
					continue
				}
				code, _, err := do(c, "PUT", fmt.Sprintf("/v1/cache/big%d-%d", g, i%16), "ck_live_upload_0123456789abcdef", bytes.NewReader(big), nil)
				if err != nil {
					code = -1
				}
				uploads.add(code)
				time.Sleep(cfg.uploadPause)
			}
		}()
	}
	for range cfg.slowBodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					return
				}
				fmt.Fprintf(c, "PUT /v1/cache/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ck_live_slow_0123456789abcdef\r\nContent-Length: %d\r\n\r\n", cfg.maxValue)
				for {
					_ = c.SetWriteDeadline(time.Now().Add(time.Second))
					if _, err := c.Write(make([]byte, 64)); err != nil {
						break // the server's ReadTimeout cut it off
					}
					select {
					case <-stopLoad:
						c.Close()
						return
					case <-time.After(100 * time.Millisecond):
					}
				}
				c.Close()
			}
		}()
	}
	small := bytes.Repeat([]byte("c"), 8<<10)
	for g := range cfg.crowd {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
			key := fmt.Sprintf("ck_live_crowd%d_0123456789abcdef", g)
			for i := 0; ; i++ {
				select {
				case <-stopLoad:
					return
				case <-time.After(cfg.crowdPause):
				}
				if paused() {
					continue
				}
				k := fmt.Sprintf("/v1/cache/c%d", i%256)
				var code int
				var err error
				if i%2 == 0 {
					code, _, err = do(c, "PUT", k, key, bytes.NewReader(small), map[string]string{"X-CacheKit-TTL": "30"})
				} else {
					code, _, err = do(c, "GET", k, key, nil, nil)
				}
				if err != nil {
					code = -1
				}
				crowd.add(code)
			}
		}()
	}
	// Unloaded and loaded windows alternate, so that whatever else the
	// machine runs weighs on both alike.
	unloaded, loaded := &goodStats{}, &goodStats{}
	measure(&goodStats{}, 200*time.Millisecond) // warm up
	window := cfg.phase / time.Duration(cfg.rounds)
	for range cfg.rounds {
		running.Store(false)
		time.Sleep(100 * time.Millisecond) // let the load drain
		measure(unloaded, window)
		running.Store(true)
		time.Sleep(100 * time.Millisecond) // let it build up
		measure(loaded, window)
	}
	close(stopLoad)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.readTimeout+10*time.Second)
	defer cancel()
	waited := make(chan struct{})
	go func() { wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-ctx.Done():
		t.Fatal("load generators did not stop")
	}
	code, b, err := do(goodClient, "GET", "/v1/cache/health", hostileKey, nil, nil)
	close(stopSampling)
	samplerDone.Wait()

	// Figures.
	row := func(name string, u, l *opStats) string {
		return fmt.Sprintf("%-5s unloaded p50 %7v p99 %7v | loaded p50 %7v p99 %7v (%d, %d requests)",
			name, u.p(0.5).Round(time.Microsecond), u.p(0.99).Round(time.Microsecond),
			l.p(0.5).Round(time.Microsecond), l.p(0.99).Round(time.Microsecond), len(u.lat), len(l.lat))
	}
	t.Log(row("GET", &unloaded.get, &loaded.get))
	t.Log(row("PUT", &unloaded.put, &loaded.put))
	t.Log(row("lock", &unloaded.lock, &loaded.lock))
	t.Logf("hostile lock answers %v; uploads %v; crowd %v", hostile.snapshot(), uploads.snapshot(), crowd.snapshot())
	t.Logf("memory bound %d MiB (data %d MiB): peak live heap %d MiB, peak runtime total %d MiB",
		bound>>20, dataBound>>20, mem.peakLive.Load()>>20, mem.peakTotal.Load()>>20)

	// Bounds that cannot flake.
	for name, o := range map[string]*opStats{"GET": &unloaded.get, "PUT": &unloaded.put, "lock": &unloaded.lock,
		"loaded GET": &loaded.get, "loaded PUT": &loaded.put, "loaded lock": &loaded.lock} {
		if len(o.errs) > 0 {
			t.Errorf("good tenant %s: %d unexpected answers, e.g. %v", name, len(o.errs), o.errs)
		}
		if len(o.lat) == 0 {
			t.Errorf("good tenant %s: no request completed", name)
		}
	}
	h := hostile.snapshot()
	if h[http.StatusTooManyRequests] == 0 {
		t.Errorf("the hostile tenant was never refused by its lock quota: %v", h)
	}
	for st := range h {
		if st != 200 && st != http.StatusTooManyRequests {
			t.Errorf("hostile tenant got %d (%d times), want 200 or 429 only", st, h[st])
		}
	}
	var health struct {
		ActiveLocks int `json:"active_locks"`
	}
	if err != nil || code != 200 || json.Unmarshal(b, &health) != nil || health.ActiveLocks != h[200] || h[200] > cfg.lockQuota {
		t.Errorf("hostile tenant's health: %d %s %v, want active_locks = its %d granted leases, at most the quota %d", code, b, err, h[200], cfg.lockQuota)
	}
	for st, n := range uploads.snapshot() {
		if st != 200 && st != http.StatusServiceUnavailable {
			t.Errorf("uploads got %d (%d times), want 200 or 503 only", st, n)
		}
	}
	for st, n := range crowd.snapshot() {
		if st != 200 && st != http.StatusNotFound {
			t.Errorf("crowd got %d (%d times), want 200 or 404 only", st, n)
		}
	}
	if p := mem.peakLive.Load(); p > dataBound {
		t.Errorf("peak live heap %d MiB over the data bound %d MiB", p>>20, dataBound>>20)
	}
	if p := mem.peakTotal.Load(); p > bound {
		t.Errorf("peak memory held %d MiB over the bound %d MiB", p>>20, bound>>20)
	}
	if cfg.assertP99 {
		for name, pair := range map[string][2]*opStats{"GET": {&unloaded.get, &loaded.get}, "PUT": {&unloaded.put, &loaded.put}, "lock": {&unloaded.lock, &loaded.lock}} {
			if u, l := pair[0].p(0.99), pair[1].p(0.99); l > 2*u {
				t.Errorf("good tenant %s p99 %v loaded, over twice its unloaded %v", name, l, u)
			}
		}
	}
}

// errString describes an unexpected answer, or is empty.
func errString(op string, code int, err error, want int) string {
	if err != nil {
		return op + ": " + err.Error()
	}
	if code != want {
		return fmt.Sprintf("%s: status %d", op, code)
	}
	return ""
}
