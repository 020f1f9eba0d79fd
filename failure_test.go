package cachekit_test

import (
	"context"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go"
	"github.com/cachekit-io/cachekit-go/core"
)

// Each sentence of the presets' PRE-14 documentation, checked for every
// preset over a backend that fails as an unreachable one does (a
// retryable kind) or refuses (auth), and over a stored value that cannot
// be read.
func forEachPreset(t *testing.T, f func(t *testing.T, name string, c *core.Client, b *mem)) {
	for _, name := range []string{"minimal", "production", "secure", "io"} {
		t.Run(name, func(t *testing.T) {
			clearEnv(t)
			mk := mustClient(t)
			b := newMem()
			var c *core.Client
			switch name {
			case "minimal":
				c = mk(cachekit.Minimal(b))
			case "production":
				c = mk(cachekit.Production(b))
			case "secure":
				c = mk(cachekit.Secure(b, keyHex))
			case "io":
				c = mk(cachekit.IO("ck_test_key"))
				_, _, b = fakeDriver.seen()
			}
			f(t, name, c, b)
		})
	}
}

// unreachable checks that err is what an unreachable backend gives: the
// transient error, or, with the reliability stack (every preset but
// minimal), KindCircuitOpen once the breaker opened.
func unreachable(t *testing.T, name, what string, err error) {
	t.Helper()
	k := core.KindOf(err)
	if k == core.KindTransient || (name != "minimal" && k == core.KindCircuitOpen) {
		return
	}
	t.Fatalf("%s: %v, want the transient error (or an open circuit)", what, err)
}

// recovered waits until c reaches its backend again (the breaker, if any,
// closes once its background health check passes).
func recovered(t *testing.T, c *core.Client) {
	t.Helper()
	for i := 0; c.Stats().Breaker == core.BreakerOpen || c.Stats().Breaker == core.BreakerHalfOpen; i++ {
		if i > 1000 {
			t.Fatalf("the breaker stays %v", c.Stats().Breaker)
		}
		_, _ = c.Exists(context.Background(), "probe") // starts the prober once the breaker's open time passed
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPRE14_UnreachableGetSetDelete(t *testing.T) {
	forEachPreset(t, func(t *testing.T, name string, c *core.Client, b *mem) {
		ctx := context.Background()
		if err := c.Set(ctx, "cached", "v"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := core.Get[string](ctx, c, "cached"); err != nil { // fills the L1 where a Set wrote around it
			t.Fatal(err)
		}
		b.failWith(core.KindTransient)
		// Get: the error, unless the L1 holds a fresh copy.
		_, _, err := core.Get[string](ctx, c, "missing")
		unreachable(t, name, "Get of an uncached key", err)
		if v, found, err := core.Get[string](ctx, c, "cached"); err != nil || !found || v != "v" {
			t.Fatalf("Get of an L1-cached key: %q %v %v, want the copy", v, found, err)
		}
		// Set: the error, and the L1 copy is dropped.
		unreachable(t, name, "Set", c.Set(ctx, "cached", "w"))
		_, _, err = core.Get[string](ctx, c, "cached")
		unreachable(t, name, "Get after a failed Set (no L1 copy left)", err)
		// Delete: the error, and the L1 copy is gone first.
		b.fail.Store(nil)
		recovered(t, c)
		if err := c.Set(ctx, "d", "v"); err != nil {
			t.Fatal(err)
		}
		_, _, _ = core.Get[string](ctx, c, "d")
		b.failWith(core.KindTransient)
		unreachable(t, name, "Delete", c.Delete(ctx, "d"))
		if _, found, err := core.Get[string](ctx, c, "d"); found || err == nil {
			t.Fatalf("Get after a failed Delete: found=%v err=%v, want the error (the L1 copy removed)", found, err)
		}
	})
}

func TestPRE14_UnreachableGetOrLoadAndCachedRunTheLoader(t *testing.T) {
	forEachPreset(t, func(t *testing.T, name string, c *core.Client, b *mem) {
		ctx := context.Background()
		b.failWith(core.KindTimeout)
		loads := 0
		v, err := core.GetOrLoad(ctx, c, "k", func(context.Context) (string, error) { loads++; return "loaded", nil })
		if name == "minimal" {
			// Minimal propagates the first error (PRE-14): no degradation.
			if core.KindOf(err) != core.KindTimeout || loads != 0 {
				t.Fatalf("GetOrLoad: %q %v (loads %d), want the timeout and no load", v, err, loads)
			}
			return
		}
		if err != nil || v != "loaded" || loads != 1 {
			t.Fatalf("GetOrLoad: %q %v (loads %d), want the loader's value and nil", v, err, loads)
		}
		f := core.Cached(c, "f", func(_ context.Context, n int) (int, error) { loads++; return n * 2, nil })
		if n, err := f(ctx, 21); err != nil || n != 42 {
			t.Fatalf("Cached: %d %v", n, err)
		}
		_ = c.Wait(ctx)
		st := c.Stats()
		if st.Degraded != 2 {
			t.Errorf("Stats.Degraded = %d, want 2", st.Degraded)
		}
		if st.Errors < 2 {
			t.Errorf("Stats.Errors = %d: the failed write-backs are not counted", st.Errors)
		}
	})
}

func TestPRE14_RefusedGetOrLoadReturnsTheError(t *testing.T) {
	forEachPreset(t, func(t *testing.T, name string, c *core.Client, b *mem) {
		ctx := context.Background()
		b.failWith(core.KindAuth)
		loads := 0
		_, err := core.GetOrLoad(ctx, c, "k", func(context.Context) (string, error) { loads++; return "x", nil })
		if core.KindOf(err) != core.KindAuth || loads != 0 {
			t.Fatalf("GetOrLoad: %v (loads %d), want the auth error and no load", err, loads)
		}
		f := core.Cached(c, "f", func(context.Context, int) (int, error) { loads++; return 1, nil })
		if _, err := f(ctx, 1); core.KindOf(err) != core.KindAuth || loads != 0 {
			t.Fatalf("Cached: %v (loads %d)", err, loads)
		}
	})
}

// A value that cannot be read is an error for Get and a miss for GetOrLoad
// and Cached, whose loader's value replaces it (self-healing reads).
func TestPRE14_UnreadableValueIsAnErrorForGetAndAMissForGetOrLoad(t *testing.T) {
	forEachPreset(t, func(t *testing.T, name string, c *core.Client, b *mem) {
		ctx := context.Background()
		want := core.KindSerialization
		if c.Encrypted() {
			want = core.KindEncryption
		}
		b.put("k", []byte("\x00garbage that is no stored value"))
		b.put("f:1", []byte("\x00garbage that is no stored value"))
		if _, _, err := core.Get[string](ctx, c, "k"); core.KindOf(err) != want {
			t.Fatalf("Get: %v, want %v", err, want)
		}
		loads := 0
		if v, err := core.GetOrLoad(ctx, c, "k", func(context.Context) (string, error) { loads++; return "x", nil }); err != nil || v != "x" || loads != 1 {
			t.Fatalf("GetOrLoad: %q %v (loads %d), want the loader's value", v, err, loads)
		}
		f := core.Cached(c, "f", func(context.Context, int) (string, error) { loads++; return "y", nil })
		if v, err := f(ctx, 1); err != nil || v != "y" || loads != 2 {
			t.Fatalf("Cached: %q %v (loads %d), want the loader's value", v, err, loads)
		}
		if n := c.Stats().SelfHealed; n != 2 {
			t.Fatalf("Stats.SelfHealed = %d, want 2", n)
		}
		if v, found, err := core.Get[string](ctx, c, "k"); err != nil || !found || v != "x" {
			t.Fatalf("Get after healing: %q %v %v, want the loader's value", v, found, err)
		}
	})
}
