package registry_test

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/registry"
)

func open(context.Context, registry.Config) (core.Backend, error) { return nil, nil }

// run makes the names of each run's drivers unique (go test -count=N).
var run atomic.Int64

func TestRegisterLookupDrivers(t *testing.T) {
	sfx := "-" + strconv.FormatInt(run.Add(1), 10)
	zz, aa := "zz-test"+sfx, "aa-test"+sfx
	if err := registry.Register(registry.Driver{Name: zz, Selectors: []string{"ZZ_A", "ZZ_B"}, Open: open}); err != nil {
		t.Fatal(err)
	}
	if err := registry.Register(registry.Driver{Name: aa, Open: open}); err != nil {
		t.Fatal(err)
	}
	d, ok := registry.Lookup(zz)
	if !ok || d.Name != zz || len(d.Selectors) != 2 {
		t.Fatalf("Lookup: %+v %v", d, ok)
	}
	d.Selectors[0] = "changed"
	if d2, _ := registry.Lookup(zz); d2.Selectors[0] != "ZZ_A" {
		t.Fatal("a caller changed the registered selectors")
	}
	if _, ok := registry.Lookup("missing"); ok {
		t.Fatal("Lookup found an unregistered driver")
	}
	var names []string
	for _, d := range registry.Drivers() {
		if strings.HasSuffix(d.Name, sfx) {
			names = append(names, d.Name)
		}
	}
	if len(names) != 2 || names[0] != aa || names[1] != zz {
		t.Fatalf("Drivers: %v, want them sorted by name", names)
	}
	d, _ = registry.Lookup(zz)
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
	dup := "dup-test-" + strconv.FormatInt(run.Add(1), 10)
	if err := registry.Register(registry.Driver{Name: dup, Open: open}); err != nil {
		t.Fatal(err)
	}
	if err := registry.Register(registry.Driver{Name: dup, Open: open}); core.KindOf(err) != core.KindConfig {
		t.Fatalf("duplicate: %v, want KindConfig", err)
	}
}
