package redis_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	redis "github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
	goredis "github.com/redis/go-redis/v9"
)

// cmdLog is a go-redis hook that records the names of the commands sent.
type cmdLog struct {
	mu    sync.Mutex
	names []string
}

func (l *cmdLog) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (l *cmdLog) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		l.add(cmd)
		return next(ctx, cmd)
	}
}

func (l *cmdLog) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		for _, c := range cmds {
			l.add(c)
		}
		return next(ctx, cmds)
	}
}

func (l *cmdLog) add(c goredis.Cmder) {
	l.mu.Lock()
	l.names = append(l.names, c.Name())
	l.mu.Unlock()
}

// take returns the names logged since the last take.
func (l *cmdLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.names
	l.names = nil
	return n
}

var _ goredis.Hook = (*cmdLog)(nil)

// loggedClient starts a Redis container and returns it with a client whose
// commands are logged (closed when the test ends).
func loggedClient(t *testing.T) (*rig.Redis, *goredis.Client, *cmdLog) {
	t.Helper()
	r := rig.StartRedis(t)
	c := goredis.NewClient(&goredis.Options{Addr: r.Addr})
	t.Cleanup(func() { _ = c.Close() })
	log := &cmdLog{}
	c.AddHook(log)
	return r, c, log
}

// What each read mode sends, and what its hits report: the default GET+PTTL
// with known freshness, WithGetScript one EVALSHA, WithoutFreshness (which
// overrides WithGetScript) a bare GET with unknown freshness — by New and by Wrap alike.
func TestReadModes(t *testing.T) {
	ctx := context.Background()
	r, c, log := loggedClient(t)
	cases := []struct {
		name      string
		b         *redis.Backend
		get, many []string
		known     bool
	}{
		{"default", wrap(t, c), []string{"mget", "pttl"}, []string{"mget", "pttl", "pttl"}, true},
		{"script", wrap(t, c, redis.WithGetScript()), []string{"evalsha"}, []string{"evalsha", "evalsha"}, true},
		{"no freshness", wrap(t, c, redis.WithoutFreshness()), []string{"get"}, []string{"get", "get"}, false},
		{"no freshness wins over script", wrap(t, c, redis.WithGetScript(), redis.WithoutFreshness()), []string{"get"}, []string{"get", "get"}, false},
		{"nil option ignored", wrap(t, c, nil), []string{"mget", "pttl"}, []string{"mget", "pttl", "pttl"}, true},
	}
	if err := c.Set(ctx, "rm:k", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _ = tc.b.Get(ctx, "rm:k") // a script's first run may need EVAL
			log.take()
			e, found, err := tc.b.Get(ctx, "rm:k")
			if err != nil || !found || string(e.Value) != "v" {
				t.Fatalf("Get = %q %v %v", e.Value, found, err)
			}
			if e.Freshness.Known != tc.known || (tc.known && e.Freshness.FreshFor <= 0) {
				t.Errorf("freshness %+v, want known=%v", e.Freshness, tc.known)
			}
			if got := log.take(); !slices.Equal(got, tc.get) {
				t.Errorf("Get sent %v, want %v", got, tc.get)
			}
			if _, found, err := tc.b.Get(ctx, "rm:missing"); found || err != nil {
				t.Errorf("Get of a missing key = %v %v", found, err)
			}
			log.take()
			res, err := tc.b.GetMany(ctx, []string{"rm:k", "rm:missing"})
			if err != nil || !res[0].Found || string(res[0].Entry.Value) != "v" || res[1].Found {
				t.Fatalf("GetMany = %+v %v", res, err)
			}
			if res[0].Entry.Freshness.Known != tc.known {
				t.Errorf("GetMany freshness %+v, want known=%v", res[0].Entry.Freshness, tc.known)
			}
			if got := log.take(); !slices.Equal(got, tc.many) {
				t.Errorf("GetMany sent %v, want %v", got, tc.many)
			}
			// GetValue is a bare GET in every mode.
			log.take()
			if v, found, err := tc.b.GetValue(ctx, "rm:k"); err != nil || !found || string(v) != "v" {
				t.Errorf("GetValue = %q %v %v", v, found, err)
			}
			if v, found, err := tc.b.GetValue(ctx, "rm:missing"); err != nil || found || v != nil {
				t.Errorf("GetValue of a missing key = %q %v %v", v, found, err)
			}
			if got := log.take(); !slices.Equal(got, []string{"get", "get"}) {
				t.Errorf("GetValue sent %v, want [get get]", got)
			}
			// TTL still reads the key's TTL in every mode.
			if ttl, found, err := tc.b.TTL(ctx, "rm:k"); err != nil || !found || ttl <= 0 {
				t.Errorf("TTL = %v %v %v", ttl, found, err)
			}
		})
	}
	// The same Options through New.
	b, err := redis.New(redis.Options{URL: r.URL()}, redis.WithoutFreshness(), redis.WithGetScript())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if e, found, err := b.Get(ctx, "rm:k"); err != nil || !found || e.Freshness != core.UnknownFreshness {
		t.Fatalf("New(WithoutFreshness).Get = %+v %v %v", e, found, err)
	}
}

// Get reuses its GET+PTTL pipelines: concurrent reads of different keys
// each get their own key's value and TTL, including right after a read
// that failed.
func TestGetPipelinesReused(t *testing.T) {
	ctx := context.Background()
	r := rig.StartRedis(t)
	b, err := redis.New(redis.Options{URL: r.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const keys = 16
	for i := range keys {
		ttl := time.Duration(i+1) * time.Minute
		if err := b.Set(ctx, fmt.Sprintf("pipe:%d", i), []byte(fmt.Sprint(i)), ttl); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*keys)
	for g := range 8 {
		wg.Go(func() {
			for n := range 50 {
				i := (g + n) % keys
				if n%10 == 9 { // a read that fails
					cctx, cancel := context.WithCancel(ctx)
					cancel()
					if _, _, err := b.Get(cctx, fmt.Sprintf("pipe:%d", i)); err == nil {
						errs <- fmt.Errorf("Get with a canceled context succeeded")
						return
					}
					continue
				}
				e, found, err := b.Get(ctx, fmt.Sprintf("pipe:%d", i))
				if err != nil || !found || string(e.Value) != fmt.Sprint(i) {
					errs <- fmt.Errorf("Get(pipe:%d) = %q %v %v", i, e.Value, found, err)
					return
				}
				ttl := time.Duration(i+1) * time.Minute
				if f := e.Freshness.FreshFor; !e.Freshness.Known || f > ttl || f < ttl-time.Minute/2 {
					errs <- fmt.Errorf("Get(pipe:%d) freshness %+v, want about %v", i, e.Freshness, ttl)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A client straight over Redis reads through GetValue (one GET) unless it
// looks at freshness (object cache; stale-while-revalidate for GetOrLoad).
func TestClientReadCommands(t *testing.T) {
	ctx := context.Background()
	_, c, log := loggedClient(t)
	codec := core.WithCodec(stringCodec{})
	load := func(context.Context) (string, error) { return "loaded", nil }
	cases := []struct {
		name           string
		opts           []core.Option
		get, getOrLoad []string
	}{
		{"plain", []core.Option{codec, core.WithStaleWhileRevalidate(false)}, []string{"get"}, []string{"get"}},
		{"swr", []core.Option{codec}, []string{"get"}, []string{"mget", "pttl"}},
		{"object cache", []core.Option{codec, core.WithObjectCache(10, time.Minute)}, []string{"mget", "pttl"}, []string{"mget", "pttl"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cl, err := core.New(wrap(t, c), tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			k := "crc:" + strings.ReplaceAll(tc.name, " ", "-")
			if err := cl.Set(ctx, k, "v"); err != nil {
				t.Fatal(err)
			}
			log.take()
			if v, found, err := core.Get[string](ctx, cl, k); err != nil || !found || v != "v" {
				t.Fatalf("Get = %q %v %v", v, found, err)
			}
			if got := log.take(); !slices.Equal(got, tc.get) {
				t.Errorf("Get sent %v, want %v", got, tc.get)
			}
			cl2, err := core.New(wrap(t, c), tc.opts...) // a cold object cache
			if err != nil {
				t.Fatal(err)
			}
			defer cl2.Close()
			if v, err := core.GetOrLoad(ctx, cl2, k, load); err != nil || v != "v" {
				t.Fatalf("GetOrLoad = %q %v", v, err)
			}
			if got := log.take(); !slices.Equal(got, tc.getOrLoad) {
				t.Errorf("GetOrLoad sent %v, want %v", got, tc.getOrLoad)
			}
		})
	}
	// Through a composition: GET+PTTL with or without Redis's invalidations.
	// The reports keep an L1 copy in step with writes, not with expiry
	// (reported only when Redis reclaims the key), so the PTTL still bounds
	// the copy.
	for _, tc := range []struct {
		name  string
		opts  []compose.Option
		sends []string
	}{
		{"compose", nil, []string{"mget", "pttl"}},
		{"compose without invalidations", []compose.Option{compose.WithInvalidation(false)}, []string{"mget", "pttl"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain, err := core.New(wrap(t, c), codec)
			if err != nil {
				t.Fatal(err)
			}
			defer plain.Close()
			k := "crc:" + strings.ReplaceAll(tc.name, " ", "-")
			if err := plain.Set(ctx, k, "v"); err != nil {
				t.Fatal(err)
			}
			stack, err := compose.New(memory.New(), wrap(t, c), tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer stack.Close()
			waitLive(t, stack, tc.opts == nil)
			cl, err := core.New(stack, codec, core.WithStaleWhileRevalidate(false))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			log.take()
			if v, found, err := core.Get[string](ctx, cl, k); err != nil || !found || v != "v" {
				t.Fatalf("Get = %q %v %v", v, found, err)
			}
			if got := log.take(); !slices.Equal(got, tc.sends) {
				t.Errorf("Get through compose sent %v, want %v", got, tc.sends)
			}
		})
	}
}

// waitLive waits until s follows its lower tier's invalidations (when want),
// or checks that it does not.
func waitLive(t *testing.T, s *compose.Backend, want bool) {
	t.Helper()
	if !want {
		if st := s.Invalidations(); st.Watching {
			t.Fatalf("invalidations: %+v, want none", st)
		}
		return
	}
	deadline := time.Now().Add(3 * time.Second)
	for !s.Invalidations().Live {
		if time.Now().After(deadline) {
			t.Fatalf("not live after 3s: %+v", s.Invalidations())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stringCodec stores strings as their bytes (a codec without dependencies).
type stringCodec struct{}

func (stringCodec) Format() string   { return "msgpack" }
func (stringCodec) Compressed() bool { return false }
func (stringCodec) Marshal(v any) ([]byte, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("stringCodec: %T", v)
	}
	return []byte(s), nil
}
func (stringCodec) Unmarshal(b []byte, v any) error {
	p, ok := v.(*string)
	if !ok {
		return fmt.Errorf("stringCodec: %T", v)
	}
	*p = string(b)
	return nil
}

// wrap is redis.Wrap, failing the test on an error.
func wrap(t testing.TB, c goredis.UniversalClient, opts ...redis.Option) *redis.Backend {
	t.Helper()
	b, err := redis.Wrap(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
