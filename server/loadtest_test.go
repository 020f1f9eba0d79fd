package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/server"
)

// The load test: a well-behaved tenant's GET, PUT and lock latencies,
// alone and then beside a hostile tenant flooding locks, tenants uploading
// the largest values, slow bodies and a crowd of small tenants, all over
// loopback TCP against one server with bounded store, lock table and
// bodies in flight, running in its own process (see runLoad). The short
// variant runs in every go test and asserts bounds that cannot flake;
// CACHEKIT_LOADTEST=long (make loadtest-server) runs it longer, also
// asserts the well-behaved tenant's p99 within twice its unloaded p99, and
// prints the figures the README reports.

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
	slack        int64 // runtime, goroutines, buffers (cachekit-server allows 64 MiB)
	readTimeout  time.Duration
	goodInterval time.Duration // pause between the good tenant's rounds
	hostilePause time.Duration // between one hostile goroutine's requests
	uploadPause  time.Duration // between one uploader's PUTs
	crowdPause   time.Duration // between one crowd tenant's requests
	rateLimit    float64       // per tenant, requests a second
	uploadRate   int64         // per tenant, bytes of PUT bodies a second
}

func TestLoad(t *testing.T) {
	cfg := loadConfig{
		phase: 3 * time.Second, rounds: 3, hostile: 2, uploaders: 2, slowBodies: 2, crowd: 8,
		storeBytes: 48 << 20, lockBytes: 4 << 20, inflight: 16 << 20, maxValue: 4 << 20,
		lockQuota: 100, slack: 96 << 20, readTimeout: 3 * time.Second,
		goodInterval: 2 * time.Millisecond, hostilePause: time.Millisecond, uploadPause: 20 * time.Millisecond, crowdPause: 2 * time.Millisecond,
		rateLimit: 3000, uploadRate: 16 << 20,
	}
	if os.Getenv("CACHEKIT_LOADTEST") == "long" {
		// Longer, more tenants, and paced: the load generators, though at
		// the lowest priority, share the machine's cores with the server.
		cfg.phase, cfg.rounds, cfg.crowd, cfg.lockQuota = 30*time.Second, 10, 32, 2000
		cfg.uploadPause, cfg.crowdPause = 100*time.Millisecond, 20*time.Millisecond
		cfg.assertP99 = true
	} else if testing.Short() {
		t.Skip("the load test runs without -short")
	}
	switch os.Getenv(loadRoleEnv) {
	case "server":
		loadServer(t, cfg)
	case "load":
		loadGenerators(t, cfg)
	default:
		runLoad(t, cfg)
	}
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

// The load test runs in three processes, as a real deployment does: the
// server alone in one (this test binary re-executed with
// loadRoleEnv=server), the hostile tenant, the uploaders, the slow bodies
// and the crowd in another (role "load"; at the lowest CPU priority, nice
// 19, in the long run), and the good tenant's probe in the test process. Attackers do
// not run on the server's cores; with everything in one process the
// generators' own CPU would weigh on the good tenant's latency as much as
// the server's handling of them. The children talk to the test over their
// standard streams: a line "LOADTEST-<WORD> <payload>" on stdout reports,
// lines on stdin control.
const (
	loadRoleEnv = "CACHEKIT_LOADTEST_ROLE"
	loadAddrEnv = "CACHEKIT_LOADTEST_ADDR"
	// loadProfileEnv names a directory for the server process's CPU and
	// mutex profiles (server-cpu.out, server-mutex.out); unset, none.
	loadProfileEnv = "CACHEKIT_LOADTEST_PROFILE"
)

// loadKeyGood and loadKeyHostile are the good and the hostile tenant's keys.
const (
	loadKeyGood    = "ck_live_good_0123456789abcdef"
	loadKeyHostile = "ck_live_hostile_0123456789abcdef"
)

// serverReport is what the server process reports when its stdin closes.
type serverReport struct {
	PeakLive, PeakTotal int64
	CPU                 time.Duration
	// Handled is the p99 of the server's own time for the good tenant's
	// requests (ServeHTTP, the response's write included), by the window
	// named in their loadWindowHeader.
	Handled map[string]time.Duration
}

// loadWindowHeader names, on the good tenant's requests, the window
// ("unloaded" or "loaded") they are measured in, so that the server
// process can time its own part of them.
const loadWindowHeader = "X-Loadtest-Window"

// handlerTimes records the server's own time for requests carrying
// loadWindowHeader, by window.
type handlerTimes struct {
	mu sync.Mutex
	d  map[string][]time.Duration
}

func (h *handlerTimes) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		win := r.Header.Get(loadWindowHeader)
		t0 := time.Now()
		next.ServeHTTP(w, r)
		if win == "" {
			return
		}
		d := time.Since(t0)
		h.mu.Lock()
		if h.d == nil {
			h.d = map[string][]time.Duration{}
		}
		h.d[win] = append(h.d[win], d)
		h.mu.Unlock()
	})
}

func (h *handlerTimes) p99() map[string]time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := map[string]time.Duration{}
	for win, d := range h.d {
		s := slices.Clone(d)
		slices.Sort(s)
		m[win] = s[min(len(s)-1, len(s)*99/100)]
	}
	return m
}

// loadReport is what the load process reports when told to stop.
type loadReport struct {
	Hostile, Uploads, Crowd map[int]int
}

// loadBounds returns the memory bound of the server process, and the part
// of it for the data held: the store, the lock table, bodies in flight, and
// slack for the runtime, goroutines and buffers.
func loadBounds(cfg loadConfig) (dataBound, bound int64) {
	return cfg.storeBytes + cfg.lockBytes + cfg.inflight + cfg.slack/2,
		cfg.storeBytes + cfg.lockBytes + cfg.inflight + cfg.slack
}

// loadDo sends one request with key's bearer token and reads the answer.
func loadDo(c *http.Client, base, method, path, key string, body io.Reader, hdr map[string]string) (int, []byte, error) {
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

// loadServer is the server process: it serves on a loopback port it
// prints, samples its memory, and when stdin closes reports the peaks.
func loadServer(t *testing.T, cfg loadConfig) {
	keys, err := server.NewStaticKeys(loadKeys(cfg.crowd))
	if err != nil {
		t.Fatal(err)
	}
	// The built-in store, as cachekit-server lays it out.
	store, err := server.NewBuiltinStore(cfg.storeBytes, cfg.maxValue)
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.New(server.Config{
		Storage: store, Keys: keys, MaxValueBytes: cfg.maxValue,
		LockQuota: cfg.lockQuota, LockMemoryBytes: cfg.lockBytes,
		MaxBodyBytesInFlight: cfg.inflight, BodyWait: 200 * time.Millisecond,
		RateLimit: cfg.rateLimit, RateBurst: int(cfg.rateLimit),
		UploadBytesPerSecond: cfg.uploadRate,
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var handled handlerTimes
	hs := &http.Server{Handler: handled.wrap(s), ReadHeaderTimeout: 2 * time.Second, ReadTimeout: cfg.readTimeout, WriteTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(s.WrapListener(ln)) }()
	defer hs.Close()

	// A soft limit keeps the GC's garbage within the bound, as
	// cachekit-server sets one from -max-memory and -max-inflight-mb.
	_, bound := loadBounds(cfg)
	debug.SetMemoryLimit(bound - 32<<20) // room for the soft limit's overshoot
	var mem memSampler
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			mem.sample()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	fmt.Printf("LOADTEST-ADDR %s\n", ln.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	close(stop)
	<-done
	rep, _ := json.Marshal(serverReport{PeakLive: mem.peakLive.Load(), PeakTotal: mem.peakTotal.Load(), CPU: cpuTime(), Handled: handled.p99()})
	fmt.Printf("LOADTEST-REPORT %s\n", rep)
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadGenerators is the load process: the hostile tenant, the uploaders
// and the crowd run while the last line on stdin was "run" and pause on
// "pause"; the slow bodies run throughout. On "stop" (or when stdin
// closes) it stops them all and reports their answers.
func loadGenerators(t *testing.T, cfg loadConfig) {
	addr := os.Getenv(loadAddrEnv)
	base := "http://" + addr
	var running atomic.Bool
	paused := func() bool {
		if running.Load() {
			return false
		}
		time.Sleep(5 * time.Millisecond)
		return true
	}
	stopLoad := make(chan struct{})
	go func() {
		defer close(stopLoad)
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			switch sc.Text() {
			case "run":
				running.Store(true)
			case "pause":
				running.Store(false)
			case "stop":
				return
			}
		}
	}()
	var wg sync.WaitGroup
	var hostile, uploads, crowd statusCounts
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
				code, _, err := loadDo(c, base, "POST", fmt.Sprintf("/v1/cache/flood%d-%d/lock", g, i), loadKeyHostile, strings.NewReader(`{"timeout_ms":3600000}`), nil)
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
				code, _, err := loadDo(c, base, "PUT", fmt.Sprintf("/v1/cache/big%d-%d", g, i%16), "ck_live_upload_0123456789abcdef", bytes.NewReader(big), nil)
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
				c, err := net.Dial("tcp", addr)
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
					code, _, err = loadDo(c, base, "PUT", k, key, bytes.NewReader(small), map[string]string{"X-CacheKit-TTL": "30"})
				} else {
					code, _, err = loadDo(c, base, "GET", k, key, nil, nil)
				}
				if err != nil {
					code = -1
				}
				crowd.add(code)
			}
		}()
	}
	wg.Wait()
	rep, _ := json.Marshal(loadReport{Hostile: hostile.snapshot(), Uploads: uploads.snapshot(), Crowd: crowd.snapshot()})
	fmt.Printf("LOADTEST-REPORT %s\n", rep)
}

// loadChild is a child process of the load test and its report lines.
type loadChild struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string // the payloads of its LOADTEST- lines, in order
}

// startLoadChild re-executes this test binary in role, its command line
// prefixed with prefix (nice), and forwards its other output to the log.
func startLoadChild(t *testing.T, role string, prefix []string, env ...string) *loadChild {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := append(slices.Clone(prefix), exe, "-test.run=^TestLoad$", "-test.count=1", "-test.timeout=10m")
	if dir := os.Getenv(loadProfileEnv); dir != "" && role == "server" {
		args = append(args, "-test.cpuprofile="+filepath.Join(dir, "server-cpu.out"), "-test.mutexprofile="+filepath.Join(dir, "server-mutex.out"))
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), append([]string{loadRoleEnv + "=" + role}, env...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &loadChild{cmd: cmd, stdin: stdin, lines: make(chan string, 4)}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "LOADTEST-"); ok {
				_, payload, _ := strings.Cut(rest, " ")
				c.lines <- payload
			} else if line := sc.Text(); line != "PASS" {
				t.Logf("%s: %s", role, line)
			}
		}
	}()
	t.Cleanup(func() {
		_ = c.stdin.Close()
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
	})
	return c
}

// next waits up to d for the child's next report line.
func (c *loadChild) next(t *testing.T, d time.Duration) string {
	select {
	case l, ok := <-c.lines:
		if !ok {
			t.Fatalf("%s exited early", c.cmd.Path)
		}
		return l
	case <-time.After(d):
		t.Fatalf("%s: no report within %v", c.cmd.Path, d)
	}
	return ""
}

// send writes one control line to the child.
func (c *loadChild) send(t *testing.T, line string) {
	if _, err := io.WriteString(c.stdin, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

func runLoad(t *testing.T, cfg loadConfig) {
	srv := startLoadChild(t, "server", nil)
	addr := srv.next(t, 30*time.Second)
	base := "http://" + addr
	// The generators are niced only where the good tenant's p99 is judged
	// (the long run): there they stand for attackers on other machines.
	// The short run checks bounds the attack must reach (the lock quota),
	// and under nice 19 on a busy machine it may not get the CPU to.
	var nice []string
	if p, err := exec.LookPath("nice"); err == nil && cfg.assertP99 {
		nice = []string{p, "-n", "19"}
	} else if cfg.assertP99 {
		t.Log("no nice(1): the load generators run at normal priority")
	}
	gen := startLoadChild(t, "load", nice, loadAddrEnv+"="+addr)

	goodClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 10 * time.Second}
	window := ""
	do := func(method, path string, body io.Reader, hdr map[string]string) (int, []byte, error) {
		if window != "" {
			hdr = maps.Clone(hdr)
			if hdr == nil {
				hdr = map[string]string{}
			}
			hdr[loadWindowHeader] = window
		}
		return loadDo(goodClient, base, method, path, loadKeyGood, body, hdr)
	}
	value := bytes.Repeat([]byte("g"), 1024)
	// measure runs the good tenant's rounds for d (PUT, GET, lock,
	// unlock) into st.
	measure := func(st *goodStats, d time.Duration) {
		for i, end := 0, time.Now().Add(d); time.Now().Before(end); i++ {
			k := fmt.Sprintf("/v1/cache/good%d", i%64)
			t0 := time.Now()
			code, _, err := do("PUT", k, bytes.NewReader(value), map[string]string{"X-CacheKit-TTL": "60"})
			st.put.add(time.Since(t0), errString("PUT", code, err, 200))
			t0 = time.Now()
			code, _, err = do("GET", k, nil, nil)
			if code == http.StatusNotFound { // evicted by the bounded store: a miss, not an error
				code = 200
			}
			st.get.add(time.Since(t0), errString("GET", code, err, 200))
			t0 = time.Now()
			code, b, err := do("POST", k+"/lock", strings.NewReader(`{"timeout_ms":60000}`), nil)
			var m struct {
				LockID *string `json:"lock_id"`
			}
			e := errString("lock", code, err, 200)
			if e == "" && (json.Unmarshal(b, &m) != nil || m.LockID == nil) {
				e = "lock: not granted: " + string(b)
			}
			st.lock.add(time.Since(t0), e)
			if m.LockID != nil {
				code, _, err = do("DELETE", k+"/lock", nil, map[string]string{"X-CacheKit-Lock-Id": *m.LockID})
				if e := errString("unlock", code, err, 200); e != "" {
					st.lock.add(0, e)
				}
			}
			time.Sleep(cfg.goodInterval)
		}
	}

	// Unloaded and loaded windows alternate, so that whatever else the
	// machine runs weighs on both alike.
	unloaded, loaded := &goodStats{}, &goodStats{}
	measure(&goodStats{}, 200*time.Millisecond) // warm up
	each := cfg.phase / time.Duration(cfg.rounds)
	for range cfg.rounds {
		gen.send(t, "pause")
		time.Sleep(100 * time.Millisecond) // let the load drain
		window = "unloaded"
		measure(unloaded, each)
		gen.send(t, "run")
		time.Sleep(100 * time.Millisecond) // let it build up
		window = "loaded"
		measure(loaded, each)
	}
	gen.send(t, "stop")
	var lrep loadReport
	if err := json.Unmarshal([]byte(gen.next(t, cfg.readTimeout+10*time.Second)), &lrep); err != nil {
		t.Fatal("load generators' report:", err)
	}
	_ = gen.cmd.Wait()
	code, b, err := loadDo(goodClient, base, "GET", "/v1/cache/health", loadKeyHostile, nil, nil)
	_ = srv.stdin.Close()
	var srep serverReport
	if err := json.Unmarshal([]byte(srv.next(t, 30*time.Second)), &srep); err != nil {
		t.Fatal("server's report:", err)
	}
	_ = srv.cmd.Wait()
	dataBound, bound := loadBounds(cfg)

	// Figures.
	row := func(name string, u, l *opStats) string {
		return fmt.Sprintf("%-5s unloaded p50 %7v p99 %7v | loaded p50 %7v p99 %7v (%d, %d requests)",
			name, u.p(0.5).Round(time.Microsecond), u.p(0.99).Round(time.Microsecond),
			l.p(0.5).Round(time.Microsecond), l.p(0.99).Round(time.Microsecond), len(u.lat), len(l.lat))
	}
	t.Log(row("GET", &unloaded.get, &loaded.get))
	t.Log(row("PUT", &unloaded.put, &loaded.put))
	t.Log(row("lock", &unloaded.lock, &loaded.lock))
	t.Logf("the server's own time for the good tenant's requests (all kinds; ServeHTTP, its write included): p99 unloaded %v, loaded %v",
		srep.Handled["unloaded"].Round(time.Microsecond), srep.Handled["loaded"].Round(time.Microsecond))
	t.Logf("hostile lock answers %v; uploads %v; crowd %v", lrep.Hostile, lrep.Uploads, lrep.Crowd)
	t.Logf("CPU: server process %v, load generators (nice 19 in the long run) %v, probe (this process) %v",
		srep.CPU.Round(time.Millisecond), gen.cmd.ProcessState.SystemTime()+gen.cmd.ProcessState.UserTime(), cpuTime().Round(time.Millisecond))
	t.Logf("server memory bound %d MiB (data %d MiB): peak live heap %d MiB, peak runtime total %d MiB",
		bound>>20, dataBound>>20, srep.PeakLive>>20, srep.PeakTotal>>20)

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
	h := lrep.Hostile
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
	if lrep.Uploads[200] == 0 {
		t.Errorf("no upload was stored: %v", lrep.Uploads)
	}
	for st, n := range lrep.Uploads {
		// -1 is a transport error: a refused upload's answer (429 or 503)
		// comes before its body is read, and net/http closes such a
		// connection shortly after; on a starved box the reset can reach
		// the uploader before it has read the answer. It is the hostile
		// uploader's outcome, not the good tenant's.
		if st != 200 && st != http.StatusServiceUnavailable && st != http.StatusTooManyRequests && st != -1 {
			t.Errorf("uploads got %d (%d times), want 200, 429 or 503 only", st, n)
		}
	}
	if n := lrep.Uploads[-1]; n > 0 {
		t.Logf("%d uploads ended in a transport error (a reset after an early refusal)", n)
	}
	for st, n := range lrep.Crowd {
		if st != 200 && st != http.StatusNotFound {
			t.Errorf("crowd got %d (%d times), want 200 or 404 only", st, n)
		}
	}
	if srep.PeakLive > dataBound {
		t.Errorf("server's peak live heap %d MiB over the data bound %d MiB", srep.PeakLive>>20, dataBound>>20)
	}
	if srep.PeakTotal > bound {
		t.Errorf("server's peak memory held %d MiB over the bound %d MiB", srep.PeakTotal>>20, bound>>20)
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
