//go:build !(js && wasm)

package workers_test

// The host side of the proof. TestNode and TestWorkerd build the reference
// server (module server), start it in development mode over TLS, and run
// the js/wasm side against it in real JavaScript hosts: this package's
// js/wasm tests under Node, and the same test binary plus a Worker built
// from internal/e2eworker inside workerd. Nothing is mocked: the server is
// the real binary, the runtimes are the real Node and workerd.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/backend/cachekitio"
	"github.com/cachekit-io/cachekit-go/backend/workers/worker"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/protocol"
)

// maxValue is the reference server's value limit in these runs: the
// conformance suite's large values are this size.
const maxValue = 2 << 20

// work holds the artifacts the tests build (server binary, wasm files).
var work string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cachekit-workers-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	work = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// ---- tools -----------------------------------------------------------------

func inCI() bool { ci, _ := strconv.ParseBool(os.Getenv("CI")); return ci }

// missing skips the test, or fails it when CI=true.
func missing(t *testing.T, what, hint string) {
	t.Helper()
	if inCI() {
		t.Fatalf("%s is missing, and CI=true makes that a failure: %s", what, hint)
	}
	t.Skipf("%s not found, skipping: %s", what, hint)
}

// repoRoot is the repository's root: this module is backend/workers.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "server", "cmd", "cachekit-server")); err != nil {
		missing(t, "the reference server's source (../../server)", err.Error())
	}
	return root
}

// wasmDir is $(go env GOROOT)/lib/wasm.
func wasmDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "lib", "wasm")
	if _, err := os.Stat(filepath.Join(dir, "wasm_exec.js")); err != nil {
		missing(t, "GOROOT/lib/wasm/wasm_exec.js", err.Error())
	}
	return dir
}

func needNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		missing(t, "node", "install Node.js 20 or later")
	}
}

// workerdPath finds workerd: $CACHEKIT_WORKERD, the copy make installs in
// .tools/node, or PATH.
func workerdPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CACHEKIT_WORKERD"); p != "" {
		return p
	}
	p := filepath.Join(repoRoot(t), ".tools", "node", "node_modules", ".bin", "workerd")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if p, err := exec.LookPath("workerd"); err == nil {
		return p
	}
	missing(t, "workerd", "run `make workerd` (npm install workerd@"+"1.20261117.1 into .tools/node) or set CACHEKIT_WORKERD")
	return ""
}

// built runs a build once per test binary and remembers its outcome.
type built struct {
	once sync.Once
	err  error
}

var (
	serverBin, testWasm, appWasm built
	buildMu                      sync.Mutex // one compile at a time: the machine is small
)

func (b *built) get(t *testing.T, what string, run func() error) {
	t.Helper()
	b.once.Do(func() {
		buildMu.Lock()
		defer buildMu.Unlock()
		start := time.Now()
		b.err = run()
		t.Logf("built %s in %v", what, time.Since(start).Round(time.Millisecond))
	})
	if b.err != nil {
		t.Fatalf("building %s: %v", what, b.err)
	}
}

// goCmd runs the go command in dir; js selects GOOS=js GOARCH=wasm.
func goCmd(dir string, js bool, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=") // no -race or other host flags
	if js {
		cmd.Env = append(cmd.Env, "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func buildServer(t *testing.T) string {
	out := filepath.Join(work, "cachekit-server")
	root := repoRoot(t)
	serverBin.get(t, "the reference server", func() error {
		return goCmd(filepath.Join(root, "server"), false, "build", "-o", out, "./cmd/cachekit-server")
	})
	return out
}

// buildTests compiles this package's js/wasm tests (go test -c).
func buildTests(t *testing.T) string {
	out := filepath.Join(work, "workers_test.wasm")
	testWasm.get(t, "the js/wasm test binary", func() error {
		return goCmd(".", true, "test", "-c", "-o", out, ".")
	})
	return out
}

func buildApp(t *testing.T) string {
	out := filepath.Join(work, "app.wasm")
	appWasm.get(t, "the e2e Worker", func() error {
		return goCmd(".", true, "build", "-o", out, "./internal/e2eworker")
	})
	return out
}

// ---- the reference server ---------------------------------------------------

type refServer struct {
	url, key, caFile string
	pool             *x509.CertPool
}

var listeningRE = regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)

// startServer runs the reference server in development mode (TLS with a
// throwaway CA, generated keys) on a free loopback port.
func startServer(t *testing.T) refServer {
	t.Helper()
	bin := buildServer(t)
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-storage", "memory",
		"-max-value-bytes", strconv.Itoa(maxValue), "-log-level", "info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var s refServer
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		announced := false
		for sc.Scan() {
			line := sc.Text()
			if announced {
				continue // drain the request log
			}
			switch {
			case strings.HasPrefix(strings.TrimSpace(line), "ck_sdk_"):
				s.key = strings.TrimSpace(line)
			case strings.HasPrefix(line, "development CA certificate"):
				s.caFile = strings.TrimSpace(line[strings.LastIndex(line, ": ")+2:])
			case listeningRE.MatchString(line):
				s.url = "https://" + listeningRE.FindStringSubmatch(line)[1]
				announced = true
				ready <- nil
			}
		}
		if !announced {
			ready <- errors.New("the server exited before listening")
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if d := filepath.Dir(s.caFile); strings.HasPrefix(filepath.Base(d), "cachekit-dev-") {
			_ = os.RemoveAll(d) // development mode leaves its CA there
		}
	})
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the reference server did not start within 30s")
	}
	if s.key == "" || s.caFile == "" {
		t.Fatalf("development mode printed no SDK key or CA (key %v, CA %q)", s.key != "", s.caFile)
	}
	pem, err := os.ReadFile(s.caFile)
	if err != nil {
		t.Fatal(err)
	}
	s.pool = x509.NewCertPool()
	if !s.pool.AppendCertsFromPEM(pem) {
		t.Fatal("no CA certificate in " + s.caFile)
	}
	return s
}

// ---- the local server for the Transport tests -------------------------------

// auxHandler serves the endpoints TestJSTransport uses.
func auxHandler() http.Handler {
	var refused atomic.Int64
	m := http.NewServeMux()
	m.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(body)
		w.Header().Set("X-Echo", "yes")
		w.Header().Set("Content-Type", "application/json")
		out, _ := json.Marshal(map[string]any{"method": r.Method, "headers": r.Header,
			"len": len(body), "sha": hex.EncodeToString(sum[:])})
		w.Header().Set("Content-Length", strconv.Itoa(len(out)))
		_, _ = w.Write(out)
	})
	m.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/echo", http.StatusFound)
	})
	m.HandleFunc("/gzip", func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write([]byte(strings.Repeat("hello gzip\n", 1000)))
		_ = zw.Close()
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
		_, _ = w.Write(buf.Bytes())
	})
	m.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i * 7 % 251)
		}
		for len(b) > 0 { // chunked, in several flushes
			c := min(len(b), 256<<10)
			if _, err := w.Write(b[:c]); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			b = b[c:]
		}
	})
	hang := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(20 * time.Second):
		}
	}
	m.HandleFunc("/hang-headers", hang)
	m.HandleFunc("/hang-body", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("start"))
		w.(http.Flusher).Flush()
		hang(w, r)
	})
	m.HandleFunc("/refused", func(w http.ResponseWriter, r *http.Request) { refused.Add(1) })
	m.HandleFunc("/hits", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(strconv.FormatInt(refused.Load(), 10)))
	})
	return m
}

func startAux(t *testing.T) (plain, untrusted string) {
	t.Helper()
	a := httptest.NewServer(auxHandler())
	b := httptest.NewUnstartedServer(auxHandler())
	b.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshakes are the point
	b.StartTLS()
	t.Cleanup(func() { a.Close(); b.Close() })
	return a.URL, b.URL
}

// hangingTLS is an address that accepts connections and never answers, so
// a TLS handshake there waits until the client gives up.
func hangingTLS(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return "https://" + ln.Addr().String()
}

// ---- the js/wasm test binary's output ---------------------------------------

// checkTestOutput requires every top-level js test to have passed and the
// conformance suite to have run (not skipped); it reports the counts.
func checkTestOutput(t *testing.T, where string, out string, code int) {
	t.Helper()
	if code != 0 || !strings.HasSuffix(out, "\nPASS\n") {
		t.Fatalf("js/wasm tests in %s failed (exit %d):\n%s", where, code, tail(out, 12000))
	}
	for _, name := range []string{"TestJSConformance", "TestJSBadKey", "TestJSTransport", "TestJSTransportErrorsHideSecrets"} {
		if !strings.Contains(out, "--- PASS: "+name+" ") {
			t.Fatalf("%s did not pass in %s:\n%s", name, where, tail(out, 12000))
		}
	}
	passed := strings.Count(out, "--- PASS: TestJSConformance/")
	skipped := strings.Count(out, "--- SKIP: TestJSConformance/")
	if passed < 20 {
		t.Fatalf("only %d conformance subtests passed in %s:\n%s", passed, where, tail(out, 12000))
	}
	t.Logf("%s: conformance suite: %d subtests passed, %d skipped (declared unsupported); Transport: %d subtests passed",
		where, passed, skipped, strings.Count(out, "--- PASS: TestJSTransport/"))
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// testEnv is the environment the js/wasm tests read.
func testEnv(s refServer, aux string) map[string]string {
	return map[string]string{
		"CACHEKIT_WORKERS_TEST_URL": s.url,
		"CACHEKIT_WORKERS_TEST_KEY": s.key,
		"CACHEKIT_WORKERS_TEST_AUX": aux,
		"CACHEKIT_WORKERS_TEST_MAX": strconv.Itoa(maxValue),
	}
}

// ---- Node --------------------------------------------------------------------

// TestNode runs this package's js/wasm tests — the conformance suite against
// the reference server, the bad-key check and the Transport's contract —
// under Node, with the exec wrapper go test uses for GOOS=js.
func TestNode(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: builds wasm and sleeps through TTLs")
	}
	needNode(t)
	wasm := wasmDir(t)
	srv := startServer(t)
	aux, untrusted := startAux(t)
	bin := buildTests(t)

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	// -test.parallel defaults to GOMAXPROCS, which is 1 on js/wasm: the
	// suite's subtests, which mostly wait on the network and on TTLs,
	// would run one after another.
	cmd := exec.CommandContext(ctx, filepath.Join(wasm, "go_js_wasm_exec"), bin,
		"-test.v", "-test.count=1", "-test.parallel=32", "-test.timeout=4m", "-test.run=^TestJS")
	cmd.Env = append(os.Environ(),
		"NODE_EXTRA_CA_CERTS="+srv.caFile, // Node's fetch trusts the server's development CA
		"CACHEKIT_WORKERS_TEST_AUX_TLS="+untrusted)
	for k, v := range testEnv(srv, aux) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	start := time.Now()
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		code = -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
	}
	t.Logf("node run took %v", time.Since(start).Round(time.Millisecond))
	checkTestOutput(t, "Node", string(out), code)
}

// ---- workerd -----------------------------------------------------------------

const workerdConfig = `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "e2e", worker = .e2e),
    (name = "tests", worker = .tests),
    # Outbound to loopback needs "local"; the reference server's
    # development CA is trusted here, as NODE_EXTRA_CA_CERTS does for Node.
    (name = "net", network = (allow = ["public", "private", "local"],
                              tlsOptions = (trustedCertificates = [embed "ca.pem"]))),
  ],
  sockets = [
    (name = "e2e", address = "127.0.0.1:0", http = (), service = "e2e"),
    (name = "tests", address = "127.0.0.1:0", http = (), service = "tests"),
  ],
);

const e2e :Workerd.Worker = (
  modules = [
    (name = "shim.mjs", esModule = embed "shim.mjs"),
    (name = "wasm_exec.js", esModule = embed "wasm_exec.js"),
    (name = "app.wasm", wasm = embed "app.wasm"),
  ],
  compatibilityDate = "2025-09-01",
  globalOutbound = "net",
  bindings = [
    (name = "CACHEKIT_API_KEY", fromEnvironment = "CACHEKIT_WORKERS_TEST_KEY"),
    (name = "CACHEKIT_API_URL", fromEnvironment = "CACHEKIT_WORKERS_TEST_URL"),
  ],
);

const tests :Workerd.Worker = (
  modules = [
    (name = "runner.mjs", esModule = embed "runner.mjs"),
    (name = "wasm_exec.js", esModule = embed "wasm_exec.js"),
    (name = "tests.wasm", wasm = embed "workers_test.wasm"),
  ],
  compatibilityDate = "2025-09-01",
  globalOutbound = "net",
  bindings = [
    (name = "CACHEKIT_WORKERS_TEST_URL", fromEnvironment = "CACHEKIT_WORKERS_TEST_URL"),
    (name = "CACHEKIT_WORKERS_TEST_KEY", fromEnvironment = "CACHEKIT_WORKERS_TEST_KEY"),
    (name = "CACHEKIT_WORKERS_TEST_AUX", fromEnvironment = "CACHEKIT_WORKERS_TEST_AUX"),
    (name = "CACHEKIT_WORKERS_TEST_MAX", fromEnvironment = "CACHEKIT_WORKERS_TEST_MAX"),
  ],
);
`

// startWorkerd serves the e2e Worker and the test runner; it returns their
// base URLs. The API key reaches workerd through its environment only.
func startWorkerd(t *testing.T, bin string, srv refServer, aux string) (e2e, tests string) {
	t.Helper()
	dir := t.TempDir()
	wasm := wasmDir(t)
	runner, err := os.ReadFile(filepath.Join("testdata", "runner.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"config.capnp": workerdConfig,
		"shim.mjs":     worker.Shim(),
		"runner.mjs":   string(runner),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for name, src := range map[string]string{
		"ca.pem":            srv.caFile,
		"wasm_exec.js":      filepath.Join(wasm, "wasm_exec.js"),
		"app.wasm":          buildApp(t),
		"workers_test.wasm": buildTests(t),
	} {
		if err := link(src, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}

	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	cmd := exec.Command(bin, "serve", "config.capnp", "--control-fd=3")
	cmd.Dir = dir
	cmd.ExtraFiles = []*os.File{ctlW}
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Env = os.Environ()
	for k, v := range testEnv(srv, aux) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_ = ctlW.Close()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		_ = ctlR.Close()
		if t.Failed() {
			t.Logf("workerd output:\n%s", tail(logs.String(), 8000))
		}
	})

	// workerd reports each socket's port on the control fd.
	ports := map[string]int{}
	found := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(ctlR)
		for sc.Scan() {
			var ev struct {
				Event, Socket string
				Port          int
			}
			if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Event == "listen" {
				ports[ev.Socket] = ev.Port
				if len(ports) == 2 {
					found <- nil
					return
				}
			}
		}
		found <- errors.New("workerd exited before listening")
	}()
	select {
	case err := <-found:
		if err != nil {
			t.Fatalf("%v:\n%s", err, tail(logs.String(), 8000))
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("workerd did not listen within 60s:\n%s", tail(logs.String(), 8000))
	}
	return fmt.Sprintf("http://127.0.0.1:%d", ports["e2e"]), fmt.Sprintf("http://127.0.0.1:%d", ports["tests"])
}

// link hard-links src to dst, or copies it.
func link(src, dst string) error {
	if os.Link(src, dst) == nil {
		return nil
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o600)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestWorkerd serves a Go Worker (internal/e2eworker: worker.Serve, the
// workers backend, a core client with the MessagePack codec) with workerd
// and drives it over HTTP against the reference server; meanwhile the same
// js/wasm test binary TestNode runs, conformance suite included, runs inside
// workerd too.
func TestWorkerd(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: builds wasm and sleeps through TTLs")
	}
	bin := workerdPath(t)
	srv := startServer(t)
	aux, _ := startAux(t)
	e2e, tests := startWorkerd(t, bin, srv, aux)

	// The conformance run inside workerd takes a while (it sleeps through
	// TTLs): start it now, check it at the end.
	type run struct {
		out  string
		code int
		err  error
		took time.Duration
	}
	suite := make(chan run, 1)
	go func() {
		start := time.Now()
		q := "arg=-test.v&arg=-test.count=1&arg=-test.parallel=32&arg=-test.timeout=4m&arg=-test.run%3D%5ETestJS"
		c := &http.Client{Timeout: 5 * time.Minute}
		res, err := c.Get(tests + "/run?" + q)
		if err != nil {
			suite <- run{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		code, _ := strconv.Atoi(res.Header.Get("X-Exit-Code"))
		if res.Header.Get("X-Exit-Code") == "" {
			code = -1
		}
		suite <- run{out: string(b), code: code, err: err, took: time.Since(start)}
	}()

	var bodies lockedBuffer // every response, to check that no secret leaks
	client := &http.Client{Timeout: 30 * time.Second}
	call := func(t *testing.T, method, path string, body any) map[string]any {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(t.Context(), method, e2e+path, rd)
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		_, _ = bodies.Write(b)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
		}
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
		return out
	}
	ok := func(t *testing.T, m map[string]any) map[string]any {
		t.Helper()
		if m["ok"] != true {
			t.Fatalf("not ok: %v", m)
		}
		return m
	}
	run1 := strconv.FormatInt(time.Now().UnixNano(), 36) // keys unique to this run
	k := func(name string) string { return "e2e-" + run1 + "-" + name }

	var bootID string
	t.Run("StateAcrossRequests", func(t *testing.T) {
		a, b := call(t, "GET", "/count", nil), call(t, "GET", "/count", nil)
		if a["boot"] != b["boot"] || b["n"].(float64) != a["n"].(float64)+1 {
			t.Fatalf("one Go instance per isolate expected: %v then %v", a, b)
		}
		bootID = a["boot"].(string)
	})

	t.Run("Health", func(t *testing.T) { ok(t, call(t, "GET", "/health", nil)) })

	t.Run("SetGetExistsDelete", func(t *testing.T) {
		key := k("ada")
		ok(t, call(t, "POST", "/set?ttl=3600&key="+key, map[string]any{"name": "Ada", "n": 42}))
		got := ok(t, call(t, "GET", "/get?key="+key, nil))
		if got["found"] != true || fmt.Sprint(got["value"]) != "map[n:42 name:Ada]" {
			t.Fatalf("get after set: %v", got)
		}
		if e := ok(t, call(t, "GET", "/exists?key="+key, nil)); e["exists"] != true {
			t.Fatalf("exists after set: %v", e)
		}
		ok(t, call(t, "GET", "/delete?key="+key, nil))
		if e := ok(t, call(t, "GET", "/exists?key="+key, nil)); e["exists"] != false {
			t.Fatalf("exists after delete: %v", e)
		}
		if g := ok(t, call(t, "GET", "/get?key="+key, nil)); g["found"] != false {
			t.Fatalf("get after delete: %v", g)
		}
	})

	t.Run("MissIsNotAnError", func(t *testing.T) {
		if g := ok(t, call(t, "GET", "/get?key="+k("never-set"), nil)); g["found"] != false {
			t.Fatalf("miss: %v", g)
		}
	})

	t.Run("TTLAndExpire", func(t *testing.T) {
		key := k("ttl")
		ok(t, call(t, "POST", "/set?ttl=60&key="+key, map[string]any{"name": "t", "n": 1}))
		ttl := ok(t, call(t, "GET", "/ttl?key="+key, nil))
		if ms := ttl["ttl_ms"].(float64); ttl["found"] != true || ms < 58000 || ms > 60000 {
			t.Fatalf("ttl after set 60s: %v", ttl)
		}
		if e := ok(t, call(t, "GET", "/expire?ttl=120&key="+key, nil)); e["updated"] != true {
			t.Fatalf("expire: %v", e)
		}
		ttl = ok(t, call(t, "GET", "/ttl?key="+key, nil))
		if ms := ttl["ttl_ms"].(float64); ms < 118000 || ms > 120000 {
			t.Fatalf("ttl after expire 120s: %v", ttl)
		}
	})

	t.Run("FreshnessThenExpiry", func(t *testing.T) {
		key := k("fresh")
		// The server stamps whole seconds (fresh_until = floor(now) + ttl)
		// and floors X-CacheKit-Fresh-For: a 3s entry read at once has 1 to
		// 3 seconds left.
		ok(t, call(t, "POST", "/set?ttl=3&key="+key, map[string]any{"name": "f", "n": 2}))
		f := ok(t, call(t, "GET", "/fresh?key="+key, nil))
		if ms := f["fresh_for_ms"].(float64); f["found"] != true || f["known"] != true || f["stale"] != false || ms < 1000 || ms > 3000 {
			t.Fatalf("freshness of a 3s entry: %v", f)
		}
		deadline := time.Now().Add(8 * time.Second)
		for {
			g := ok(t, call(t, "GET", "/get?key="+key, nil))
			if g["found"] == false {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a 3s entry still served after 8s: %v", g)
			}
			time.Sleep(500 * time.Millisecond)
		}
	})

	t.Run("InteropWithNativeClient", func(t *testing.T) {
		// A core client on the host, over cachekitio's own net/http
		// transport, shares values with the Worker: same wire format.
		b, err := cachekitio.New(cachekitio.WithoutEnv(), cachekitio.WithAPIKey(srv.key),
			cachekitio.WithInsecureCustomEndpoint(srv.url), cachekitio.WithRootCAs(srv.pool))
		if err != nil {
			t.Fatal(err)
		}
		native, err := core.New(b, core.WithCodec(protocol.Msgpack()), core.WithNamespace("e2e"))
		if err != nil {
			t.Fatal(err)
		}
		defer native.Close()
		type item struct {
			Name string `msgpack:"name"`
			N    int    `msgpack:"n"`
		}
		if err := native.Set(t.Context(), k("native"), item{"from host", 7}, core.TTL(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if g := ok(t, call(t, "GET", "/get?key="+k("native"), nil)); fmt.Sprint(g["value"]) != "map[n:7 name:from host]" {
			t.Fatalf("the Worker read %v", g)
		}
		ok(t, call(t, "POST", "/set?ttl=60&key="+k("worker"), map[string]any{"name": "from worker", "n": 8}))
		v, found, err := core.Get[item](t.Context(), native, k("worker"))
		if err != nil || !found || v != (item{"from worker", 8}) {
			t.Fatalf("the host read %v %v %v", v, found, err)
		}
	})

	t.Run("Lock", func(t *testing.T) {
		l := ok(t, call(t, "GET", "/lock?key="+k("lock"), nil))
		if l["acquired"] != true || l["contended"] != true || l["released"] != true {
			t.Fatalf("lock: %v", l)
		}
	})

	const badKey = "ck_sdk_not_a_real_key_0123456789"
	t.Run("WrongKeyIsAuth", func(t *testing.T) {
		r := call(t, "GET", "/badauth?key="+badKey, nil)
		if r["ok"] != false || r["kind"] != "auth" {
			t.Fatalf("wrong key: %v", r)
		}
		if strings.Contains(fmt.Sprint(r["err"]), badKey) {
			t.Fatalf("the key is in the error: %v", r["err"])
		}
	})

	t.Run("UnreachableIsTransient", func(t *testing.T) {
		r := call(t, "GET", "/unreachable?url=https://127.0.0.1:1", nil)
		if r["ok"] != false || r["kind"] != "transient" {
			t.Fatalf("unreachable server: %v", r)
		}
	})

	t.Run("DeadlineIsTimeout", func(t *testing.T) {
		start := time.Now()
		r := call(t, "GET", "/timeout?ms=500&url="+hangingTLS(t), nil)
		if r["ok"] != false || r["kind"] != "timeout" {
			t.Fatalf("hanging server: %v", r)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("the abort took %v", d)
		}
	})

	t.Run("ConcurrentRequests", func(t *testing.T) {
		// Requests that wait for each other inside Go (one mutex): the
		// shim must keep each request's fetches in its own request.
		for i := range 4 {
			ok(t, call(t, "POST", "/set?ttl=60&key="+k("c"+strconv.Itoa(i)), map[string]any{"name": "c", "n": i}))
		}
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := client.Get(e2e + "/contend?key=" + k("c"+strconv.Itoa(i%4)))
				if err != nil {
					errs <- err
					return
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				var m map[string]any
				if res.StatusCode != 200 || json.Unmarshal(b, &m) != nil || m["ok"] != true || m["found"] != true {
					errs <- fmt.Errorf("request %d: %d %s", i, res.StatusCode, b)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})

	t.Run("PanicIs500AndTheInstanceLives", func(t *testing.T) {
		res, err := client.Get(e2e + "/panic")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusInternalServerError {
			t.Fatalf("panic: status %d", res.StatusCode)
		}
		if c := call(t, "GET", "/count", nil); c["boot"] != bootID {
			t.Fatalf("the Go instance was replaced after a panic: %v (was %s)", c, bootID)
		}
	})

	t.Run("NoSecretInResponses", func(t *testing.T) {
		if strings.Contains(bodies.String(), srv.key) {
			t.Fatal("the API key appears in a response")
		}
	})

	t.Run("ConformanceInWorkerd", func(t *testing.T) {
		r := <-suite
		if r.err != nil {
			t.Fatalf("running the js/wasm tests in workerd: %v", r.err)
		}
		t.Logf("workerd run took %v", r.took.Round(time.Millisecond))
		checkTestOutput(t, "workerd", r.out, r.code)
	})
}
