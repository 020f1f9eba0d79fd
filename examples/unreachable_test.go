package examples

import (
	"context"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go"
	"github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/core"
)

// PRE-14 over a real adapter: a Redis nobody listens on fails the way the
// presets' documentation says (the root package's TestPRE14_* check every
// sentence over a fake; this checks that backend/redis reports an
// unreachable server with a retryable kind, which is what they rely on).
func TestPRE14_UnreachableRedis(t *testing.T) {
	b, err := redis.New(redis.Options{URL: "redis://127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cache, err := cachekit.Production(b)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	ctx := context.Background()
	_, _, err = core.Get[string](ctx, cache, "k")
	// A retryable kind, or KindCircuitOpen once the production preset's
	// breaker opened (five consecutive failures: the Get's and Set's
	// attempts already make five).
	down := func(err error) bool { k := core.KindOf(err); return k.Retryable() || k == core.KindCircuitOpen }
	if !down(err) {
		t.Fatalf("Get: %v (kind %v), want a retryable kind", err, core.KindOf(err))
	}
	if err := cache.Set(ctx, "k", "v"); !down(err) {
		t.Fatalf("Set: %v", err)
	}
	if err := cache.Delete(ctx, "k"); !down(err) {
		t.Fatalf("Delete: %v", err)
	}
	v, err := core.GetOrLoad(ctx, cache, "k", func(context.Context) (string, error) { return "loaded", nil })
	if err != nil || v != "loaded" {
		t.Fatalf("GetOrLoad: %q %v, want the loader's value", v, err)
	}
	f := core.Cached(cache, "f", func(context.Context, int) (int, error) { return 7, nil })
	if n, err := f(ctx, 1); err != nil || n != 7 {
		t.Fatalf("Cached: %d %v", n, err)
	}
	if s := cache.Stats(); s.Degraded != 2 || s.Retries == 0 {
		t.Fatalf("stats %+v: want 2 degraded reads and the preset's retries", s)
	}
}
