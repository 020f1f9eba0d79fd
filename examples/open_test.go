package examples

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
)

// cachekit.Open with the real adapters linked: a redis:// URL reaches the
// rig's Redis with the production preset, an https:// URL builds the io
// preset with the API key of the environment, and a malformed URL is a
// KindConfig error without its password.
func TestOpenWithRealAdapters(t *testing.T) {
	ctx := context.Background()
	t.Setenv("CACHEKIT_API_KEY", "ck_sdk_SECRET_open_0123456789")
	c, err := cachekit.Open(ctx, "https://api.cachekit.io")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.String(), "preset=io") {
		t.Errorf("https:// built %s", c)
	}
	_ = c.Close()

	const password = "hunter2-SECRET-open"
	_, err = cachekit.Open(ctx, "redis://:"+password+"@localhost:6379/notadb")
	if core.KindOf(err) != core.KindConfig {
		t.Fatalf("malformed redis URL: %v, want KindConfig", err)
	}
	if s := fmt.Sprintf("%v %+v %#v", err, err, err); strings.Contains(s, password) {
		t.Fatalf("the error shows the password: %s", s)
	}

	url := redisURL
	if url == "" {
		url = rig.StartRedis(t).URL() // skips (fails in CI) without a container engine
	}
	c, err = cachekit.Open(ctx, url, cachekit.WithNamespace("open-test"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !strings.Contains(c.String(), "preset=production") {
		t.Errorf("redis:// built %s", c)
	}
	if err := c.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := core.Get[string](ctx, c, "k"); err != nil || !ok || v != "v" {
		t.Fatalf("Get: %q %v %v", v, ok, err)
	}
}
