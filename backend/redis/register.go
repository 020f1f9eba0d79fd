package redis

import (
	"context"
	"fmt"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/registry"
)

// DriverName is the name under which this package registers its driver in
// core/registry (importing the package registers it).
const DriverName = "redis"

// The variables that select this driver, in precedence order; the first
// one set holds the connection URL (see Options.URL).
const (
	EnvRedisURL       = "CACHEKIT_REDIS_URL"
	EnvRedisURLCommon = "REDIS_URL"
)

// The URL schemes this package registers with core/registry's OpenURL:
// redis://[user:password@]host:port/db and rediss:// for TLS.
const (
	SchemeRedis    = "redis"
	SchemeRedisTLS = "rediss"
)

func init() {
	// The name and the schemes are this package's own: nothing else
	// registers them.
	_ = registry.Register(registry.Driver{
		Name:      DriverName,
		Selectors: []string{EnvRedisURL, EnvRedisURLCommon},
		Open:      openDriver,
		Schemes:   []string{SchemeRedis, SchemeRedisTLS},
		OpenURL:   openURL,
	})
}

// openURL is the registered driver's OpenURL: New with rawURL as
// Options.URL, over the Options value the caller may pass in cfg.Options.
// New's errors show the URL redacted (RedactURL), never its password.
func openURL(_ context.Context, rawURL string, cfg registry.Config) (core.Backend, error) {
	o, err := driverOptions(cfg)
	if err != nil {
		return nil, err
	}
	o.URL = rawURL
	b, err := New(o)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func driverOptions(cfg registry.Config) (Options, error) {
	var o Options
	for _, x := range cfg.Options {
		v, ok := x.(Options)
		if !ok {
			return Options{}, &core.Error{Kind: core.KindConfig, Op: "redis.open",
				Msg: fmt.Sprintf("the redis driver takes a redis.Options value, got a %T", x)}
		}
		o = v
	}
	return o, nil
}

// openDriver is the registered driver's Open: New with the URL of the first
// selector set, over an Options value the caller may pass in cfg.Options
// (its other fields stay; the URL is the environment's).
func openDriver(_ context.Context, cfg registry.Config) (core.Backend, error) {
	o, err := driverOptions(cfg)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{EnvRedisURL, EnvRedisURLCommon} {
		if cfg.Lookup == nil {
			break
		}
		if v, ok := cfg.Lookup(name); ok && v != "" {
			o.URL = v
			break
		}
	}
	if o.URL == "" {
		return nil, &core.Error{Kind: core.KindConfig, Op: "redis.open", Msg: "neither " + EnvRedisURL + " nor " + EnvRedisURLCommon + " is set"}
	}
	b, err := New(o)
	if err != nil {
		return nil, err
	}
	return b, nil
}
