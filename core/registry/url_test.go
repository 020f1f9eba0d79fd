package registry_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/registry"
)

func TestOpenURLDispatchesByScheme(t *testing.T) {
	n := strconv.FormatInt(run.Add(1), 10)
	scheme := "kv" + n
	var got string
	var gotLookup bool
	d := registry.Driver{
		Name:    "url-test-" + n,
		Open:    open,
		Schemes: []string{scheme, scheme + "s"},
		OpenURL: func(_ context.Context, raw string, cfg registry.Config) (core.Backend, error) {
			got, gotLookup = raw, cfg.Lookup != nil
			return nil, nil
		},
	}
	if err := registry.Register(d); err != nil {
		t.Fatal(err)
	}
	raw := strings.ToUpper(scheme) + "s://host:1/x"
	if _, err := registry.OpenURL(context.Background(), raw, registry.Config{}); err != nil {
		t.Fatal(err)
	}
	if got != raw || !gotLookup {
		t.Fatalf("driver got %q (lookup set: %v), want %q and the process environment", got, gotLookup, raw)
	}
	if dd, ok := registry.LookupScheme(scheme); !ok || dd.Name != d.Name {
		t.Fatalf("LookupScheme: %+v %v", dd, ok)
	}

	// A scheme belongs to one driver.
	err := registry.Register(registry.Driver{Name: "url-dup-" + n, Open: open, Schemes: []string{scheme}, OpenURL: d.OpenURL})
	if core.KindOf(err) != core.KindConfig || !strings.Contains(err.Error(), d.Name) {
		t.Fatalf("second owner of %s: %v", scheme, err)
	}
	if _, ok := registry.Lookup("url-dup-" + n); ok {
		t.Fatal("a driver whose scheme was taken was registered anyway")
	}
}

func TestOpenURLErrorsRepeatNoURL(t *testing.T) {
	const secret = "hunter2"
	for _, raw := range []string{
		"",
		"no-scheme-" + secret,
		"user:" + secret + "@host",
		"1bad://u:" + secret + "@h",
		"nosuchscheme://u:" + secret + "@h",
	} {
		_, err := registry.OpenURL(context.Background(), raw, registry.Config{})
		if core.KindOf(err) != core.KindConfig {
			t.Fatalf("%q: %v, want KindConfig", raw, err)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "@h") {
			t.Fatalf("%q: the error repeats the URL: %v", raw, err)
		}
	}
	_, err := registry.OpenURL(context.Background(), "nosuchscheme://h", registry.Config{})
	if !strings.Contains(err.Error(), "nosuchscheme") {
		t.Fatalf("an unknown scheme is not named: %v", err)
	}
}

func TestRegisterRejectsBadSchemes(t *testing.T) {
	n := strconv.FormatInt(run.Add(1), 10)
	for name, d := range map[string]registry.Driver{
		"upper case":  {Name: "s1-" + n, Open: open, Schemes: []string{"Redis"}, OpenURL: func(context.Context, string, registry.Config) (core.Backend, error) { return nil, nil }},
		"digit first": {Name: "s2-" + n, Open: open, Schemes: []string{"1x"}, OpenURL: func(context.Context, string, registry.Config) (core.Backend, error) { return nil, nil }},
		"empty":       {Name: "s3-" + n, Open: open, Schemes: []string{""}, OpenURL: func(context.Context, string, registry.Config) (core.Backend, error) { return nil, nil }},
		"no OpenURL":  {Name: "s4-" + n, Open: open, Schemes: []string{"ok"}},
		"colon in it": {Name: "s5-" + n, Open: open, Schemes: []string{"a:b"}, OpenURL: func(context.Context, string, registry.Config) (core.Backend, error) { return nil, nil }},
	} {
		if err := registry.Register(d); core.KindOf(err) != core.KindConfig {
			t.Errorf("%s: %v, want KindConfig", name, err)
		}
	}
}
