package cachekit_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go"
)

// The CACHEKIT_* selectors of cachekit-py exclude each other: any two set
// is a KindConfig error naming both variables (issue 22), whichever pair.
func TestFromEnvCachekitSelectorsAreExclusive(t *testing.T) {
	ctx := context.Background()
	values := map[string]string{
		"CACHEKIT_API_KEY":           "ck_env_key",
		"CACHEKIT_REDIS_URL":         "redis://127.0.0.1:1",
		"CACHEKIT_MEMCACHED_SERVERS": `["127.0.0.1:11211"]`,
		"CACHEKIT_FILE_CACHE_DIR":    "/tmp/cachekit-selection-test",
	}
	names := []string{"CACHEKIT_API_KEY", "CACHEKIT_REDIS_URL", "CACHEKIT_MEMCACHED_SERVERS", "CACHEKIT_FILE_CACHE_DIR"}
	for i, a := range names {
		for _, b := range names[i+1:] {
			t.Run(a+"+"+b, func(t *testing.T) {
				clearEnv(t)
				t.Setenv(a, values[a])
				t.Setenv(b, values[b])
				t.Setenv("REDIS_URL", "redis://127.0.0.1:2") // a fallback changes nothing
				_, err := cachekit.FromEnv(ctx)
				wantConfig(t, err, a, b, "more than one backend")
				noSecret(t, err, "ck_env_key")
			})
		}
	}
}

// REDIS_URL, which platforms set for their own reasons, is a fallback: a
// CACHEKIT_* selector (or a third-party driver's) wins over it without an
// error, and it selects Redis only when nothing else is set.
func TestFromEnvREDIS_URLIsOnlyAFallback(t *testing.T) {
	ctx := context.Background()

	clearEnv(t)
	t.Setenv("REDIS_URL", "redis://127.0.0.1:1")
	t.Setenv("CACHEKIT_API_KEY", "ck_env_key")
	c := mustClient(t)(cachekit.FromEnv(ctx))
	if !strings.Contains(c.String(), "preset=io") {
		t.Fatalf("CACHEKIT_API_KEY with REDIS_URL built %s, want cachekit.io", c)
	}

	clearEnv(t)
	t.Setenv("REDIS_URL", "redis://127.0.0.1:1")
	t.Setenv("FAKE_SELECTOR", "1")
	c = mustClient(t)(cachekit.FromEnv(ctx))
	if !strings.Contains(c.String(), "preset=production") {
		t.Fatalf("FAKE_SELECTOR with REDIS_URL built %s", c)
	}

	// memcached and the file backend are not linked into this binary: the
	// error names their package, not a conflict with REDIS_URL.
	for v, pkg := range map[string]string{
		"CACHEKIT_MEMCACHED_SERVERS": "backend/memcached",
		"CACHEKIT_FILE_CACHE_DIR":    "backend/file",
		"CACHEKIT_REDIS_URL":         "backend/redis",
	} {
		clearEnv(t)
		t.Setenv("REDIS_URL", "redis://127.0.0.1:1")
		t.Setenv(v, "x")
		_, err := cachekit.FromEnv(ctx)
		wantConfig(t, err, v, pkg, "not linked")
		if strings.Contains(err.Error(), "more than one") {
			t.Fatalf("%s with REDIS_URL: %v", v, err)
		}
	}

	// REDIS_URL alone selects Redis.
	clearEnv(t)
	t.Setenv("REDIS_URL", "redis://:pw-in-url@127.0.0.1:1")
	_, err := cachekit.FromEnv(ctx)
	wantConfig(t, err, "REDIS_URL", "backend/redis")
	noSecret(t, err, "pw-in-url")

	// The no-selector error lists every variable, memcached's included.
	clearEnv(t)
	_, err = cachekit.FromEnv(ctx)
	wantConfig(t, err, "CACHEKIT_API_KEY", "CACHEKIT_REDIS_URL", "REDIS_URL", "CACHEKIT_MEMCACHED_SERVERS", "CACHEKIT_FILE_CACHE_DIR")
}
