package redis

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/registry"
	goredis "github.com/redis/go-redis/v9"
)

func lookupOf(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// Importing the package registers the driver, which opens the URL of the
// first selector set and rejects a malformed one without printing its
// password.
func TestDriverRegistered(t *testing.T) {
	d, ok := registry.Lookup(DriverName)
	if !ok {
		t.Fatal("the redis driver is not registered")
	}
	if len(d.Selectors) != 2 || d.Selectors[0] != EnvRedisURL || d.Selectors[1] != EnvRedisURLCommon {
		t.Fatalf("selectors %v", d.Selectors)
	}
	ctx := context.Background()
	b, err := d.Open(ctx, registry.Config{Lookup: lookupOf(map[string]string{
		EnvRedisURL: "redis://127.0.0.1:1/2", EnvRedisURLCommon: "redis://127.0.0.1:2/3"})})
	if err != nil {
		t.Fatal(err)
	}
	rb := b.(*Backend)
	if got := rb.Client().(*goredis.Client).Options().DB; got != 2 {
		t.Fatalf("opened DB %d, want CACHEKIT_REDIS_URL's (2)", got)
	}
	_ = rb.Close()

	_, err = d.Open(ctx, registry.Config{Lookup: lookupOf(map[string]string{EnvRedisURLCommon: "redis://:hunter2secret@127.0.0.1:6379/notanumber"})})
	if core.KindOf(err) != core.KindConfig {
		t.Fatalf("malformed URL: %v, want KindConfig", err)
	}
	if s := fmt.Sprintf("%v %+v %#v", err, err, err); strings.Contains(s, "hunter2secret") {
		t.Fatalf("the error shows the password: %s", s)
	}
	_, err = d.Open(ctx, registry.Config{Lookup: lookupOf(nil)})
	if core.KindOf(err) != core.KindConfig {
		t.Fatalf("no URL: %v, want KindConfig", err)
	}
	_, err = d.Open(ctx, registry.Config{Lookup: lookupOf(map[string]string{EnvRedisURL: "redis://127.0.0.1:1"}), Options: []any{"x"}})
	if core.KindOf(err) != core.KindConfig {
		t.Fatalf("foreign option: %v, want KindConfig", err)
	}
}

// redis:// and rediss:// URLs open through registry.OpenURL; a malformed
// one is KindConfig without its password.
func TestOpenURL(t *testing.T) {
	ctx := context.Background()
	for raw, tls := range map[string]bool{"redis://127.0.0.1:1/4": false, "rediss://127.0.0.1:1/4": true} {
		b, err := registry.OpenURL(ctx, raw, registry.Config{Options: []any{Options{}}})
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		o := b.(*Backend).Client().(*goredis.Client).Options()
		if o.DB != 4 || (o.TLSConfig != nil) != tls {
			t.Fatalf("%s: DB %d, TLS %v", raw, o.DB, o.TLSConfig != nil)
		}
		_ = b.(*Backend).Close()
	}
	for _, raw := range []string{
		"redis://:hunter2secret@127.0.0.1:6379/notanumber",
		"rediss://user:hunter2secret@127.0.0.1:bad/0",
		"redis://user:hunter2secret@[::1/0",
	} {
		_, err := registry.OpenURL(ctx, raw, registry.Config{})
		if core.KindOf(err) != core.KindConfig {
			t.Fatalf("%s: %v, want KindConfig", RedactURL(raw), err)
		}
		if s := fmt.Sprintf("%v %+v %#v", err, err, err); strings.Contains(s, "hunter2secret") {
			t.Fatalf("the error shows the password: %s", s)
		}
	}
	if _, err := registry.OpenURL(ctx, "redis://127.0.0.1:1", registry.Config{Options: []any{"x"}}); core.KindOf(err) != core.KindConfig {
		t.Fatalf("foreign option: %v, want KindConfig", err)
	}
}
