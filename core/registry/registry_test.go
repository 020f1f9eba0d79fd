package registry_test

import (
	"context"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/registry"
)

func open(context.Context, registry.Config) (core.Backend, error) { return nil, nil }

func TestRegisterLookupDrivers(t *testing.T) {
	if err := registry.Register(registry.Driver{Name: "zz-test", Selectors: []string{"ZZ_A", "ZZ_B"}, Open: open}); err != nil {
		t.Fatal(err)
	}
	if err := registry.Register(registry.Driver{Name: "aa-test", Open: open}); err != nil {
		t.Fatal(err)
	}
	d, ok := registry.Lookup("zz-test")
	if !ok || d.Name != "zz-test" || len(d.Selectors) != 2 {
		t.Fatalf("Lookup: %+v %v", d, ok)
	}
	d.Selectors[0] = "changed"
	if d2, _ := registry.Lookup("zz-test"); d2.Selectors[0] != "ZZ_A" {
		t.Fatal("a caller changed the registered selectors")
	}
	if _, ok := registry.Lookup("missing"); ok {
		t.Fatal("Lookup found an unregistered driver")
	}
	var names []string
	for _, d := range registry.Drivers() {
		names = append(names, d.Name)
	}
	if len(names) != 2 || names[0] != "aa-test" || names[1] != "zz-test" {
		t.Fatalf("Drivers: %v", names)
	}
	d, _ = registry.Lookup("zz-test")
	env := map[string]string{"ZZ_A": "", "ZZ_B": "x"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if s, ok := d.Selected(lookup); !ok || s != "ZZ_B" {
		t.Fatalf("Selected: %q %v (an empty variable must not select)", s, ok)
	}
	env["ZZ_A"] = "y"
	if s, _ := d.Selected(lookup); s != "ZZ_A" {
		t.Fatalf("Selected: %q, want the first selector in precedence order", s)
	}
}

func TestRegisterRejectsBadDrivers(t *testing.T) {
	for name, d := range map[string]registry.Driver{
		"empty name":     {Open: open},
		"bad name":       {Name: "Redis!", Open: open},
		"no open":        {Name: "no-open"},
		"empty selector": {Name: "sel", Selectors: []string{""}, Open: open},
	} {
		if err := registry.Register(d); core.KindOf(err) != core.KindConfig {
			t.Errorf("%s: %v, want KindConfig", name, err)
		}
	}
	if err := registry.Register(registry.Driver{Name: "dup-test", Open: open}); err != nil {
		t.Fatal(err)
	}
	if err := registry.Register(registry.Driver{Name: "dup-test", Open: open}); core.KindOf(err) != core.KindConfig {
		t.Fatalf("duplicate: %v, want KindConfig", err)
	}
}
