package memcached

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/registry"
)

// DriverName is the name under which this package registers its driver in
// core/registry (importing the package registers it).
const DriverName = "memcached"

// EnvServers is the variable that selects this driver and lists the
// servers, as cachekit-py reads it: a JSON array of "host:port" strings,
// such as ["10.0.0.1:11211","10.0.0.2:11211"].
const EnvServers = "CACHEKIT_MEMCACHED_SERVERS"

// The URL scheme this package registers: memcached://host:port[,host:port…].
const Scheme = "memcached"

func init() {
	// The name and the scheme are this package's own: nothing else
	// registers them.
	_ = registry.Register(registry.Driver{
		Name:      DriverName,
		Selectors: []string{EnvServers},
		Open:      openDriver,
		Schemes:   []string{Scheme},
		OpenURL:   openURL,
	})
}

// openDriver is the registered driver's Open: New on the servers of
// EnvServers, read through cfg.Lookup, with the Option values of
// cfg.Options.
func openDriver(_ context.Context, cfg registry.Config) (core.Backend, error) {
	opts, err := driverOptions(cfg)
	if err != nil {
		return nil, err
	}
	var raw string
	if cfg.Lookup != nil {
		raw, _ = cfg.Lookup(EnvServers)
	}
	servers, err := parseServers(raw)
	if err != nil {
		return nil, err
	}
	return New(servers, opts...)
}

// parseServers reads EnvServers. Its errors never quote the value: a
// mistyped variable may hold a password or another secret.
func parseServers(raw string) ([]string, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, &core.Error{Kind: core.KindConfig, Op: "memcached.open", Msg: EnvServers + " is not set"}
	}
	var servers []string
	if err := json.Unmarshal([]byte(raw), &servers); err != nil || servers == nil {
		return nil, &core.Error{Kind: core.KindConfig, Op: "memcached.open",
			Msg: EnvServers + ": want a JSON array of \"host:port\" strings"}
	}
	if len(servers) == 0 {
		return nil, &core.Error{Kind: core.KindConfig, Op: "memcached.open", Msg: EnvServers + ": the array is empty"}
	}
	return servers, nil
}

// openURL is the registered driver's OpenURL: New on the servers of a
// memcached://host:port[,host:port…] URL (an optional trailing "/"; no
// user, path, query or fragment: gomemcache has no authentication).
func openURL(_ context.Context, rawURL string, cfg registry.Config) (core.Backend, error) {
	opts, err := driverOptions(cfg)
	if err != nil {
		return nil, err
	}
	bad := func(why string) error {
		return &core.Error{Kind: core.KindConfig, Op: "memcached.open_url", Msg: "memcached URL: " + why}
	}
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok || !strings.EqualFold(scheme, Scheme) {
		return nil, bad("want memcached://host:port[,host:port…]")
	}
	rest = strings.TrimSuffix(rest, "/")
	switch {
	case strings.Contains(rest, "@"):
		return nil, bad("memcached takes no user or password")
	case strings.ContainsAny(rest, "/?#"):
		return nil, bad("want no path, query or fragment")
	case rest == "":
		return nil, bad("no servers")
	}
	return New(strings.Split(rest, ","), opts...)
}

func driverOptions(cfg registry.Config) ([]Option, error) {
	opts := make([]Option, 0, len(cfg.Options))
	for _, x := range cfg.Options {
		o, ok := x.(Option)
		if !ok {
			return nil, &core.Error{Kind: core.KindConfig, Op: "memcached.open",
				Msg: fmt.Sprintf("the memcached driver takes memcached.Option values, got a %T", x)}
		}
		opts = append(opts, o)
	}
	return opts, nil
}
