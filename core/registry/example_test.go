package registry_test

import (
	"context"
	"fmt"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/registry"
)

// An adapter registers its driver from an init function; a program that
// imports the adapter can then open it by the variables the driver names.
func Example() {
	// In the adapter: func init() { _ = registry.Register(…) }
	_ = registry.Register(registry.Driver{
		Name:      "example-kv",
		Selectors: []string{"EXAMPLE_KV_URL"},
		Open: func(_ context.Context, cfg registry.Config) (core.Backend, error) {
			url, _ := cfg.Lookup("EXAMPLE_KV_URL")
			return nil, core.NewError(core.KindConfig, "example.open", "would connect to "+url, nil)
		},
	})

	env := map[string]string{"EXAMPLE_KV_URL": "kv://cache.internal"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	d, _ := registry.Lookup("example-kv")
	if v, ok := d.Selected(lookup); ok {
		_, err := d.Open(context.Background(), registry.Config{Lookup: lookup})
		fmt.Println(v, "selects", d.Name+":", err)
	}
	// Output: EXAMPLE_KV_URL selects example-kv: cachekit: example.open: config: would connect to kv://cache.internal
}
