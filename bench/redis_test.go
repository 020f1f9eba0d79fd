package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/cachekit-io/cachekit-go/conformance/rig"
)

// TestMain silences go-redis's and (unless -v) testcontainers' logging,
// and after the run terminates the Redis container the benchmarks shared.
func TestMain(m *testing.M) {
	flag.Parse()
	goredis.SetLogger(quietLogger{})
	if !testing.Verbose() {
		tclog.SetDefault(tclog.NewNoopLogger())
	}
	code := m.Run()
	runTB.cleanup()
	os.Exit(code)
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// server is a Redis server the stacks share, with one go-redis client that
// every library's stack uses (same pool, same options).
type server struct {
	kind string // "container" or "miniredis"
	rdb  *goredis.Client
	mini *miniredis.Miniredis // set for kind "miniredis"
}

var (
	containerOnce sync.Once
	container     *server
	containerErr  error

	miniOnce sync.Once
	mini     *server
	miniErr  error
)

// redisContainer returns the Redis container of the whole run, starting it
// on first use (conformance/rig, CACHEKIT_REDIS_IMAGE). Without a container
// engine it skips the benchmark — or fails it under CI=true.
func redisContainer(tb testing.TB) *server {
	tb.Helper()
	containerOnce.Do(func() { container, containerErr = startContainer() })
	if containerErr != nil {
		msg := "Redis rows need the container rig: " + containerErr.Error() +
			"; run `scripts/rig.sh up` and `. .rig/env` at the repository root (or set DOCKER_HOST)"
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			tb.Fatal(msg)
		}
		skipNote.Do(func() { fmt.Fprintln(os.Stderr, "bench: skipping the Redis rows:", msg) })
		tb.Skip(msg)
	}
	return container
}

// anyRedis returns the Redis container when one can run, or else an
// in-process miniredis. The L1 rows use it: an L1 hit never reaches the
// second tier, so they run (and measure the same thing) without a container.
func anyRedis(tb testing.TB) *server {
	tb.Helper()
	containerOnce.Do(func() { container, containerErr = startContainer() })
	if containerErr == nil {
		return container
	}
	miniNote.Do(func() {
		fmt.Fprintf(os.Stderr, "bench: no Redis container (%v): the L1 rows run over a miniredis, which an L1 hit never reaches\n", containerErr)
	})
	return miniRedis(tb)
}

var miniNote, skipNote sync.Once

// miniRedis returns a process-wide miniredis (the tests use it: no
// container needed).
func miniRedis(tb testing.TB) *server {
	tb.Helper()
	miniOnce.Do(func() {
		m := miniredis.NewMiniRedis()
		if miniErr = m.Start(); miniErr != nil {
			return
		}
		runTB.Cleanup(m.Close)
		mini = &server{kind: "miniredis", rdb: newClient(m.Addr()), mini: m}
		runTB.Cleanup(func() { _ = mini.rdb.Close() })
	})
	if miniErr != nil {
		tb.Fatal("miniredis:", miniErr)
	}
	return mini
}

func newClient(addr string) *goredis.Client {
	return goredis.NewClient(&goredis.Options{Addr: addr})
}

// startContainer starts the shared container with rig.StartRedis, on a
// testing.TB that lives for the whole process (runTB), so that the
// container outlives the benchmark that first asked for it.
func startContainer() (*server, error) {
	if err := rig.Available(); err != nil {
		return nil, err
	}
	var r *rig.Redis
	done := make(chan struct{})
	go func() { // runTB's Fatal and Skip end this goroutine, not the caller
		defer close(done)
		r = rig.StartRedis(&runTB)
	}()
	<-done
	if r == nil {
		return nil, runTB.failure()
	}
	s := &server{kind: "container", rdb: newClient(r.Addr)}
	runTB.Cleanup(func() { _ = s.rdb.Close() })
	if err := s.rdb.Ping(context.Background()).Err(); err != nil {
		return nil, fmt.Errorf("ping %s: %w", r.Addr, err)
	}
	return s, nil
}

// flush empties the server between benchmarks (outside the timer).
func (s *server) flush(tb testing.TB) {
	tb.Helper()
	if err := s.rdb.FlushDB(context.Background()).Err(); err != nil {
		tb.Fatal("FLUSHDB:", err)
	}
}

// notCounted are commands the benchmarks' own bookkeeping or connection
// set-up send; redis-cmds/op counts the others.
// The invalidation watch of a composition sends client|id, client|tracking,
// subscribe and its pings.
var notCounted = map[string]bool{"info": true, "hello": true, "client": true, "ping": true, "select": true, "auth": true, "flushdb": true, "subscribe": true}

// commands returns the number of data commands the server has processed so
// far (INFO commandstats; miniredis: its command count).
func (s *server) commands(tb testing.TB) int64 {
	if s.mini != nil {
		return int64(s.mini.CommandCount())
	}
	info, err := s.rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		tb.Fatal("INFO commandstats:", err)
	}
	n, err := countCommands(info)
	if err != nil {
		tb.Fatal("INFO commandstats:", err)
	}
	return n
}

// countCommands sums the calls of the counted commands in the reply of
// INFO commandstats ("cmdstat_get:calls=3,usec=…" lines).
func countCommands(info string) (int64, error) {
	var n int64
	for line := range strings.SplitSeq(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		base, _, _ := strings.Cut(strings.TrimPrefix(name, "cmdstat_"), "|") // client|id → client
		if !ok || !strings.HasPrefix(name, "cmdstat_") || notCounted[base] {
			continue
		}
		calls, _, _ := strings.Cut(strings.TrimPrefix(rest, "calls="), ",")
		c, err := strconv.ParseInt(calls, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q: %w", line, err)
		}
		n += c
	}
	return n, nil
}

// runTB is the testing.TB the shared container is started with: it lives
// for the whole process; TestMain runs its cleanups. Only the methods the
// rig and testcontainers call are implemented (the embedded nil TB panics
// on any other).
var runTB procTB

type procTB struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
	msgs     []string
	failed   bool
}

func (p *procTB) Helper()      {}
func (p *procTB) Name() string { return "bench-redis" }
func (p *procTB) Cleanup(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cleanups = append(p.cleanups, f)
}
func (p *procTB) Logf(format string, args ...any) {
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "rig: "+format+"\n", args...)
	}
}
func (p *procTB) Log(args ...any) { p.Logf("%s", fmt.Sprint(args...)) }
func (p *procTB) Errorf(format string, args ...any) {
	p.record(fmt.Sprintf(format, args...))
}
func (p *procTB) Error(args ...any) { p.record(fmt.Sprint(args...)) }
func (p *procTB) Fatalf(format string, args ...any) {
	p.record(fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (p *procTB) Fatal(args ...any) { p.record(fmt.Sprint(args...)); runtime.Goexit() }
func (p *procTB) FailNow()          { p.record("FailNow"); runtime.Goexit() }
func (p *procTB) Fail()             { p.record("Fail") }
func (p *procTB) Skip(args ...any)  { p.record(fmt.Sprint(args...)); runtime.Goexit() }
func (p *procTB) Skipf(format string, args ...any) {
	p.record(fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (p *procTB) SkipNow() { p.record("SkipNow"); runtime.Goexit() }
func (p *procTB) Failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}
func (p *procTB) Context() context.Context { return context.Background() }

func (p *procTB) record(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failed = true
	p.msgs = append(p.msgs, msg)
}

// failure returns what the rig reported when it gave up.
func (p *procTB) failure() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.msgs) == 0 {
		return errors.New("rig: start failed")
	}
	return errors.New(strings.Join(p.msgs, "; "))
}

// cleanup runs the cleanups, last registered first.
func (p *procTB) cleanup() {
	p.mu.Lock()
	fs := p.cleanups
	p.cleanups = nil
	p.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}
