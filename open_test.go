package cachekit_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/cachekit-io/cachekit-go"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/registry"
)

// fakeURL is a third-party driver with the URL scheme "fakekv".
var fakeURL struct {
	mu   sync.Mutex
	raw  string
	opts []any
	last *mem
}

func init() {
	err := registry.Register(registry.Driver{
		Name:    "fakeurl",
		Open:    func(context.Context, registry.Config) (core.Backend, error) { return newMem(), nil },
		Schemes: []string{"fakekv"},
		OpenURL: func(_ context.Context, raw string, cfg registry.Config) (core.Backend, error) {
			if strings.Contains(raw, "refuse") {
				return nil, core.NewError(core.KindConfig, "fakekv.open", "refused", nil)
			}
			fakeURL.mu.Lock()
			defer fakeURL.mu.Unlock()
			fakeURL.raw, fakeURL.opts, fakeURL.last = raw, cfg.Options, newMem()
			return fakeURL.last, nil
		},
	})
	if err != nil {
		panic(err)
	}
}

// Open builds the production preset over the backend of the driver that
// registered the URL's scheme, passes the backend options through, and
// releases the backend on Close.
func TestOpenByScheme(t *testing.T) {
	ctx := context.Background()
	clearEnv(t)
	c, err := cachekit.Open(ctx, "fakekv://host:1/db", cachekit.WithBackendOptions("opt"), cachekit.WithNamespace("ns"))
	if err != nil {
		t.Fatal(err)
	}
	fakeURL.mu.Lock()
	raw, opts, b := fakeURL.raw, fakeURL.opts, fakeURL.last
	fakeURL.mu.Unlock()
	if raw != "fakekv://host:1/db" || len(opts) != 1 {
		t.Fatalf("driver got %q %v", raw, opts)
	}
	if !strings.Contains(c.String(), "preset=production") {
		t.Fatalf("Open built %s", c)
	}
	if err := c.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if b.sets.Load() == 0 {
		t.Fatal("the value did not reach the driver's backend")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if b.closed.Load() != 1 {
		t.Fatalf("Close released the backend %d times, want 1", b.closed.Load())
	}

	// The driver's own error comes back as it is.
	_, err = cachekit.Open(ctx, "fakekv://refuse")
	wantConfig(t, err, "refused")
}

// An adapter that is not linked is named; no error repeats the URL's
// password; options Open does not take are refused.
func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	clearEnv(t)
	const pw = "hunter2-in-url"
	for raw, pkg := range map[string]string{
		"redis://:" + pw + "@127.0.0.1:6379/0":  "backend/redis",
		"rediss://u:" + pw + "@cache.internal":  "backend/redis",
		"memcached://127.0.0.1:11211," + pw:     "backend/memcached",
		"file:///var/cache/" + pw:               "backend/file",
		"https://u:" + pw + "@api.cachekit.io":  "backend/cachekitio",
		"nosuchscheme://u:" + pw + "@somewhere": "nosuchscheme",
	} {
		_, err := cachekit.Open(ctx, raw)
		wantConfig(t, err, pkg)
		noSecret(t, err, pw)
	}
	for _, raw := range []string{"", "cache.internal:6379", "u:" + pw + "@host"} {
		_, err := cachekit.Open(ctx, raw)
		wantConfig(t, err)
		noSecret(t, err, pw)
	}
	_, err := cachekit.Open(ctx, "fakekv://h", cachekit.WithInProcessDefault())
	wantConfig(t, err, "WithInProcessDefault")
	_, err = cachekit.Open(ctx, "fakekv://h", cachekit.WithEncryption("nothex"))
	wantConfig(t, err, "master key")
}
