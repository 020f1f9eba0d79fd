package examples

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go"
	"github.com/cachekit-io/cachekit-go/core"

	_ "github.com/cachekit-io/cachekit-go/backend/file"
	_ "github.com/cachekit-io/cachekit-go/backend/memcached"
)

// FromEnv and Open with every driver of the repository linked:
// CACHEKIT_MEMCACHED_SERVERS and CACHEKIT_FILE_CACHE_DIR select their
// backends, a platform's REDIS_URL next to them changes nothing, a
// malformed server list is KindConfig without its content, and the
// memcached:// and file:/// URLs open the same backends.
func TestSelectionWithEveryDriverLinked(t *testing.T) {
	ctx := context.Background()
	for _, k := range []string{"CACHEKIT_API_KEY", "CACHEKIT_REDIS_URL", "REDIS_URL", "CACHEKIT_MEMCACHED_SERVERS", "CACHEKIT_FILE_CACHE_DIR"} {
		t.Setenv(k, "")
	}
	t.Setenv("REDIS_URL", "redis://platform-redis:6379") // set by the platform: only a fallback

	// Nothing listens on port 1: the write fails, and the error says which
	// backend was chosen.
	t.Setenv("CACHEKIT_MEMCACHED_SERVERS", `["127.0.0.1:1","127.0.0.1:1"]`)
	c, err := cachekit.FromEnv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.String(), "preset=production") {
		t.Errorf("CACHEKIT_MEMCACHED_SERVERS built %s", c)
	}
	if err := c.Set(ctx, "k", "v"); err == nil || !strings.Contains(err.Error(), "memcached") {
		t.Errorf("a write with memcached selected and down: %v, want memcached's error", err)
	}
	_ = c.Close()

	const secret = "s3cret-in-servers"
	t.Setenv("CACHEKIT_MEMCACHED_SERVERS", `["mc:11211", "`+secret)
	_, err = cachekit.FromEnv(ctx)
	if core.KindOf(err) != core.KindConfig || !strings.Contains(err.Error(), "CACHEKIT_MEMCACHED_SERVERS") {
		t.Fatalf("malformed server list: %v", err)
	}
	if s := fmt.Sprintf("%v %+v %#v", err, err, err); strings.Contains(s, secret) {
		t.Fatalf("the error shows the value: %s", s)
	}

	dir := filepath.Join(t.TempDir(), "cache")
	t.Setenv("CACHEKIT_FILE_CACHE_DIR", dir)
	_, err = cachekit.FromEnv(ctx)
	if core.KindOf(err) != core.KindConfig || !strings.Contains(err.Error(), "CACHEKIT_MEMCACHED_SERVERS") || !strings.Contains(err.Error(), "CACHEKIT_FILE_CACHE_DIR") {
		t.Fatalf("two CACHEKIT_* selectors: %v, want an error naming both", err)
	}
	t.Setenv("CACHEKIT_MEMCACHED_SERVERS", "")
	c, err = cachekit.FromEnv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := core.Get[string](ctx, c, "k"); err != nil || !ok || v != "v" {
		t.Fatalf("file backend from the environment: %q %v %v", v, ok, err)
	}
	_ = c.Close()

	for _, raw := range []string{"memcached://127.0.0.1:11211", "file://" + dir} {
		c, err := cachekit.Open(ctx, raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if !strings.Contains(c.String(), "preset=production") {
			t.Errorf("%s built %s", raw, c)
		}
		_ = c.Close()
	}
}
