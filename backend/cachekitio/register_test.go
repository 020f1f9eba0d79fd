package cachekitio

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/registry"
)

// Importing the package registers the driver; it reads its settings through
// the lookup it is given (not the process environment) and never prints the
// API key in an error.
func TestDriverRegistered(t *testing.T) {
	d, ok := registry.Lookup(DriverName)
	if !ok {
		t.Fatal("the cachekitio driver is not registered")
	}
	if len(d.Selectors) != 1 || d.Selectors[0] != EnvAPIKey {
		t.Fatalf("selectors %v", d.Selectors)
	}
	env := map[string]string{EnvAPIKey: testKey, "CACHEKIT_API_URL": "https://127.0.0.1:9"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx := context.Background()
	_, err := d.Open(ctx, registry.Config{Lookup: lookup})
	if core.KindOf(err) != core.KindConfig || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("loopback URL from the lookup: %v, want the SSRF KindConfig error", err)
	}
	if s := fmt.Sprintf("%v %+v %#v", err, err, err); strings.Contains(s, testKey) {
		t.Fatalf("the error shows the key: %s", s)
	}
	b, err := d.Open(ctx, registry.Config{Lookup: lookup, Options: []any{WithInsecureCustomEndpoint("https://127.0.0.1:9")}})
	if err != nil {
		t.Fatal(err)
	}
	_ = b.(*Backend).Close()
	_, err = d.Open(ctx, registry.Config{Lookup: func(string) (string, bool) { return "", false }})
	if core.KindOf(err) != core.KindConfig {
		t.Fatalf("no key: %v, want KindConfig", err)
	}
	_, err = d.Open(ctx, registry.Config{Lookup: lookup, Options: []any{42}})
	if core.KindOf(err) != core.KindConfig {
		t.Fatalf("foreign option: %v, want KindConfig", err)
	}
}

// https:// URLs open cachekit.io through registry.OpenURL with the API key
// of the lookup; a key (or anything else) in the URL is refused without
// being repeated.
func TestOpenURL(t *testing.T) {
	ctx := context.Background()
	env := map[string]string{EnvAPIKey: testKey}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	b, err := registry.OpenURL(ctx, "https://api.cachekit.io", registry.Config{Lookup: lookup})
	if err != nil {
		t.Fatal(err)
	}
	_ = b.(*Backend).Close()

	const secret = "ck_live_inurl_secret"
	for _, raw := range []string{
		"https://" + secret + "@api.cachekit.io",
		"https://user:" + secret + "@api.cachekit.io",
		"https://api.cachekit.io/?api_key=" + secret,
		"https://api.cachekit.io/" + secret,
		"https://api.cachekit.io#" + secret,
	} {
		_, err := registry.OpenURL(ctx, raw, registry.Config{Lookup: lookup})
		if core.KindOf(err) != core.KindConfig {
			t.Fatalf("%s: %v, want KindConfig", raw, err)
		}
		if s := fmt.Sprintf("%v %+v %#v", err, err, err); strings.Contains(s, secret) || strings.Contains(s, testKey) {
			t.Fatalf("the error repeats a secret: %s", s)
		}
	}
	// The SSRF rules hold for URLs too.
	if _, err := registry.OpenURL(ctx, "https://127.0.0.1:9", registry.Config{Lookup: lookup}); core.KindOf(err) != core.KindConfig {
		t.Fatalf("loopback URL: %v, want KindConfig", err)
	}
	// No key in the environment: refused, as for the selector.
	if _, err := registry.OpenURL(ctx, "https://api.cachekit.io", registry.Config{Lookup: func(string) (string, bool) { return "", false }}); core.KindOf(err) != core.KindConfig {
		t.Fatalf("no API key: %v, want KindConfig", err)
	}
}
