package cachekit_test

import (
	"context"
	"testing"

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
		if _, _, err := core.Get[string](ctx, c, "missing"); core.KindOf(err) != core.KindTransient {
			t.Fatalf("Get of an uncached key: %v, want the backend's transient error", err)
		}
		if v, found, err := core.Get[string](ctx, c, "cached"); err != nil || !found || v != "v" {
			t.Fatalf("Get of an L1-cached key: %q %v %v, want the copy", v, found, err)
		}
		// Set: the error, and the L1 copy is dropped.
		if err := c.Set(ctx, "cached", "w"); core.KindOf(err) != core.KindTransient {
			t.Fatalf("Set: %v, want the transient error", err)
		}
		if _, _, err := core.Get[string](ctx, c, "cached"); core.KindOf(err) != core.KindTransient {
			t.Fatalf("Get after a failed Set: %v, want the error (no L1 copy left)", err)
		}
		// Delete: the error, and the L1 copy is gone first.
		b.fail.Store(nil)
		if err := c.Set(ctx, "d", "v"); err != nil {
			t.Fatal(err)
		}
		_, _, _ = core.Get[string](ctx, c, "d")
		b.failWith(core.KindTransient)
		if err := c.Delete(ctx, "d"); core.KindOf(err) != core.KindTransient {
			t.Fatalf("Delete: %v, want the transient error", err)
		}
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

func TestPRE14_UnreadableValueIsAnError(t *testing.T) {
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
		if _, err := core.GetOrLoad(ctx, c, "k", func(context.Context) (string, error) { loads++; return "x", nil }); core.KindOf(err) != want || loads != 0 {
			t.Fatalf("GetOrLoad: %v (loads %d), want %v and no load", err, loads, want)
		}
		f := core.Cached(c, "f", func(context.Context, int) (string, error) { loads++; return "x", nil })
		if _, err := f(ctx, 1); core.KindOf(err) != want || loads != 0 {
			t.Fatalf("Cached: %v (loads %d), want %v and no load", err, loads, want)
		}
	})
}
