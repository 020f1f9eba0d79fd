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

// Scheme is the URL scheme this package registers with core/registry's
// OpenURL: https://api.cachekit.io, or another API origin that the SSRF
// rules admit. The API key is never part of the URL: it comes from
// CACHEKIT_API_KEY (through the lookup) or a WithAPIKey option.
const Scheme = "https"

func init() {
	// The name and the scheme are this package's own: nothing else
	// registers them.
	_ = registry.Register(registry.Driver{
		Name:      DriverName,
		Selectors: []string{EnvAPIKey},
		Open:      openDriver,
		Schemes:   []string{Scheme},
		OpenURL:   openURL,
	})
}

// openURL is the registered driver's OpenURL: openDriver with rawURL as the
// API URL (WithURL, which the caller's options may override). rawURL must
// be an origin — https, a host, an optional port, nothing else: user
// information (a place for an API key that would then be logged with the
// URL), a path, a query or a fragment is a core.KindConfig error that does
// not repeat the URL. The endpoint's SSRF rules (CACHEKIT_ALLOW_CUSTOM_HOST)
// apply as they do to CACHEKIT_API_URL.
func openURL(ctx context.Context, rawURL string, cfg registry.Config) (core.Backend, error) {
	cfg.Options = append([]any{WithURL(rawURL)}, cfg.Options...)
	return openDriver(ctx, cfg)
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
