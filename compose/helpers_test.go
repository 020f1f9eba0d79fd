package compose_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/compose/offload"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// opLog records the operations of several probes in order.
type opLog struct {
	mu  sync.Mutex
	ops []string
}

func (l *opLog) add(s string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.ops = append(l.ops, s)
	l.mu.Unlock()
}

func (l *opLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ops)
}

// probe wraps a core.Backend (only the required port: it hides the inner
// backend's capabilities) and lets a test watch and steer it: it logs
// operations, counts calls, rewrites the Freshness of hits, and runs hooks
// around Get and Set. Hooks and fresh are set before the probe is used
// concurrently.
type probe struct {
	inner core.Backend
	name  string
	log   *opLog

	// fresh, if set, replaces the Freshness of every hit.
	fresh func(core.Freshness) core.Freshness
	// afterGet, if set, runs after the inner Get, before Get returns.
	afterGet func(ctx context.Context, key string, e core.Entry, found bool)
	// beforeSet, if set, runs before the inner Set.
	beforeSet func(ctx context.Context, key string, value []byte)
	// getErr and setErr, if set, are returned instead of calling inner.
	getErr, setErr, delErr error

	gets, sets, deletes atomic.Int64
}

func newProbe(name string, log *opLog) *probe {
	return &probe{inner: memory.New(memory.WithName(name)), name: name, log: log}
}

func (p *probe) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	p.gets.Add(1)
	p.log.add(p.name + ".get " + key)
	if p.getErr != nil {
		return core.Entry{}, false, p.getErr
	}
	e, found, err := p.inner.Get(ctx, key)
	if found && p.fresh != nil {
		e.Freshness = p.fresh(e.Freshness)
	}
	if p.afterGet != nil {
		p.afterGet(ctx, key, e, found)
	}
	return e, found, err
}

func (p *probe) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	p.sets.Add(1)
	p.log.add(p.name + ".set " + key)
	if p.beforeSet != nil {
		p.beforeSet(ctx, key, value)
	}
	if p.setErr != nil {
		return p.setErr
	}
	return p.inner.Set(ctx, key, value, ttl)
}

func (p *probe) Delete(ctx context.Context, key string) error {
	p.deletes.Add(1)
	p.log.add(p.name + ".delete " + key)
	if p.delErr != nil {
		return p.delErr
	}
	return p.inner.Delete(ctx, key)
}

func (p *probe) Exists(ctx context.Context, key string) (bool, error) {
	return p.inner.Exists(ctx, key)
}

// Stats names the probe, so that compositions can name their tiers.
func (p *probe) Stats() []core.TierStats { return []core.TierStats{{Name: p.name}} }

func (p *probe) Health(ctx context.Context) error { return p.inner.Health(ctx) }

// peek reads key from the probe's inner backend without counting or hooks.
func (p *probe) peek(t *testing.T, key string) (string, time.Duration, bool) {
	t.Helper()
	e, found, err := p.inner.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("%s peek %q: %v", p.name, key, err)
	}
	return string(e.Value), e.Freshness.FreshFor, found
}

// put writes key directly into the probe's inner backend.
func (p *probe) put(t *testing.T, key, value string, ttl time.Duration) {
	t.Helper()
	if err := p.inner.Set(context.Background(), key, []byte(value), ttl); err != nil {
		t.Fatalf("%s put %q: %v", p.name, key, err)
	}
}

// errTier is a test error with a kind.
func errTier(kind core.Kind, msg string) error {
	return &core.Error{Kind: kind, Op: "test", Msg: msg}
}

// mustNew composes upper over lower and closes the composition at the end.
func mustNew(t *testing.T, upper, lower core.Backend, opts ...compose.Option) *compose.Backend {
	t.Helper()
	b, err := compose.New(upper, lower, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// wait waits for the composition's background work.
func wait(t *testing.T, b *compose.Backend) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
}

// get reads key through b and fails t on an error.
func get(t *testing.T, b core.Backend, key string) (string, core.Freshness, bool) {
	t.Helper()
	e, found, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get %q: %v", key, err)
	}
	return string(e.Value), e.Freshness, found
}

// set writes key through b and fails t on an error.
func set(t *testing.T, b core.Backend, key, value string, ttl time.Duration) {
	t.Helper()
	if err := b.Set(context.Background(), key, []byte(value), ttl); err != nil {
		t.Fatalf("Set %q: %v", key, err)
	}
}

// isCoreError reports whether err is or wraps a *core.Error.
func isCoreError(err error) bool {
	var ce *core.Error
	return errors.As(err, &ce)
}

// tierStats returns the stats entry named name.
func tierStats(t *testing.T, b core.StatsReporter, name string) core.TierStats {
	t.Helper()
	for _, s := range b.Stats() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no tier %q in %+v", name, b.Stats())
	return core.TierStats{}
}

// fullOffloader is an offloader whose only slot is taken until release.
type fullOffloader struct {
	o    *offload.Offloader
	stop chan struct{}
	once sync.Once
}

func newFullOffloader(t *testing.T) *fullOffloader {
	t.Helper()
	o, err := offload.New(offload.WithLimit(1))
	if err != nil {
		t.Fatal(err)
	}
	f := &fullOffloader{o: o, stop: make(chan struct{})}
	started := make(chan struct{})
	f.o.Submit(context.Background(), "", func(context.Context) { close(started); <-f.stop })
	<-started
	t.Cleanup(f.release)
	return f
}

func (f *fullOffloader) release() {
	f.once.Do(func() {
		close(f.stop)
		_ = f.o.Close()
	})
}
