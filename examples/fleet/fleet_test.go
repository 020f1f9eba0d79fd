package fleet

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go"
	"github.com/cachekit-io/cachekit-go/backend/cachekitio"
	"github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/server"
	"github.com/cachekit-io/cachekit-go/server/devcert"
	"github.com/cachekit-io/cachekit-go/server/memstore"
	goredis "github.com/redis/go-redis/v9"
)

// The helper processes are this test binary run again with FLEET_ROLE set:
// TestMain then runs child instead of the tests.
const (
	envRole       = "FLEET_ROLE"       // "waiter" or "holder" (the holder's load never ends)
	envBackend    = "FLEET_BACKEND"    // "redis" or "io"
	envURL        = "FLEET_URL"        // Redis URL or reference server URL
	envCA         = "FLEET_CA"         // the reference server's CA (PEM file)
	envDir        = "FLEET_DIR"        // barrier files and the load counter file
	envID         = "FLEET_ID"         // the process's name
	envGoroutines = "FLEET_GOROUTINES" // callers in the process
	envLoad       = "FLEET_LOAD"       // the loader's duration
	envLease      = "FLEET_LEASE"      // the fill lock's lease
	envGo         = "FLEET_GO"         // the barrier file the process waits for
)

const (
	apiKey  = "ck_sdk_fleet_0123456789abcdef"
	hotKey  = "fleet:hot"
	loadsRK = "fleet:loads" // the Redis counter of loads
)

func TestMain(m *testing.M) {
	if os.Getenv(envRole) != "" {
		os.Exit(child())
	}
	os.Exit(m.Run())
}

// child is one process of the fleet: it builds the preset's client, says it
// is ready, waits for its barrier, then runs its goroutines' GetOrLoad of
// the hot key at once and reports "FLEET values=<distinct values>
// maxwait=<ms>" on stdout. Exit status 1 on any error.
func child() int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "fleet child %s: "+format+"\n", append([]any{os.Getenv(envID)}, args...)...)
		return 1
	}
	dir, id := os.Getenv(envDir), os.Getenv(envID)
	n, _ := strconv.Atoi(os.Getenv(envGoroutines))
	loadFor, _ := time.ParseDuration(os.Getenv(envLoad))
	lease, _ := time.ParseDuration(os.Getenv(envLease))
	hang := os.Getenv(envRole) == "holder"
	fill := cachekit.WithClientOptions(core.WithFillLock(lease, 20*time.Second))

	var (
		cache *core.Client
		count func() error
		err   error
	)
	switch os.Getenv(envBackend) {
	case "redis":
		b, err := redis.New(redis.Options{URL: os.Getenv(envURL)})
		if err != nil {
			return fail("redis.New: %v", err)
		}
		defer b.Close()
		if cache, err = cachekit.Production(b, fill); err != nil {
			return fail("Production: %v", err)
		}
		opt, err := goredis.ParseURL(os.Getenv(envURL))
		if err != nil {
			return fail("%v", err)
		}
		raw := goredis.NewClient(opt)
		defer raw.Close()
		count = func() error { return raw.Incr(context.Background(), loadsRK).Err() }
	case "io":
		pem, err := os.ReadFile(os.Getenv(envCA))
		if err != nil {
			return fail("%v", err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		cache, err = cachekit.IO(apiKey, fill, cachekit.WithBackendOptions(
			cachekitio.WithInsecureCustomEndpoint(os.Getenv(envURL)), cachekitio.WithRootCAs(pool)))
		if err != nil {
			return fail("IO: %v", err)
		}
		count = func() error {
			f, err := os.OpenFile(filepath.Join(dir, "loads"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			_, err = f.Write([]byte{'1'})
			return errors.Join(err, f.Close())
		}
	default:
		return fail("unknown backend %q", os.Getenv(envBackend))
	}
	defer cache.Close()

	load := func(ctx context.Context) (string, error) {
		if err := count(); err != nil {
			return "", err
		}
		if hang {
			_ = os.WriteFile(filepath.Join(dir, "loading"), nil, 0o600)
			select {} // killed in its load, the lock still held
		}
		time.Sleep(loadFor)
		return "value-from-" + id, nil
	}
	if err = os.WriteFile(filepath.Join(dir, "ready-"+id), nil, 0o600); err != nil {
		return fail("%v", err)
	}
	if err := waitFile(os.Getenv(envGo), 60*time.Second); err != nil {
		return fail("%v", err)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		values  = map[string]bool{}
		maxWait atomic.Int64
		errs    atomic.Int64
	)
	for range n {
		wg.Go(func() {
			began := time.Now()
			v, err := core.GetOrLoad(context.Background(), cache, hotKey, load)
			took := time.Since(began)
			for m := maxWait.Load(); int64(took) > m && !maxWait.CompareAndSwap(m, int64(took)); m = maxWait.Load() {
			}
			if err != nil {
				errs.Add(1)
				fmt.Fprintf(os.Stderr, "fleet child %s: GetOrLoad: %v\n", id, err)
				return
			}
			mu.Lock()
			values[v] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if errs.Load() > 0 {
		return fail("%d callers failed", errs.Load())
	}
	var vs []string
	for v := range values {
		vs = append(vs, v)
	}
	fmt.Printf("FLEET values=%s maxwait=%d\n", strings.Join(vs, ","), time.Duration(maxWait.Load()).Milliseconds())
	return 0
}

// waitFile polls for path until it exists or d has passed.
func waitFile(path string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no %s after %v", filepath.Base(path), d)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// proc is a helper process of the fleet.
type proc struct {
	id  string
	cmd *exec.Cmd
	out strings.Builder
}

// start runs one helper process with env on top of the test's environment.
func start(t *testing.T, id string, env map[string]string) *proc {
	t.Helper()
	p := &proc{id: id}
	p.cmd = exec.Command(os.Args[0])
	p.cmd.Env = append(os.Environ(), envID+"="+id)
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout = &p.out
	p.cmd.Stderr = os.Stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
	})
	return p
}

// result waits for p and parses its report.
func (p *proc) result(t *testing.T) (values []string, maxWait time.Duration) {
	t.Helper()
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("process %s: %v", p.id, err)
	}
	sc := bufio.NewScanner(strings.NewReader(p.out.String()))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "FLEET ")
		if !ok {
			continue
		}
		for f := range strings.FieldsSeq(line) {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "values":
				values = strings.Split(v, ",")
			case "maxwait":
				ms, _ := strconv.Atoi(v)
				maxWait = time.Duration(ms) * time.Millisecond
			}
		}
		return values, maxWait
	}
	t.Fatalf("process %s reported nothing: %q", p.id, p.out.String())
	return nil, 0
}

// target is a shared backend for the fleet and its load counter.
type target struct {
	env   map[string]string
	loads func(t *testing.T) int
}

func redisTarget(t *testing.T, dir string) target {
	r := rig.StartRedis(t)
	opt, err := goredis.ParseURL(r.URL())
	if err != nil {
		t.Fatal(err)
	}
	raw := goredis.NewClient(opt)
	t.Cleanup(func() { _ = raw.Close() })
	return target{
		env: map[string]string{envBackend: "redis", envURL: r.URL(), envDir: dir},
		loads: func(t *testing.T) int {
			n, err := raw.Get(context.Background(), loadsRK).Int()
			if err != nil && !errors.Is(err, goredis.Nil) {
				t.Fatal(err)
			}
			return n
		},
	}
}

func serverTarget(t *testing.T, dir string) target {
	keys, err := server.NewStaticKeys([]server.KeyEntry{{Key: apiKey, Tenant: "fleet"}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Storage: memstore.New(), Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := devcert.New("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ca, _, _, err := bundle.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.TLS = bundle.ServerTLSConfig()
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return target{
		env: map[string]string{envBackend: "io", envURL: ts.URL, envCA: ca, envDir: dir},
		loads: func(t *testing.T) int {
			b, err := os.ReadFile(filepath.Join(dir, "loads"))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			return len(b)
		},
	}
}

// Fleet geometry of the issue: 4 processes × 250 goroutines.
const (
	procs      = 4
	goroutines = 250
)

// startWaiters starts n waiter processes of g goroutines each and waits
// until every one has built its client.
func startWaiters(t *testing.T, tg target, dir string, n, g int, load, lease time.Duration) []*proc {
	t.Helper()
	ps := make([]*proc, n)
	for i := range ps {
		env := map[string]string{envRole: "waiter", envGoroutines: strconv.Itoa(g),
			envLoad: load.String(), envLease: lease.String(), envGo: filepath.Join(dir, "go")}
		for k, v := range tg.env {
			env[k] = v
		}
		ps[i] = start(t, "w"+strconv.Itoa(i), env)
	}
	for i := range ps {
		if err := waitFile(filepath.Join(dir, "ready-w"+strconv.Itoa(i)), 45*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	return ps
}

func release(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// testOneLoad: 4 processes × 250 goroutines miss one key at once; the
// loader runs once across the fleet, and every caller gets its value.
func testOneLoad(t *testing.T, newTarget func(*testing.T, string) target) {
	dir := t.TempDir()
	tg := newTarget(t, dir)
	ps := startWaiters(t, tg, dir, procs, goroutines, 200*time.Millisecond, 5*time.Second)
	release(t, dir, "go")
	var all []string
	for _, p := range ps {
		vs, _ := p.result(t)
		all = append(all, vs...)
	}
	if n := tg.loads(t); n != 1 {
		t.Fatalf("the loader ran %d times across %d processes × %d goroutines; want 1", n, procs, goroutines)
	}
	for _, v := range all {
		if v != all[0] {
			t.Fatalf("callers got different values %q: more than one load was served", all)
		}
	}
}

func TestFleetOneLoadRedis(t *testing.T)           { testOneLoad(t, redisTarget) }
func TestFleetOneLoadReferenceServer(t *testing.T) { testOneLoad(t, serverTarget) }

// testHolderKilled: a process takes the fill lock and is killed in its
// load; after its lease runs out exactly one other process loads, and no
// caller waits more than the lease plus one load (plus a margin for a busy
// machine).
func testHolderKilled(t *testing.T, newTarget func(*testing.T, string) target) {
	const (
		lease  = 1500 * time.Millisecond
		load   = 100 * time.Millisecond
		margin = 2 * time.Second
	)
	dir := t.TempDir()
	tg := newTarget(t, dir)
	ps := startWaiters(t, tg, dir, procs-1, goroutines, load, lease)
	env := map[string]string{envRole: "holder", envGoroutines: "1", envLoad: load.String(),
		envLease: lease.String(), envGo: filepath.Join(dir, "go-holder")}
	for k, v := range tg.env {
		env[k] = v
	}
	holder := start(t, "holder", env)
	if err := waitFile(filepath.Join(dir, "ready-holder"), 45*time.Second); err != nil {
		t.Fatal(err)
	}
	release(t, dir, "go-holder")
	if err := waitFile(filepath.Join(dir, "loading"), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	release(t, dir, "go") // the waiters miss while the holder loads
	time.Sleep(50 * time.Millisecond)
	if err := holder.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = holder.cmd.Wait()
	for _, p := range ps {
		_, maxWait := p.result(t)
		if maxWait > lease+load+margin {
			t.Errorf("process %s: a caller waited %v; want at most lease %v + load %v (+%v margin)", p.id, maxWait, lease, load, margin)
		}
	}
	if n := tg.loads(t); n != 2 {
		t.Fatalf("the loader ran %d times (the killed holder's included); want 2", n)
	}
}

func TestFleetHolderKilledRedis(t *testing.T)           { testHolderKilled(t, redisTarget) }
func TestFleetHolderKilledReferenceServer(t *testing.T) { testHolderKilled(t, serverTarget) }
