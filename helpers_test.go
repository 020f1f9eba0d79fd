package cachekit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/registry"
	"github.com/cachekit-io/cachekit-go/core/tier"
)

const (
	keyHex   = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	otherHex = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
	marker   = "PLAINTEXT-MARKER-4111"
)

// mem is an in-memory backend with failure injection and a count of calls.
type mem struct {
	mu      sync.Mutex
	data    map[string][]byte
	fail    atomic.Pointer[error]
	stale   atomic.Bool // Get reports every hit stale
	gets    atomic.Int64
	sets    atomic.Int64
	deletes atomic.Int64
	closed  atomic.Int64
}

func newMem() *mem { return &mem{data: map[string][]byte{}} }

func (m *mem) failWith(k core.Kind) {
	err := error(core.NewError(k, "mem", "injected", nil))
	m.fail.Store(&err)
}

func (m *mem) err() error {
	if p := m.fail.Load(); p != nil {
		return *p
	}
	return nil
}

func (m *mem) Get(_ context.Context, k string) (core.Entry, bool, error) {
	m.gets.Add(1)
	if err := m.err(); err != nil {
		return core.Entry{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.data[k]
	if !ok {
		return core.Entry{}, false, nil
	}
	f := core.Freshness{Known: true, FreshFor: time.Minute}
	if m.stale.Load() {
		f = core.Freshness{Known: true, Stale: true}
	}
	return core.Entry{Value: bytes.Clone(v), Freshness: f}, true, nil
}

func (m *mem) Set(_ context.Context, k string, v []byte, _ time.Duration) error {
	m.sets.Add(1)
	if err := m.err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[k] = bytes.Clone(v)
	return nil
}

func (m *mem) Delete(_ context.Context, k string) error {
	m.deletes.Add(1)
	if err := m.err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, k)
	return nil
}

func (m *mem) Exists(_ context.Context, k string) (bool, error) {
	if err := m.err(); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.data[k]
	return ok, nil
}

func (m *mem) Health(context.Context) error { return m.err() }

func (m *mem) Close() error { m.closed.Add(1); return nil }

func (m *mem) raw(k string) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.data[k])
}

func (m *mem) put(k string, v []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[k] = bytes.Clone(v)
}

// watched is mem that reports invalidations (tier.Invalidator), counting
// the watches open.
type watched struct {
	*mem
	watches atomic.Int64
	mu      sync.Mutex
	w       []tier.InvalidationWatcher
}

func (w *watched) WatchInvalidations(x tier.InvalidationWatcher) (func(), error) {
	w.watches.Add(1)
	w.mu.Lock()
	w.w = append(w.w, x)
	w.mu.Unlock()
	x.Reset(true)
	return func() { w.watches.Add(-1) }, nil
}

// upper returns the L1 of a preset client's stack.
func upper(t *testing.T, c *core.Client) core.Backend {
	t.Helper()
	s, ok := c.Backend().(*compose.Backend)
	if !ok {
		t.Fatalf("the client's backend is a %T, not a composition with an L1", c.Backend())
	}
	return s.Upper()
}

func mustClient(t *testing.T) func(*core.Client, error) *core.Client {
	return func(c *core.Client, err error) *core.Client {
		t.Helper()
		if err != nil {
			t.Fatalf("constructor: %v", err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
}

func wantConfig(t *testing.T, err error, mentions ...string) {
	t.Helper()
	if core.KindOf(err) != core.KindConfig {
		t.Fatalf("want a KindConfig error, got %v", err)
	}
	var ce *core.Error
	if !errors.As(err, &ce) {
		t.Fatalf("%T is not a *core.Error", err)
	}
	for _, m := range mentions {
		if !strings.Contains(err.Error(), m) {
			t.Fatalf("error %q does not mention %q", err, m)
		}
	}
}

// noSecret fails if any formatting of err shows one of the secrets.
func noSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	s := fmt.Sprintf("%v|%+v|%#v|%s|%q", err, err, err, err, err)
	for _, x := range secrets {
		if x != "" && strings.Contains(s, x) {
			t.Fatalf("the error shows a secret: %s", s)
		}
	}
}

// clearEnv unsets every variable the constructors read, for this test.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"CACHEKIT_MASTER_KEY", "CACHEKIT_PREVIOUS_MASTER_KEYS", "CACHEKIT_API_KEY",
		"CACHEKIT_REDIS_URL", "REDIS_URL", "CACHEKIT_DEFAULT_TTL", "CACHEKIT_API_URL", "CACHEKIT_FILE_CACHE_DIR", "CACHEKIT_MEMCACHED_SERVERS", "FAKE_SELECTOR"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// fakeIO stands in for backend/cachekitio's driver (not linked into this
// test binary): it records what it was opened with.
type fakeIO struct {
	mu      sync.Mutex
	apiKey  string
	masterK string
	opts    []any
	last    *mem
}

var fakeDriver = &fakeIO{}

func (f *fakeIO) open(_ context.Context, cfg registry.Config) (core.Backend, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apiKey, _ = cfg.Lookup("CACHEKIT_API_KEY")
	f.masterK, _ = cfg.Lookup("CACHEKIT_MASTER_KEY")
	f.opts = cfg.Options
	for _, o := range cfg.Options {
		if _, ok := o.(string); !ok {
			return nil, core.NewError(core.KindConfig, "fake.open", fmt.Sprintf("unknown option %T", o), nil)
		}
	}
	f.last = newMem()
	return f.last, nil
}

func (f *fakeIO) seen() (apiKey string, opts []any, b *mem) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.apiKey, f.opts, f.last
}

// fakeSelected is a third-party driver selected by FAKE_SELECTOR.
var fakeSelected = newMem()

func TestMain(m *testing.M) {
	// The examples run in this process: no backend selected from outside.
	for _, k := range []string{"CACHEKIT_API_KEY", "CACHEKIT_REDIS_URL", "REDIS_URL", "CACHEKIT_MEMCACHED_SERVERS", "CACHEKIT_FILE_CACHE_DIR", "FAKE_SELECTOR"} {
		os.Unsetenv(k)
	}
	// "cachekitio" here is the fake above: this binary does not link the
	// real adapter (TestPRE50_IONeedsItsDriver checks a program without
	// any driver).
	if err := registry.Register(registry.Driver{Name: "cachekitio", Selectors: []string{"CACHEKIT_API_KEY"}, Open: fakeDriver.open}); err != nil {
		panic(err)
	}
	if err := registry.Register(registry.Driver{Name: "fake", Selectors: []string{"FAKE_SELECTOR"},
		Open: func(context.Context, registry.Config) (core.Backend, error) { return fakeSelected, nil }}); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}
