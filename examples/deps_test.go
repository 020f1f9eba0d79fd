package examples

import (
	"os/exec"
	"strings"
	"testing"
)

// A program that imports cachekit and backend/redis depends on no module
// of cachekit.io's adapter (and so not on what only it needs): backends are
// chosen through drivers registered by the adapters a program imports.
func TestRedisOnlyLinksNoCachekitio(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./internal/redisonly").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	for _, want := range []string{"github.com/cachekit-io/cachekit-go", "github.com/cachekit-io/cachekit-go/backend/redis", "github.com/redis/go-redis/v9"} {
		if !deps[want] {
			t.Errorf("%s is not among the dependencies: the check would prove nothing", want)
		}
	}
	for p := range deps {
		if strings.HasPrefix(p, "github.com/cachekit-io/cachekit-go/backend/cachekitio") || strings.HasPrefix(p, "github.com/cachekit-io/cachekit-go/backend/workers") ||
			strings.HasPrefix(p, "github.com/cachekit-io/cachekit-go/backend/memcached") || strings.HasPrefix(p, "github.com/bradfitz/gomemcache") ||
			strings.HasPrefix(p, "github.com/cachekit-io/cachekit-go/codec/zstd") || strings.HasPrefix(p, "github.com/klauspost/compress") {
			t.Errorf("a Redis-only program depends on %s", p)
		}
	}
}
