package redis_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	redis "github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
)

// Timeouts of the failure tests: a call may take (MaxRetries+1) × (the
// timeout that bites + retry backoff ≤ 512ms).
const (
	ioTimeout  = 300 * time.Millisecond
	maxRetries = 1
	callBound  = (maxRetries+1)*(ioTimeout+512*time.Millisecond) + time.Second
)

func faultOptions(url string) redis.Options {
	return redis.Options{
		URL:          url,
		DialTimeout:  ioTimeout,
		ReadTimeout:  ioTimeout,
		WriteTimeout: ioTimeout,
		MaxRetries:   maxRetries,
	}
}

// ops are every Backend call, run against a failing server.
func ops(b *redis.Backend) map[string]func(ctx context.Context) error {
	return map[string]func(ctx context.Context) error{
		"Get":    func(ctx context.Context) error { _, _, err := b.Get(ctx, "k"); return err },
		"Set":    func(ctx context.Context) error { return b.Set(ctx, "k", []byte("v"), time.Minute) },
		"Delete": func(ctx context.Context) error { return b.Delete(ctx, "k") },
		"Exists": func(ctx context.Context) error { _, err := b.Exists(ctx, "k"); return err },
		"Health": func(ctx context.Context) error { return b.Health(ctx) },
		"TTL":    func(ctx context.Context) error { _, _, err := b.TTL(ctx, "k"); return err },
		"Expire": func(ctx context.Context) error { _, err := b.Expire(ctx, "k", time.Minute); return err },
		"Lock":   func(ctx context.Context) error { _, _, err := b.Lock(ctx, "k", time.Minute); return err },
		"Unlock": func(ctx context.Context) error { _, err := b.Unlock(ctx, "k", "t"); return err },
		"GetMany": func(ctx context.Context) error {
			_, err := b.GetMany(ctx, []string{"a", "b", "c"})
			return err
		},
		"SetMany": func(ctx context.Context) error {
			return b.SetMany(ctx, []core.BatchItem{{Key: "a", Value: []byte("1"), TTL: time.Minute}})
		},
	}
}

// checkFailing runs every op and checks it fails with one of kinds within
// bound, without panicking.
func checkFailing(t *testing.T, b *redis.Backend, newCtx func() (context.Context, context.CancelFunc), bound time.Duration, kinds ...core.Kind) {
	t.Helper()
	for name, op := range ops(b) {
		ctx, cancel := newCtx()
		start := time.Now()
		err := op(ctx)
		took := time.Since(start)
		cancel()
		var ce *core.Error
		switch {
		case err == nil:
			t.Errorf("%s on a failing server succeeded", name)
		case !errors.As(err, &ce):
			t.Errorf("%s: %v is not a *core.Error", name, err)
		case !kindIn(ce.Kind, kinds):
			t.Errorf("%s: kind %v (%v); want one of %v", name, ce.Kind, err, kinds)
		}
		if took > bound {
			t.Errorf("%s took %v; want ≤ %v", name, took, bound)
		}
		t.Logf("%-7s %6v %v", name, took.Round(time.Millisecond), err)
	}
}

func kindIn(k core.Kind, kinds []core.Kind) bool {
	for _, want := range kinds {
		if k == want {
			return true
		}
	}
	return false
}

func background() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// recovers waits until b serves again and checks a write and a read.
func recovers(t *testing.T, b *redis.Backend) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := b.Health(ctx)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client did not recover: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := b.Set(ctx, "after", []byte("ok"), time.Minute); err != nil {
		t.Fatalf("Set after recovery: %v", err)
	}
	e, found, err := b.Get(ctx, "after")
	if err != nil || !found || string(e.Value) != "ok" {
		t.Fatalf("Get after recovery = %q, %v, %v", e.Value, found, err)
	}
}

// A stopped server: connection refused (or reset) → KindTransient (or
// KindTimeout), quickly; after Start the same Backend serves again.
func TestStoppedServer(t *testing.T) {
	t.Parallel() // mostly waiting on timeouts
	r := rig.StartRedis(t)
	b, err := redis.New(faultOptions(r.URL()))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	if err := b.Set(ctx, "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	r.Stop(t)
	checkFailing(t, b, background, callBound, core.KindTransient, core.KindTimeout)
	r.Start(t)
	recovers(t, b)
}

// A frozen server accepts connections but never answers: KindTimeout within
// the read timeout (times the attempts), or within a shorter context
// deadline; after Unpause the same Backend serves again.
func TestFrozenServer(t *testing.T) {
	t.Parallel() // mostly waiting on timeouts
	r := rig.StartRedis(t)
	b, err := redis.New(faultOptions(r.URL()))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	if err := b.Set(ctx, "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	r.Pause(t)
	unpaused := false
	defer func() {
		if !unpaused {
			r.Unpause(t)
		}
	}()
	checkFailing(t, b, background, callBound, core.KindTimeout)

	// A context deadline shorter than the socket timeouts wins.
	const readTimeout = 2 * time.Second
	slow, err := redis.New(redis.Options{URL: r.URL(), ReadTimeout: readTimeout, WriteTimeout: readTimeout, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	checkFailing(t, slow, func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(ctx, 200*time.Millisecond)
	}, 200*time.Millisecond+500*time.Millisecond, core.KindTimeout)

	// A cancellation while a command waits for its reply is noticed at the
	// next socket deadline (go-redis does not interrupt reads): the call
	// ends within ReadTimeout, as KindCanceled.
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, _, err = slow.Get(cctx, "k")
	if k := core.KindOf(err); k != core.KindCanceled {
		t.Errorf("Get canceled mid-call = %v (kind %v); want canceled", err, k)
	}
	if took := time.Since(start); took > readTimeout+500*time.Millisecond {
		t.Errorf("Get canceled mid-call took %v", took)
	}

	r.Unpause(t)
	unpaused = true
	recovers(t, b)
	recovers(t, slow)
}

// Authentication: missing or wrong credentials are KindAuth, and no
// password appears in any error or in %v of the options and backend.
func TestAuth(t *testing.T) {
	t.Parallel() // mostly waiting on timeouts
	const (
		defaultPass = "dflt-Pa55-w0rd"
		alicePass   = "al1ce-Pa55-w0rd"
		wrongPass   = "wr0ng-Pa55-w0rd"
	)
	r := rig.StartRedis(t, rig.WithPassword(defaultPass), rig.WithACLUser("alice", alicePass))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	secrets := []string{defaultPass, alicePass, wrongPass}
	noSecret := func(what, s string) {
		t.Helper()
		for _, p := range secrets {
			if strings.Contains(s, p) {
				t.Errorf("%s shows a password: %s", what, s)
			}
		}
	}
	for _, tc := range []struct {
		name string
		opts redis.Options
		want core.Kind // KindUnknown: works
	}{
		{"default user", redis.Options{URL: "redis://:" + defaultPass + "@" + r.Addr}, core.KindUnknown},
		{"ACL user in URL", redis.Options{URL: "redis://alice:" + alicePass + "@" + r.Addr + "/0"}, core.KindUnknown},
		{"ACL user in options", redis.Options{Addrs: []string{r.Addr}, Username: "alice", Password: alicePass}, core.KindUnknown},
		{"no password", redis.Options{Addrs: []string{r.Addr}}, core.KindAuth},
		{"wrong password", redis.Options{URL: "redis://:" + wrongPass + "@" + r.Addr}, core.KindAuth},
		{"wrong ACL password", redis.Options{URL: "redis://alice:" + wrongPass + "@" + r.Addr}, core.KindAuth},
		{"wrong ACL password in options", redis.Options{Addrs: []string{r.Addr}, Username: "alice", Password: wrongPass}, core.KindAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.MaxRetries = -1
			b, err := redis.New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
				noSecret(verb+" of Options", fmt.Sprintf(verb, tc.opts))
				noSecret(verb+" of Backend", fmt.Sprintf(verb, b))
			}
			errs := []error{
				b.Health(ctx),
				b.Set(ctx, "k", []byte("v"), time.Minute),
			}
			_, _, err = b.Get(ctx, "k")
			errs = append(errs, err)
			for i, err := range errs {
				if tc.want == core.KindUnknown {
					if err != nil {
						t.Errorf("call %d: %v", i, err)
					}
					continue
				}
				if got := core.KindOf(err); got != tc.want {
					t.Errorf("call %d: kind %v (%v); want %v", i, got, err, tc.want)
				}
				if err != nil {
					noSecret("error", err.Error())
					noSecret("error %+v", fmt.Sprintf("%+v", err))
				}
			}
		})
	}
}

// TLS: a rediss server works with the right TLS configuration, and a
// plaintext client gets an error, not a hang.
func TestTLS(t *testing.T) {
	t.Parallel() // mostly waiting on timeouts
	r := rig.StartRedis(t, rig.WithTLS())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := redis.New(redis.Options{Addrs: []string{r.Addr}, TLSConfig: r.TLSConfig})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Set(ctx, "k", []byte("tls"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if e, found, err := b.Get(ctx, "k"); err != nil || !found || string(e.Value) != "tls" {
		t.Fatalf("Get over TLS = %q, %v, %v", e.Value, found, err)
	}
	plain, err := redis.New(faultOptions("redis://" + r.Addr))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	start := time.Now()
	if err := plain.Health(ctx); err == nil {
		t.Errorf("a plaintext client talked to a TLS-only server")
	} else if _, ok := errors.AsType[*core.Error](err); !ok {
		t.Errorf("plaintext client: %v is not a *core.Error", err)
	}
	if took := time.Since(start); took > callBound {
		t.Errorf("plaintext client took %v", took)
	}
}
