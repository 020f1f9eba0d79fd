package conformance

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
)

// runRecorded runs the suite on a recorder and returns the failures it
// recorded, keyed by the subtest's name below "suite/".
func runRecorded(t *testing.T, h Harness) map[string][]string {
	t.Helper()
	log := &failureLog{}
	runSuite(recorder{T: t, log: log}, h)
	out := make(map[string][]string)
	for name, msgs := range log.snapshot() {
		if i := strings.Index(name, "/suite/"); i >= 0 {
			name = name[i+len("/suite/"):]
		}
		out[name] = msgs
	}
	return out
}

func memoryHarness(wrap func(*memory.Backend) core.Backend) Harness {
	return Harness{
		New: func(t *testing.T) core.Backend {
			m := memory.New()
			t.Cleanup(func() { _ = m.Close() })
			return wrap(m)
		},
		MaxValueSize: 64 << 10,
	}
}

// TestReferenceRecordsNothing checks the recorder itself: the reference
// backend passes with no failure recorded.
func TestReferenceRecordsNothing(t *testing.T) {
	t.Parallel()
	got := runRecorded(t, memoryHarness(func(m *memory.Backend) core.Backend { return m }))
	if len(got) != 0 {
		t.Errorf("reference backend recorded failures: %v", got)
	}
}

// TestSuiteCatchesBrokenBackends proves the suite can fail: every broken
// backend must fail the named checks (it may fail others as well).
func TestSuiteCatchesBrokenBackends(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		wrap func(*memory.Backend) core.Backend
		fail []string
	}{
		{"IgnoresTTL", func(m *memory.Backend) core.Backend { return ignoresTTL{m} },
			[]string{"Expiry", "Freshness", "OverwriteTTL", "BatchSetter"}},
		{"Aliases", func(*memory.Backend) core.Backend { return newAliasing() },
			[]string{"Aliasing"}},
		{"AcceptsNegativeTTL", func(m *memory.Backend) core.Backend { return acceptsNegativeTTL{m} },
			[]string{"InvalidTTL"}},
		{"IgnoresContext", func(m *memory.Backend) core.Backend { return ignoresContext{m} },
			[]string{"Context"}},
		{"RawContextErrors", func(m *memory.Backend) core.Backend { return rawContextErrors{m} },
			[]string{"Context"}},
		{"SharedLock", func(m *memory.Backend) core.Backend { return sharedLock{m} },
			[]string{"Locker"}},
		{"UnlockAnyToken", func(m *memory.Backend) core.Backend { return newUnlockAnyToken(m) },
			[]string{"Locker"}},
		{"EternalLease", func(m *memory.Backend) core.Backend { return eternalLease{m} },
			[]string{"Locker"}},
		{"NoFreshness", func(m *memory.Backend) core.Backend { return noFreshness{m} },
			[]string{"SetGet", "Freshness", "NoExpiry"}},
		{"FrozenFreshness", func(m *memory.Backend) core.Backend { return &frozenFreshness{Backend: m} },
			[]string{"Freshness"}},
		{"ReversedBatch", func(m *memory.Backend) core.Backend { return reversedBatch{m} },
			[]string{"BatchGetter"}},
		{"BatchDeleteSkipsLast", func(m *memory.Backend) core.Backend { return batchDeleteSkipsLast{m} },
			[]string{"BatchDeleter"}},
		{"BatchValuesReversed", func(m *memory.Backend) core.Backend { return batchValuesReversed{m} },
			[]string{"BatchValueGetter"}},
		{"DeleteNoop", func(m *memory.Backend) core.Backend { return deleteNoop{m} },
			[]string{"Delete", "ManyKeys", "Keys"}},
		{"EmptyIsMissing", func(m *memory.Backend) core.Backend { return emptyIsMissing{m} },
			[]string{"Values", "Overwrite"}},
		{"ExpireRevives", func(m *memory.Backend) core.Backend { return expireRevives{m} },
			[]string{"Expiry"}},
		{"PanicsAfterClose", func(m *memory.Backend) core.Backend { return &panicsAfterClose{Backend: m} },
			[]string{"Closer"}},
		{"StaleLocalCopy", func(m *memory.Backend) core.Backend { return newStaleLocal(m) },
			[]string{"LocalGetter"}},
		{"StaleValue", func(m *memory.Backend) core.Backend { return newStaleValue(m) },
			[]string{"ValueGetter", "Overwrite"}},
		{"ValueAliases", func(m *memory.Backend) core.Backend { return newValueAliases(m) },
			[]string{"ValueGetter"}},
		{"ValueIgnoresContext", func(m *memory.Backend) core.Backend { return valueIgnoresContext{m} },
			[]string{"Context"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := runRecorded(t, memoryHarness(c.wrap))
			for _, want := range c.fail {
				if len(got[want]) == 0 {
					t.Errorf("suite did not fail %s; failures recorded: %v", want, keys(got))
				}
			}
			t.Logf("failed checks: %v", keys(got))
		})
	}
}

// TestReportsAllFailures checks that one broken check does not hide the
// others: a backend broken in two unrelated ways fails both checks, and one
// check reports several problems.
func TestReportsAllFailures(t *testing.T) {
	t.Parallel()
	got := runRecorded(t, memoryHarness(func(m *memory.Backend) core.Backend {
		return twoBugs{newUnlockAnyToken(m)}
	}))
	if len(got["InvalidTTL"]) < 2 {
		t.Errorf("InvalidTTL recorded %d failures, want every one (>= 2): %v", len(got["InvalidTTL"]), got["InvalidTTL"])
	}
	if len(got["Locker"]) == 0 {
		t.Errorf("Locker not failed alongside InvalidTTL: %v", keys(got))
	}
}

func TestNilNew(t *testing.T) {
	log := &failureLog{}
	t.Run("run", func(t *testing.T) { runSuite(recorder{T: t, log: log}, Harness{}) })
	if len(log.snapshot()) == 0 {
		t.Errorf("a Harness without New did not fail")
	}
}

func keys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ---- broken backends ---------------------------------------------------------

type ignoresTTL struct{ *memory.Backend }

func (b ignoresTTL) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	if ttl < 0 {
		return b.Backend.Set(ctx, k, v, ttl)
	}
	return b.Backend.Set(ctx, k, v, core.NoExpiry)
}

func (b ignoresTTL) SetMany(ctx context.Context, items []core.BatchItem) error {
	for _, it := range items {
		if err := b.Set(ctx, it.Key, it.Value, it.TTL); err != nil {
			return err
		}
	}
	return nil
}

type acceptsNegativeTTL struct{ core.Backend }

func (b acceptsNegativeTTL) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	return b.Backend.Set(ctx, k, v, max(ttl, 0))
}

// twoBugs accepts negative TTLs and releases locks for any token.
type twoBugs struct{ unlockAnyToken }

func (b twoBugs) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	return b.unlockAnyToken.Set(ctx, k, v, max(ttl, 0))
}

type ignoresContext struct{ *memory.Backend }

func (b ignoresContext) Get(_ context.Context, k string) (core.Entry, bool, error) {
	return b.Backend.Get(context.Background(), k)
}

func (b ignoresContext) Set(_ context.Context, k string, v []byte, ttl time.Duration) error {
	return b.Backend.Set(context.Background(), k, v, ttl)
}

type rawContextErrors struct{ *memory.Backend }

func (b rawContextErrors) Get(ctx context.Context, k string) (core.Entry, bool, error) {
	if err := ctx.Err(); err != nil {
		return core.Entry{}, false, err
	}
	return b.Backend.Get(ctx, k)
}

type sharedLock struct{ *memory.Backend }

func (sharedLock) Lock(context.Context, string, time.Duration) (string, bool, error) {
	return "shared", true, nil
}

// unlockAnyToken releases the lock whatever token Unlock is given.
type unlockAnyToken struct {
	*memory.Backend
	held *sync.Map // key → real token
}

func newUnlockAnyToken(m *memory.Backend) unlockAnyToken { return unlockAnyToken{m, &sync.Map{}} }

func (b unlockAnyToken) Lock(ctx context.Context, k string, lease time.Duration) (string, bool, error) {
	tok, got, err := b.Backend.Lock(ctx, k, lease)
	if got {
		b.held.Store(k, tok)
	}
	return tok, got, err
}

func (b unlockAnyToken) Unlock(ctx context.Context, k, _ string) (bool, error) {
	tok, ok := b.held.Load(k)
	if !ok {
		return false, nil
	}
	return b.Backend.Unlock(ctx, k, tok.(string))
}

type eternalLease struct{ *memory.Backend }

func (b eternalLease) Lock(ctx context.Context, k string, lease time.Duration) (string, bool, error) {
	if lease > 0 {
		lease = time.Hour
	}
	return b.Backend.Lock(ctx, k, lease)
}

type noFreshness struct{ *memory.Backend }

func (b noFreshness) Get(ctx context.Context, k string) (core.Entry, bool, error) {
	e, ok, err := b.Backend.Get(ctx, k)
	e.Freshness = core.UnknownFreshness
	return e, ok, err
}

// frozenFreshness reports the TTL given at Set time, never counting down.
type frozenFreshness struct {
	*memory.Backend
	ttls sync.Map
}

func (b *frozenFreshness) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	b.ttls.Store(k, ttl)
	return b.Backend.Set(ctx, k, v, ttl)
}

func (b *frozenFreshness) Get(ctx context.Context, k string) (core.Entry, bool, error) {
	e, ok, err := b.Backend.Get(ctx, k)
	if ttl, has := b.ttls.Load(k); has && ok && !e.Freshness.NoExpiry {
		e.Freshness.FreshFor = ttl.(time.Duration)
	}
	return e, ok, err
}

type reversedBatch struct{ *memory.Backend }

func (b reversedBatch) GetMany(ctx context.Context, keys []string) ([]core.BatchResult, error) {
	res, err := b.Backend.GetMany(ctx, keys)
	slices.Reverse(res)
	return res, err
}

// batchDeleteSkipsLast is a BatchDeleter that forgets the last key.
type batchDeleteSkipsLast struct{ *memory.Backend }

func (b batchDeleteSkipsLast) DeleteMany(ctx context.Context, keys []string) error {
	for _, k := range keys[:max(len(keys)-1, 0)] {
		if err := b.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// batchValuesReversed is a BatchValueGetter whose results come back in
// the wrong order.
type batchValuesReversed struct{ *memory.Backend }

func (b batchValuesReversed) GetValues(ctx context.Context, keys []string) ([]core.BatchResult, error) {
	res, err := b.Backend.GetMany(ctx, keys)
	slices.Reverse(res)
	return res, err
}

type deleteNoop struct{ *memory.Backend }

func (deleteNoop) Delete(context.Context, string) error { return nil }

type emptyIsMissing struct{ *memory.Backend }

func (b emptyIsMissing) Get(ctx context.Context, k string) (core.Entry, bool, error) {
	e, ok, err := b.Backend.Get(ctx, k)
	if ok && len(e.Value) == 0 {
		return core.Entry{}, false, err
	}
	return e, ok, err
}

type expireRevives struct{ *memory.Backend }

func (b expireRevives) Expire(ctx context.Context, k string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return b.Backend.Expire(ctx, k, ttl)
	}
	if ok, err := b.Backend.Expire(ctx, k, ttl); ok || err != nil {
		return ok, err
	}
	return true, b.Backend.Set(ctx, k, []byte("revived"), ttl)
}

type panicsAfterClose struct {
	*memory.Backend
	closed bool
}

func (b *panicsAfterClose) Close() error { b.closed = true; return nil }

func (b *panicsAfterClose) Get(ctx context.Context, k string) (core.Entry, bool, error) {
	if b.closed {
		panic("use after close")
	}
	return b.Backend.Get(ctx, k)
}

// aliasing is a backend that keeps the caller's slices and hands out its own.
type aliasing struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newAliasing() *aliasing { return &aliasing{m: make(map[string][]byte)} }

func (a *aliasing) Get(ctx context.Context, k string) (core.Entry, bool, error) {
	if err := ctx.Err(); err != nil {
		return core.Entry{}, false, core.Wrap(err, core.KindUnknown, "get")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	v, ok := a.m[k]
	return core.Entry{Value: v, Freshness: core.ForeverFresh()}, ok, nil
}

func (a *aliasing) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return core.Wrap(err, core.KindUnknown, "set")
	}
	if ttl < 0 {
		return core.NewError(core.KindInvalidInput, "set", "negative ttl", nil)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if v == nil {
		v = []byte{}
	}
	a.m[k] = v
	return nil
}

func (a *aliasing) Delete(ctx context.Context, k string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.m, k)
	return nil
}

func (a *aliasing) Exists(ctx context.Context, k string) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.m[k]
	return ok, nil
}

func (a *aliasing) Health(context.Context) error { return nil }

// staleLocal is a LocalGetter whose local copy is never invalidated: it
// keeps answering the first value it saw, even after an overwrite or delete.
type staleLocal struct {
	*memory.Backend
	mu   sync.Mutex
	seen map[string][]byte
}

func newStaleLocal(m *memory.Backend) *staleLocal {
	return &staleLocal{Backend: m, seen: map[string][]byte{}}
}

func (b *staleLocal) GetLocal(ctx context.Context, k string) (core.Entry, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if v, ok := b.seen[k]; ok {
		return core.Entry{Value: v, Freshness: core.ForeverFresh()}, true, nil
	}
	e, ok, err := b.Backend.Get(ctx, k)
	if ok {
		b.seen[k] = e.Value
	}
	return e, ok, err
}

// staleValue's GetValue answers the first value it saw for a key, for ever.
type staleValue struct {
	*memory.Backend
	mu   sync.Mutex
	seen map[string][]byte
}

func newStaleValue(m *memory.Backend) *staleValue {
	return &staleValue{Backend: m, seen: map[string][]byte{}}
}

func (b *staleValue) GetValue(ctx context.Context, k string) ([]byte, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if v, ok := b.seen[k]; ok {
		return v, true, nil
	}
	v, ok, err := b.Backend.GetValue(ctx, k)
	if ok && err == nil {
		b.seen[k] = v
	}
	return v, ok, err
}

// valueAliases keeps its own copy of every value it stores and hands that
// very slice to every GetValue caller.
type valueAliases struct {
	*memory.Backend
	mu   sync.Mutex
	vals map[string][]byte
}

func newValueAliases(m *memory.Backend) *valueAliases {
	return &valueAliases{Backend: m, vals: map[string][]byte{}}
}

func (b *valueAliases) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	err := b.Backend.Set(ctx, k, v, ttl)
	if err == nil {
		b.vals[k] = append([]byte{}, v...)
	}
	return err
}

func (b *valueAliases) GetValue(ctx context.Context, k string) ([]byte, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok, err := b.Backend.GetValue(ctx, k)
	if !ok || err != nil {
		return nil, ok, err
	}
	return b.vals[k], true, nil
}

// valueIgnoresContext's GetValue reads with a fresh context.
type valueIgnoresContext struct{ *memory.Backend }

func (b valueIgnoresContext) GetValue(_ context.Context, k string) ([]byte, bool, error) {
	return b.Backend.GetValue(context.Background(), k)
}
