package core_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

type user struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func newClient(t *testing.T, b core.Backend, opts ...core.Option) *core.Client {
	t.Helper()
	c, err := core.New(b, append([]core.Option{core.WithCodec(jsonCodec{})}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func wantKind(t *testing.T, err error, k core.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("want a %v error, got nil", k)
	}
	if got := core.KindOf(err); got != k {
		t.Fatalf("want kind %v, got %v (%v)", k, got, err)
	}
	var ce *core.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %T is not a *core.Error", err)
	}
}

func TestRoundTripTyped(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := newClient(t, m)
	if err := c.Set(ctx, "u:1", user{1, "Ada"}); err != nil {
		t.Fatal(err)
	}
	got, found, err := core.Get[user](ctx, c, "u:1")
	if err != nil || !found || got != (user{1, "Ada"}) {
		t.Fatalf("Get = %v %v %v", got, found, err)
	}
	if ok, err := c.Exists(ctx, "u:1"); !ok || err != nil {
		t.Fatalf("Exists = %v %v", ok, err)
	}
	if err := c.Delete(ctx, "u:1"); err != nil {
		t.Fatal(err)
	}
	if _, found, err := core.Get[user](ctx, c, "u:1"); found || err != nil {
		t.Fatalf("after delete: found=%v err=%v", found, err)
	}
	if ok, _ := c.Exists(ctx, "u:1"); ok {
		t.Fatal("Exists after delete")
	}
	if err := c.Delete(ctx, "never-there"); err != nil {
		t.Fatalf("deleting a missing key: %v", err)
	}
	s := c.Stats()
	if s.Hits != 1 || s.Misses != 1 || s.Sets != 1 || s.Deletes != 2 || len(s.Tiers) != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestNamespaces(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := newClient(t, m, core.WithNamespace("users"))
	if err := c.Set(ctx, "42", "x"); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.raw("ns:users:42"); !ok {
		t.Fatalf("not stored under ns:users:42: %v", m.items)
	}
	other, err := c.Namespace("orders")
	if err != nil {
		t.Fatal(err)
	}
	if _, found, _ := core.Get[string](ctx, other, "42"); found {
		t.Fatal("a namespace sees another's key")
	}
	if k, _ := other.StorageKey("42"); k != "ns:orders:42" {
		t.Fatalf("storage key %q", k)
	}
	plain := newClient(t, m)
	if k, _ := plain.StorageKey("42"); k != "42" {
		t.Fatalf("no-namespace storage key %q", k)
	}
	for _, bad := range []string{"", "a:b", "sp ace", "ü", strings.Repeat("a", 65)} {
		if _, err := c.Namespace(bad); core.KindOf(err) != core.KindInvalidInput {
			t.Errorf("namespace %q: got %v", bad, err)
		}
		if _, err := core.New(m, core.WithCodec(jsonCodec{}), core.WithNamespace(bad)); core.KindOf(err) != core.KindConfig {
			t.Errorf("New with namespace %q: got %v", bad, err)
		}
	}
	if _, err := c.Namespace(strings.Repeat("a", 64)); err != nil {
		t.Errorf("64-byte namespace rejected: %v", err)
	}
}

func TestBadInputNeverStores(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := newClient(t, m, core.WithMaxPayload(64))
	badKeys := []string{"", strings.Repeat("k", core.MaxKeyLen+1), "a\x00b", "tab\tkey", "new\nline", "del\x7f", "c1\u0085", "bad\xffutf8"}
	for _, k := range badKeys {
		wantKind(t, c.Set(ctx, k, 1), core.KindInvalidInput)
		_, _, err := core.Get[int](ctx, c, k)
		wantKind(t, err, core.KindInvalidInput)
		wantKind(t, c.Delete(ctx, k), core.KindInvalidInput)
		_, err = c.Exists(ctx, k)
		wantKind(t, err, core.KindInvalidInput)
		_, err = core.GetOrLoad(ctx, c, k, func(context.Context) (int, error) { return 1, nil })
		wantKind(t, err, core.KindInvalidInput)
	}
	if err := c.Set(ctx, strings.Repeat("k", core.MaxKeyLen), 1); err != nil {
		t.Errorf("a %d-byte key was rejected: %v", core.MaxKeyLen, err)
	}
	if err := c.Set(ctx, "ünïcode-ok", 1); err != nil {
		t.Errorf("unicode key rejected: %v", err)
	}
	for _, ttl := range []time.Duration{0, -time.Second, core.MaxTTL + time.Second} {
		wantKind(t, c.Set(ctx, "ttl", 1, core.TTL(ttl)), core.KindInvalidInput)
	}
	wantKind(t, c.Set(ctx, "big", strings.Repeat("x", 100)), core.KindPayloadTooLarge)
	wantKind(t, c.Set(ctx, "func", func() {}), core.KindSerialization)
	for _, k := range []string{"ttl", "big", "func"} {
		if _, ok := m.raw(k); ok {
			t.Errorf("%q was stored despite the error", k)
		}
	}
	if n := len(m.items); n != 2 {
		t.Errorf("want only the two valid keys stored, have %d", n)
	}
}

func TestTTLRules(t *testing.T) {
	cases := []struct {
		in, want time.Duration
		ok       bool
	}{
		{time.Nanosecond, time.Second, true},
		{999 * time.Millisecond, time.Second, true},
		{1500 * time.Millisecond, 1500 * time.Millisecond, true},
		{core.MaxTTL, core.MaxTTL, true},
		{core.MaxTTL + 1, 0, false},
		{0, 0, false},
		{-1, 0, false},
	}
	for _, c := range cases {
		got, err := core.NormalizeTTL(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("NormalizeTTL(%v) = %v, %v", c.in, got, err)
		}
	}
}

// ttlRecorder records the TTLs a backend is asked to store.
type ttlRecorder struct {
	*memBackend
	mu   sync.Mutex
	ttls []time.Duration
}

func (r *ttlRecorder) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	r.mu.Lock()
	r.ttls = append(r.ttls, ttl)
	r.mu.Unlock()
	return r.memBackend.Set(ctx, k, v, ttl)
}

func TestDefaultTTLsAndPresets(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		opts []core.Option
		want time.Duration
	}{
		{nil, 600 * time.Second},
		{[]core.Option{core.WithPreset(core.PresetMinimal)}, 300 * time.Second},
		{[]core.Option{core.WithPreset(core.PresetIO)}, 3600 * time.Second},
		{[]core.Option{core.WithPreset(core.PresetIO), core.WithDefaultTTL(90 * time.Second)}, 90 * time.Second},
		{[]core.Option{core.WithNeverExpire()}, core.NoExpiry},
		{[]core.Option{core.WithDefaultTTL(300 * time.Millisecond)}, time.Second},
	} {
		r := &ttlRecorder{memBackend: newMem()}
		c := newClient(t, r, tc.opts...)
		if err := c.Set(ctx, "k", 1); err != nil {
			t.Fatal(err)
		}
		if err := c.Set(ctx, "k", 1, core.TTL(5*time.Second)); err != nil {
			t.Fatal(err)
		}
		if r.ttls[0] != tc.want || r.ttls[1] != 5*time.Second {
			t.Errorf("opts %d: TTLs %v, want [%v 5s]", len(tc.opts), r.ttls, tc.want)
		}
	}
	if _, err := core.New(newMem(), core.WithCodec(jsonCodec{}), core.WithPreset(core.PresetSecure)); core.KindOf(err) != core.KindConfig {
		t.Errorf("secure preset without encryptor: %v", err)
	}
	if _, err := core.New(newMem()); core.KindOf(err) != core.KindConfig {
		t.Errorf("no codec: %v", err)
	}
	if _, err := core.New(nil, core.WithCodec(jsonCodec{})); core.KindOf(err) != core.KindConfig {
		t.Errorf("nil backend: %v", err)
	}
	if _, err := core.New(newMem(), core.WithCodec(jsonCodec{}), core.WithDefaultTTL(0)); core.KindOf(err) != core.KindConfig {
		t.Errorf("zero default TTL: %v", err)
	}
}

func TestUndecodableAndOversizedReads(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := newClient(t, m, core.WithMaxPayload(32))
	_ = m.Set(ctx, "junk", []byte("\xc1 not json"), 0)
	_, found, err := core.Get[user](ctx, c, "junk")
	wantKind(t, err, core.KindSerialization)
	if found {
		t.Fatal("found on a decode error")
	}
	_ = m.Set(ctx, "huge", []byte(`"`+strings.Repeat("x", 100)+`"`), 0)
	_, _, err = core.Get[string](ctx, c, "huge")
	wantKind(t, err, core.KindPayloadTooLarge)
	// GetOrLoad and Cached treat them as misses: the loader's value
	// replaces them (see selfheal_test.go).
	u, err := core.GetOrLoad(ctx, c, "junk", func(context.Context) (user, error) { return user{ID: 1}, nil })
	if err != nil || u.ID != 1 {
		t.Fatalf("GetOrLoad over a corrupt entry = %v, %v; want the loader's value", u, err)
	}
	s, err := core.GetOrLoad(ctx, c, "huge", func(context.Context) (string, error) { return "ok", nil })
	if err != nil || s != "ok" {
		t.Fatalf("GetOrLoad over an oversized entry = %q, %v; want the loader's value", s, err)
	}
}

func TestRetriesOnRetryableKindsOnly(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := newClient(t, m, core.WithRetries(2, 0))
	m.failGet.Store(&errTransient)
	_, _, err := core.Get[int](ctx, c, "k")
	wantKind(t, err, core.KindTransient)
	if !errors.Is(err, core.ErrTransient) {
		t.Fatal("errors.Is(err, ErrTransient) is false")
	}
	if n := m.gets.Load(); n != 3 {
		t.Fatalf("want 3 attempts, got %d", n)
	}
	perm := error(core.NewError(core.KindAuth, "mem", "denied", nil))
	m.failGet.Store(&perm)
	m.gets.Store(0)
	_, _, err = core.Get[int](ctx, c, "k")
	wantKind(t, err, core.KindAuth)
	if n := m.gets.Load(); n != 1 {
		t.Fatalf("auth error retried: %d attempts", n)
	}
}

func TestContextErrorsAreClassified(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := newClient(t, newMem())
	_, _, err := core.Get[int](ctx, c, "k")
	wantKind(t, err, core.KindCanceled)
	if !errors.Is(err, context.Canceled) {
		t.Fatal("the context error is not in the chain")
	}
}

func TestErrorFormatting(t *testing.T) {
	e := &core.Error{Kind: core.KindTimeout, Op: "redis.get", Key: "ns:a:k", Msg: "read", Err: context.DeadlineExceeded}
	want := `cachekit: redis.get "ns:a:k": timeout: read: context deadline exceeded`
	if e.Error() != want {
		t.Fatalf("got %q", e.Error())
	}
	if !errors.Is(e, core.ErrTimeout) || errors.Is(e, core.ErrTransient) || !errors.Is(e, context.DeadlineExceeded) {
		t.Fatal("errors.Is mismatch")
	}
	wrapped := fmt.Errorf("outer: %w", e)
	if core.KindOf(wrapped) != core.KindTimeout {
		t.Fatal("KindOf through fmt wrapping")
	}
	if core.KindOf(errors.New("x")) != core.KindUnknown || core.KindOf(nil) != core.KindUnknown {
		t.Fatal("unclassified errors")
	}
	if core.Wrap(nil, core.KindTransient, "x") != nil {
		t.Fatal("Wrap(nil)")
	}
	if core.KindOf(core.Wrap(e, core.KindPermanent, "x")) != core.KindTimeout {
		t.Fatal("Wrap reclassified a kinded error")
	}
	for k := core.KindUnknown; k <= core.KindAbsent; k++ {
		if k.String() == "" || (k != core.KindUnknown && k.String() == "unknown") {
			t.Errorf("kind %d has no name", k)
		}
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	const key = "ck_sdk_supersecretvalue"
	cfg, err := core.ConfigFromLookup(func(n string) (string, bool) {
		switch n {
		case "CACHEKIT_API_KEY":
			return key, true
		case "CACHEKIT_MASTER_KEY":
			return "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", true
		case "CACHEKIT_PREVIOUS_MASTER_KEYS":
			return "aa,bb", true
		case "CACHEKIT_TIMEOUT":
			return "2.5", true
		case "CACHEKIT_DEFAULT_TTL":
			return "1", true // reserved: must not be read
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.APIKey.Reveal() != key || cfg.Timeout != 2500*time.Millisecond || len(cfg.PreviousMasterKeys) != 2 {
		t.Fatalf("config %v", cfg)
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		out := fmt.Sprintf(f, cfg) + fmt.Sprintf(f, cfg.APIKey) + fmt.Sprintf(f, &cfg)
		if strings.Contains(out, "supersecret") || strings.Contains(out, "00112233") || strings.Contains(strings.ToLower(out), "636b5f73646b") {
			t.Errorf("%s leaks a secret: %s", f, out)
		}
	}
	_, err = core.ConfigFromLookup(func(n string) (string, bool) {
		if n == "CACHEKIT_TIMEOUT" {
			return "ck_sdk_supersecret", true
		}
		return "", false
	})
	if core.KindOf(err) != core.KindConfig || strings.Contains(err.Error(), "supersecret") {
		t.Fatalf("bad config error: %v", err)
	}
}

func TestGetOrLoadSingleFlight(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := newClient(t, m)
	var loads atomic.Int64
	release := make(chan struct{})
	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := core.GetOrLoad(ctx, c, "hot", func(context.Context) (user, error) {
				loads.Add(1)
				<-release
				return user{7, "Grace"}, nil
			})
			if err == nil && v != (user{7, "Grace"}) {
				err = fmt.Errorf("got %v", v)
			}
			errs <- err
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if l := loads.Load(); l != 1 {
		t.Fatalf("want exactly 1 load, got %d", l)
	}
	if got, found, _ := core.Get[user](ctx, c, "hot"); !found || got.ID != 7 {
		t.Fatal("loaded value not cached")
	}
}

// The first caller leads the flight; when it gives up during the load, the
// load goes on: the other caller gets the value and the cache keeps it.
func TestGetOrLoadCallerCancelDoesNotFailOthers(t *testing.T) {
	m := newMem()
	c := newClient(t, m)
	entered, release := make(chan struct{}), make(chan struct{})
	var loads atomic.Int64
	loader := func(context.Context) (int, error) {
		if loads.Add(1) == 1 {
			close(entered)
		}
		<-release
		return 5, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := core.GetOrLoad(ctx, c, "k", loader); done <- err }()
	<-entered // the first caller leads: its load runs
	other := make(chan int, 1)
	go func() { v, _ := core.GetOrLoad(context.Background(), c, "k", loader); other <- v }()
	time.Sleep(20 * time.Millisecond) // let the other caller join the flight
	cancel()
	select {
	case err := <-done:
		wantKind(t, err, core.KindCanceled)
	case <-time.After(5 * time.Second):
		t.Fatal("the canceled leader did not return while its load ran")
	}
	close(release)
	if v := <-other; v != 5 {
		t.Fatalf("other caller got %d", v)
	}
	if n := loads.Load(); n != 1 {
		t.Fatalf("%d loads, want 1", n)
	}
	if _, ok := m.raw("k"); !ok {
		t.Fatal("the load the leader gave up was not stored")
	}
}

// ctxGatedBackend is a memBackend whose Get waits for gate, honouring ctx,
// and announces each Get on entered.
type ctxGatedBackend struct {
	*memBackend
	gate    chan struct{}
	entered chan struct{}
}

func (g *ctxGatedBackend) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	g.entered <- struct{}{}
	select {
	case <-g.gate:
		return g.memBackend.Get(ctx, key)
	case <-ctx.Done():
		return core.Entry{}, false, core.Wrap(ctx.Err(), core.KindCanceled, "get")
	}
}

// A leader that gives up during the backend read (canceled, or past its
// deadline) returns at once; the callers waiting on its flight start over,
// read again and get the value, with one load between them on a miss. (A
// caller that wakes after the second flight ended leads a third: the value
// is stored by then, so it reads, and does not load.)
func TestGetOrLoadLeaderGivesUpDuringRead(t *testing.T) {
	for _, tc := range []struct {
		name     string
		stored   bool
		deadline bool
	}{{"miss/canceled", false, false}, {"hit/canceled", true, false}, {"miss/deadline", false, true}, {"hit/deadline", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			g := &ctxGatedBackend{memBackend: newMem(), gate: make(chan struct{}), entered: make(chan struct{}, 16)}
			c := newClient(t, g)
			if tc.stored {
				if err := c.Set(context.Background(), "k", 7); err != nil {
					t.Fatal(err)
				}
			}
			var loads atomic.Int64
			loader := func(context.Context) (int, error) { loads.Add(1); return 7, nil }
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			want := core.KindCanceled
			if tc.deadline {
				ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
				defer cancel()
				want = core.KindTimeout
			}
			lead := make(chan error, 1)
			go func() { _, err := core.GetOrLoad(ctx, c, "k", loader); lead <- err }()
			<-g.entered // the leader reads
			const others = 5
			results := make(chan error, others)
			for range others {
				go func() {
					v, err := core.GetOrLoad(context.Background(), c, "k", loader)
					if err == nil && v != 7 {
						err = fmt.Errorf("got %d", v)
					}
					results <- err
				}()
			}
			time.Sleep(20 * time.Millisecond) // let them join the flight
			if !tc.deadline {
				cancel()
			}
			select {
			case err := <-lead:
				wantKind(t, err, want)
			case <-time.After(5 * time.Second):
				t.Fatal("the leader did not give up")
			}
			<-g.entered // one of the others leads the next flight and reads again
			close(g.gate)
			for range others {
				if err := <-results; err != nil {
					t.Fatal(err)
				}
			}
			wantLoads := int64(1)
			if tc.stored {
				wantLoads = 0
			}
			if n := loads.Load(); n != wantLoads {
				t.Fatalf("%d loads, want %d", n, wantLoads)
			}
		})
	}
}

func TestGetOrLoadErrorsAndPanics(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := newClient(t, m)
	boom := errors.New("source down")
	_, err := core.GetOrLoad(ctx, c, "k", func(context.Context) (int, error) { return 0, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("loader error not returned: %v", err)
	}
	if _, ok := m.raw("k"); ok {
		t.Fatal("a failed load was cached")
	}
	_, err = core.GetOrLoad(ctx, c, "p", func(context.Context) (int, error) { panic("bug") })
	if err == nil || !strings.Contains(err.Error(), "loader panicked") {
		t.Fatalf("panic not turned into an error: %v", err)
	}
	// A backend outage degrades to the loader.
	m.failGet.Store(&errTransient)
	m.failSet.Store(&errTransient)
	v, err := core.GetOrLoad(ctx, c, "k", func(context.Context) (int, error) { return 9, nil })
	if err != nil || v != 9 {
		t.Fatalf("degraded load = %v, %v", v, err)
	}
	if s := c.Stats(); s.Degraded != 1 {
		t.Fatalf("degraded count %d", s.Degraded)
	}
	if _, err := core.GetOrLoad[int](ctx, c, "k", nil); core.KindOf(err) != core.KindInvalidInput {
		t.Fatalf("nil loader: %v", err)
	}
}

func TestStaleWhileRevalidate(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := newClient(t, m)
	var loads atomic.Int64
	release := make(chan struct{})
	loader := func(context.Context) (int, error) {
		n := loads.Add(1)
		if n > 1 {
			<-release
		}
		return int(n), nil
	}
	ttl := 100 * time.Second
	v, err := core.GetOrLoad(ctx, c, "k", loader, core.TTL(ttl))
	if err != nil || v != 1 {
		t.Fatal(v, err)
	}
	// Inside the fresh window (< 45 s even with jitter): no refresh.
	m.advance(40 * time.Second)
	v, _ = core.GetOrLoad(ctx, c, "k", loader, core.TTL(ttl))
	if v != 1 || loads.Load() != 1 {
		t.Fatalf("fresh read refreshed: v=%d loads=%d", v, loads.Load())
	}
	// Past the fresh window (> 55 s even with jitter): stale served at once,
	// exactly one refresh however many readers.
	m.advance(30 * time.Second)
	for i := 0; i < 50; i++ {
		v, err := core.GetOrLoad(ctx, c, "k", loader, core.TTL(ttl))
		if err != nil || v != 1 {
			t.Fatalf("stale read %d = %d, %v", i, v, err)
		}
	}
	close(release)
	if err := c.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if l := loads.Load(); l != 2 {
		t.Fatalf("want exactly 1 refresh (2 loads), got %d loads", l)
	}
	if got, _, _ := core.Get[int](ctx, c, "k"); got != 2 {
		t.Fatalf("refresh not stored: %d", got)
	}
	s := c.Stats()
	if s.Refreshes != 1 || s.StaleServed != 50 {
		t.Fatalf("stats %+v", s)
	}
	// Past expiry: the caller waits for the load.
	m.advance(ttl + time.Second)
	v, _ = core.GetOrLoad(ctx, c, "k", loader, core.TTL(ttl))
	if v != 3 {
		t.Fatalf("expired read got %d", v)
	}
}

func TestRefreshNeverOverwritesNewerSet(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := newClient(t, m)
	ttl := 100 * time.Second
	started := make(chan struct{})
	release := make(chan struct{})
	_ = c.Set(ctx, "k", 1, core.TTL(ttl))
	m.advance(80 * time.Second)
	v, _ := core.GetOrLoad(ctx, c, "k", func(context.Context) (int, error) {
		close(started)
		<-release
		return 100, nil
	}, core.TTL(ttl))
	if v != 1 {
		t.Fatalf("stale value %d", v)
	}
	<-started
	if err := c.Set(ctx, "k", 2, core.TTL(ttl)); err != nil {
		t.Fatal(err)
	}
	close(release)
	_ = c.Wait(ctx)
	if got, _, _ := core.Get[int](ctx, c, "k"); got != 2 {
		t.Fatalf("refresh overwrote a newer Set: got %d", got)
	}
	if c.Stats().WritesDropped != 1 {
		t.Fatal("dropped write not counted")
	}
	// Same for Delete.
	_ = c.Set(ctx, "d", 1, core.TTL(ttl))
	m.advance(80 * time.Second)
	started2, release2 := make(chan struct{}), make(chan struct{})
	_, _ = core.GetOrLoad(ctx, c, "d", func(context.Context) (int, error) {
		close(started2)
		<-release2
		return 100, nil
	}, core.TTL(ttl))
	<-started2
	_ = c.Delete(ctx, "d")
	close(release2)
	_ = c.Wait(ctx)
	if _, found, _ := core.Get[int](ctx, c, "d"); found {
		t.Fatal("refresh resurrected a deleted key")
	}
}

func TestRefreshErrorsAbsorbedAndCloseDrains(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c, err := core.New(m, core.WithCodec(jsonCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	ttl := 10 * time.Second
	_ = c.Set(ctx, "k", 1, core.TTL(ttl))
	m.advance(8 * time.Second)
	var finished atomic.Bool
	v, err := core.GetOrLoad(ctx, c, "k", func(context.Context) (int, error) {
		time.Sleep(30 * time.Millisecond)
		finished.Store(true)
		return 0, errors.New("source down")
	}, core.TTL(ttl))
	if err != nil || v != 1 {
		t.Fatalf("stale read: %v %v", v, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if !finished.Load() {
		t.Fatal("Close returned before the refresh finished")
	}
	if s := c.Stats(); s.RefreshErrors != 1 {
		t.Fatalf("refresh error not counted: %+v", s)
	}
	// After Close, stale reads are served but no refresh starts.
	_, _ = core.GetOrLoad(ctx, c, "k", func(context.Context) (int, error) { return 2, nil }, core.TTL(ttl))
	if s := c.Stats(); s.RefreshSkipped != 1 {
		t.Fatalf("refresh after Close: %+v", s)
	}
}

func TestMinimalPresetHasNoSWR(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := newClient(t, m, core.WithPreset(core.PresetMinimal))
	ttl := 10 * time.Second
	_ = c.Set(ctx, "k", 1, core.TTL(ttl))
	m.advance(9 * time.Second)
	calls := 0
	v, _ := core.GetOrLoad(ctx, c, "k", func(context.Context) (int, error) { calls++; return 2, nil }, core.TTL(ttl))
	_ = c.Wait(ctx)
	if v != 1 || calls != 0 {
		t.Fatalf("minimal refreshed: v=%d calls=%d", v, calls)
	}
}

func TestCached(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, newMem())
	calls := 0
	square := core.Cached(c, "square", func(_ context.Context, n int) (int, error) { calls++; return n * n, nil })
	for i := 0; i < 3; i++ {
		if v, err := square(ctx, 12); err != nil || v != 144 {
			t.Fatal(v, err)
		}
	}
	if calls != 1 {
		t.Fatalf("calls %d", calls)
	}
	type point struct{ X, Y int }
	bad := core.Cached(c, "pt", func(_ context.Context, p point) (int, error) { return p.X, nil })
	if _, err := bad(ctx, point{1, 2}); core.KindOf(err) != core.KindInvalidInput {
		t.Fatalf("struct arg without a key func: %v", err)
	}
	good := core.CachedWithKey(c, "pt", func(_ context.Context, p point) (int, error) { return p.X + p.Y, nil },
		func(p point) (string, error) { return fmt.Sprintf("%d,%d", p.X, p.Y), nil })
	if v, err := good(ctx, point{1, 2}); err != nil || v != 3 {
		t.Fatal(v, err)
	}
}

func TestFreshnessBound(t *testing.T) {
	cases := []struct {
		f      core.Freshness
		wanted time.Duration
		ttl    time.Duration
		ok     bool
	}{
		{core.UnknownFreshness, 30 * time.Second, 30 * time.Second, true},
		{core.ForeverFresh(), 30 * time.Second, 30 * time.Second, true},
		{core.FreshFor(5 * time.Second), 30 * time.Second, 5 * time.Second, true},
		{core.FreshFor(50 * time.Second), 30 * time.Second, 30 * time.Second, true},
		{core.FreshFor(0), 30 * time.Second, 0, false},
		{core.Freshness{Known: true, FreshFor: time.Minute, Stale: true}, 30 * time.Second, 0, false},
	}
	for i, c := range cases {
		ttl, ok := c.f.Bound(c.wanted)
		if ttl != c.ttl || ok != c.ok {
			t.Errorf("case %d: Bound = %v %v", i, ttl, ok)
		}
	}
}

// gatedBackend blocks every Get until released, so that concurrent callers
// overlap for certain.
type gatedBackend struct {
	*memBackend
	gate chan struct{}
}

func (g *gatedBackend) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	<-g.gate
	return g.memBackend.Get(ctx, key)
}

// pileUp has callers goroutines call GetOrLoad of "k" on c at once while
// g's gate is shut, opens it once they had time to join one flight, and
// returns what each got.
func pileUp[T any](t *testing.T, c *core.Client, g *gatedBackend, callers int, load core.Loader[T]) []T {
	t.Helper()
	results := make([]T, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := core.GetOrLoad(context.Background(), c, "k", load)
			if err != nil {
				t.Error(err)
			}
			results[i] = v
		}()
	}
	time.Sleep(50 * time.Millisecond) // let the callers pile up on the flight
	close(g.gate)
	wg.Wait()
	return results
}

// Concurrent GetOrLoad callers of one key share one backend read: on a cold
// key, one read and one load; on a stored key, one read, decoded by each
// caller into its own value.
func TestGetOrLoadSharesTheBackendRead(t *testing.T) {
	ctx := context.Background()
	for _, stored := range []bool{false, true} {
		g := &gatedBackend{memBackend: newMem(), gate: make(chan struct{})}
		c := newClient(t, g)
		if stored {
			close(g.gate)
			if err := c.Set(ctx, "k", []int{1, 2, 3}); err != nil {
				t.Fatal(err)
			}
			g.gate = make(chan struct{})
		}
		var loads atomic.Int64
		const callers = 200
		results := pileUp(t, c, g, callers, func(context.Context) ([]int, error) {
			loads.Add(1)
			return []int{1, 2, 3}, nil
		})
		wantLoads := int64(1)
		if stored {
			wantLoads = 0
		}
		if n := g.gets.Load(); n != 1 || loads.Load() != wantLoads {
			t.Fatalf("stored=%v: %d backend reads and %d loads for %d callers, want 1 and %d", stored, n, loads.Load(), callers, wantLoads)
		}
		for i, r := range results {
			if len(r) != 3 || r[2] != 3 {
				t.Fatalf("caller %d got %v", i, r)
			}
		}
		if stored && &results[0][0] == &results[1][0] {
			t.Fatal("a shared read must be decoded by each caller into its own value")
		}
	}
}

// bytesCodec stores a []byte as is and decodes into a []byte that shares
// the stored bytes, as msgpack decoders do for bin values.
type bytesCodec struct{}

func (bytesCodec) Format() string   { return "msgpack" }
func (bytesCodec) Compressed() bool { return false }
func (bytesCodec) Marshal(v any) ([]byte, error) {
	b, ok := v.([]byte)
	if !ok {
		return nil, core.NewError(core.KindSerialization, "encode", "", errors.New("bytesCodec: not a []byte"))
	}
	return bytes.Clone(b), nil
}
func (bytesCodec) Unmarshal(b []byte, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return core.NewError(core.KindSerialization, "decode", "", errors.New("bytesCodec: not a *[]byte"))
	}
	*p = b
	return nil
}

// Callers that share one flight's read get values that share no memory,
// even through a codec whose values share the bytes they decode: one
// caller changing its value changes no other's.
func TestGetOrLoadSharedReadValuesAreIndependent(t *testing.T) {
	ctx := context.Background()
	g := &gatedBackend{memBackend: newMem(), gate: make(chan struct{})}
	c := newClient(t, g, core.WithCodec(bytesCodec{}))
	close(g.gate)
	if err := c.Set(ctx, "k", []byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	g.gate = make(chan struct{})
	const callers = 20
	results := pileUp(t, c, g, callers, func(context.Context) ([]byte, error) { return nil, errors.New("no load expected") })
	if n := g.gets.Load(); n != 1 {
		t.Fatalf("%d backend reads, want 1 shared read", n)
	}
	for i := range results {
		results[i][0] = byte('a' + i)
	}
	for i, r := range results {
		if want := string(rune('a'+i)) + "123456789"; string(r) != want {
			t.Fatalf("caller %d's value is %q after every caller changed its own, want %q", i, r, want)
		}
	}
}

// A caller that changes its value the moment it has it changes no other
// caller's, even while the others are still decoding the shared read (the
// first caller used to decode the read's own bytes, which the later callers
// then copied: they could copy what the first had already overwritten, and
// -race reported the overlap).
func TestGetOrLoadSharedReadCallerWritesAtOnce(t *testing.T) {
	ctx := context.Background()
	want := bytes.Repeat([]byte("A"), 64)
	for round := range 20 {
		g := &gatedBackend{memBackend: newMem(), gate: make(chan struct{})}
		c := newClient(t, g, core.WithCodec(bytesCodec{}))
		close(g.gate)
		if err := c.Set(ctx, "k", want); err != nil {
			t.Fatal(err)
		}
		g.gate = make(chan struct{})
		const callers = 16
		var wg sync.WaitGroup
		var bad atomic.Int32
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := core.GetOrLoad(ctx, c, "k", func(context.Context) ([]byte, error) { return nil, errors.New("no load expected") })
				if err != nil || !bytes.Equal(v, want) {
					bad.Add(1)
				}
				for i := range v {
					v[i] = 'X'
				}
			}()
		}
		time.Sleep(20 * time.Millisecond) // let the callers pile up on the flight
		close(g.gate)
		wg.Wait()
		if n := bad.Load(); n != 0 {
			t.Fatalf("round %d: %d of %d callers got a value another caller had overwritten", round, n, callers)
		}
		if n := g.gets.Load(); n != 1 {
			t.Fatalf("round %d: %d backend reads, want 1 shared read", round, n)
		}
		if v, found, err := core.Get[[]byte](ctx, c, "k"); err != nil || !found || !bytes.Equal(v, want) {
			t.Fatalf("round %d: the stored value changed: %q %v %v", round, v, found, err)
		}
	}
}

// localBackend is a memBackend that is also a LocalGetter: its GetLocal
// answers only for keys marked local.
type localBackend struct {
	*memBackend
	local     map[string]bool
	localGets atomic.Int64
}

func (l *localBackend) GetLocal(ctx context.Context, key string) (core.Entry, bool, error) {
	l.localGets.Add(1)
	if !l.local[key] {
		return core.Entry{}, false, nil
	}
	return l.memBackend.Get(ctx, key)
}

func TestGetOrLoadAsksLocalTiersFirst(t *testing.T) {
	ctx := context.Background()
	l := &localBackend{memBackend: newMem(), local: map[string]bool{"near": true}}
	c := newClient(t, l)
	for _, k := range []string{"near", "far"} {
		if err := c.Set(ctx, k, k); err != nil {
			t.Fatal(err)
		}
	}
	never := func(context.Context) (string, error) { t.Fatal("loader called for a stored key"); return "", nil }
	if v, err := core.GetOrLoad(ctx, c, "near", never); err != nil || v != "near" {
		t.Fatal(v, err)
	}
	if l.gets.Load() != 1 || l.localGets.Load() != 1 { // the local hit reads mem once, through GetLocal
		t.Fatalf("local hit: %d reads, %d local reads", l.gets.Load(), l.localGets.Load())
	}
	if v, err := core.GetOrLoad(ctx, c, "far", never); err != nil || v != "far" {
		t.Fatal(v, err)
	}
	if l.gets.Load() != 2 || l.localGets.Load() != 2 { // local miss, then the full read
		t.Fatalf("local miss: %d reads, %d local reads", l.gets.Load(), l.localGets.Load())
	}
	if s := c.Stats(); s.Hits != 2 || s.Misses != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// TestWaitIdleReturnsAtOnce: with no background work under way, Wait
// returns without starting a goroutine or making a channel (it used to do
// both, about 20 µs on a 2-core machine, on every call); with work under
// way it still waits for it (TestStaleWhileRevalidate).
func TestWaitIdleReturnsAtOnce(t *testing.T) {
	c := newClient(t, newMem())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if n := testing.AllocsPerRun(100, func() {
		if err := c.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("idle Wait allocates %.0f times, want 0", n)
	}
}
