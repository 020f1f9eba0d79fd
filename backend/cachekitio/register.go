package cachekitio

import (
	"context"
	"fmt"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/registry"
)

// DriverName is the name under which this package registers its driver in
// core/registry (importing the package registers it).
const DriverName = "cachekitio"

// EnvAPIKey selects this driver and holds the API key.
const EnvAPIKey = "CACHEKIT_API_KEY"

func init() {
	// The name is this package's own: nothing else registers it.
	_ = registry.Register(registry.Driver{
		Name:      DriverName,
		Selectors: []string{EnvAPIKey},
		Open:      openDriver,
	})
}

// openDriver is the registered driver's Open: New configured from
// cfg.Lookup instead of the process environment (the same CACHEKIT_*
// variables New reads), then from the Option values in cfg.Options.
func openDriver(_ context.Context, cfg registry.Config) (core.Backend, error) {
	opts := make([]Option, 0, len(cfg.Options))
	for _, x := range cfg.Options {
		o, ok := x.(Option)
		if !ok {
			return nil, configError(fmt.Sprintf("the cachekitio driver takes cachekitio.Option values, got a %T", x))
		}
		opts = append(opts, o)
	}
	getenv := func(string) string { return "" }
	if cfg.Lookup != nil {
		getenv = func(k string) string { v, _ := cfg.Lookup(k); return v }
	}
	b, err := newBackend(opts, getenv)
	if err != nil {
		return nil, err
	}
	return b, nil
}
