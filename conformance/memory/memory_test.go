package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/conformance"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
)

func TestConformance(t *testing.T) {
	conformance.RunBackend(t, conformance.Harness{
		New: func(t *testing.T) core.Backend {
			b := memory.New()
			t.Cleanup(func() { _ = b.Close() })
			return b
		},
		TTLResolution: time.Millisecond,
	})
}

// TestNilOptions: New skips nil options, as core.New does, and
// WithClock(nil) means time.Now; both used to panic.
func TestNilOptions(t *testing.T) {
	ctx := context.Background()
	for name, opts := range map[string][]memory.Option{
		"New(nil)":            {nil},
		"New(WithClock(nil))": {memory.WithClock(nil)},
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: panic %v", name, r)
				}
			}()
			b := memory.New(opts...)
			if err := b.Set(ctx, "k", []byte("v"), time.Minute); err != nil {
				t.Fatalf("%s: Set: %v", name, err)
			}
			if e, found, err := b.Get(ctx, "k"); err != nil || !found || string(e.Value) != "v" {
				t.Errorf("%s: Get = %q, %v, %v", name, e.Value, found, err)
			}
		}()
	}
}

// TestZeroBackend: a Backend not made by New fails with KindConfig instead
// of panicking on its nil map and clock.
func TestZeroBackend(t *testing.T) {
	var b memory.Backend
	ctx := context.Background()
	errs := map[string]error{}
	_, _, errs["Get"] = b.Get(ctx, "k")
	errs["Set"] = b.Set(ctx, "k", []byte("v"), time.Minute)
	errs["SetCopy"] = b.SetCopy(ctx, "k", []byte("v"), time.Minute, core.UnknownFreshness)
	errs["SetMany"] = b.SetMany(ctx, []core.BatchItem{{Key: "k", Value: []byte("v")}})
	_, errs["GetMany"] = b.GetMany(ctx, []string{"k"})
	errs["Delete"] = b.Delete(ctx, "k")
	errs["Clear"] = b.Clear(ctx)
	_, errs["Exists"] = b.Exists(ctx, "k")
	errs["Health"] = b.Health(ctx)
	_, _, errs["TTL"] = b.TTL(ctx, "k")
	_, errs["Expire"] = b.Expire(ctx, "k", time.Minute)
	_, _, errs["Lock"] = b.Lock(ctx, "k", time.Minute)
	_, errs["Unlock"] = b.Unlock(ctx, "k", "t")
	for op, err := range errs {
		if core.KindOf(err) != core.KindConfig {
			t.Errorf("%s on a zero Backend = %v, want KindConfig", op, err)
		}
	}
	if keys := b.Keys(); len(keys) != 0 {
		t.Errorf("Keys = %v", keys)
	}
	if st := b.Stats(); len(st) != 1 {
		t.Errorf("Stats = %+v", st)
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
}
