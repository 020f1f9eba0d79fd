package cachekit_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
)

func TestFromEnvChoosesOneBackend(t *testing.T) {
	ctx := context.Background()
	clearEnv(t)
	_, err := cachekit.FromEnv(ctx)
	wantConfig(t, err, "CACHEKIT_API_KEY", "REDIS_URL", "WithInProcessDefault")

	// The in-process default: minimal over an L1 alone.
	c := mustClient(t)(cachekit.FromEnv(ctx, cachekit.WithInProcessDefault()))
	if !strings.Contains(c.String(), "preset=minimal") || c.DefaultTTL() <= 0 {
		t.Fatalf("in-process default: %s", c)
	}
	if err := c.Set(ctx, "k", 1); err != nil {
		t.Fatal(err)
	}

	// CACHEKIT_API_KEY: cachekit.io with the io preset.
	t.Setenv("CACHEKIT_API_KEY", "ck_env_key")
	c = mustClient(t)(cachekit.FromEnv(ctx, cachekit.WithBackendOptions("opt")))
	if !strings.Contains(c.String(), "preset=io") {
		t.Fatalf("CACHEKIT_API_KEY built %s", c)
	}
	if k, opts, _ := fakeDriver.seen(); k != "ck_env_key" || len(opts) != 1 {
		t.Fatalf("driver opened with %q %v", k, opts)
	}

	// Two backends selected: an error naming both variables.
	t.Setenv("FAKE_SELECTOR", "1")
	_, err = cachekit.FromEnv(ctx)
	wantConfig(t, err, "CACHEKIT_API_KEY", "FAKE_SELECTOR")
	// A Redis variable with the Redis driver not linked (this binary) is
	// named too.
	t.Setenv("CACHEKIT_API_KEY", "")
	t.Setenv("CACHEKIT_REDIS_URL", "redis://127.0.0.1:1")
	_, err = cachekit.FromEnv(ctx)
	wantConfig(t, err, "CACHEKIT_REDIS_URL", "FAKE_SELECTOR")
	t.Setenv("CACHEKIT_REDIS_URL", "")

	// So is the file backend's directory, with the package to import.
	t.Setenv("REDIS_URL", "")
	t.Setenv("FAKE_SELECTOR", "")
	t.Setenv("CACHEKIT_FILE_CACHE_DIR", t.TempDir())
	_, err = cachekit.FromEnv(ctx)
	wantConfig(t, err, "CACHEKIT_FILE_CACHE_DIR", "backend/file")
	t.Setenv("CACHEKIT_FILE_CACHE_DIR", "")
	t.Setenv("FAKE_SELECTOR", "1")

	// A third-party driver alone: the production preset over it.
	t.Setenv("REDIS_URL", "")
	c = mustClient(t)(cachekit.FromEnv(ctx))
	if !strings.Contains(c.String(), "preset=production") {
		t.Fatalf("FAKE_SELECTOR built %s", c)
	}
}

// Close releases what the constructor built: the L1 and its invalidation
// watch always, the backend only when the constructor opened it.
func TestCloseReleasesWhatThePresetBuilt(t *testing.T) {
	clearEnv(t)
	w := &watched{mem: newMem()}
	c, err := cachekit.Production(w)
	if err != nil {
		t.Fatal(err)
	}
	if w.watches.Load() != 1 {
		t.Fatal("no watch")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if w.closed.Load() != 0 {
		t.Fatal("Close closed the caller's backend")
	}
	if w.watches.Load() != 0 {
		t.Fatal("Close left the invalidation watch open")
	}

	c, err = cachekit.IO("ck_test_key")
	if err != nil {
		t.Fatal(err)
	}
	_, _, b := fakeDriver.seen()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if b.closed.Load() != 1 {
		t.Fatalf("IO's Close closed its backend %d times, want 1", b.closed.Load())
	}
	_ = c.Close()
	if b.closed.Load() != 1 {
		t.Fatal("a second Close closed the backend again")
	}
}

func TestStackPassesConformanceShape(t *testing.T) {
	s, release, err := cachekit.Stack(core.PresetProduction, newMem())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(tier.LocalGetter); !ok {
		t.Fatal("the stack has no in-process tier in front")
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	_, _, err = cachekit.Stack(core.PresetProduction, nil)
	wantConfig(t, err)
	_, _, err = cachekit.Stack(core.PresetProduction, newMem(), cachekit.WithL1MaxBytes(-5))
	wantConfig(t, err, "WithL1MaxBytes")
}
