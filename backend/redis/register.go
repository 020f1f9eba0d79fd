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

func init() {
	// The name is this package's own: nothing else registers it.
	_ = registry.Register(registry.Driver{
		Name:      DriverName,
		Selectors: []string{EnvRedisURL, EnvRedisURLCommon},
		Open:      openDriver,
	})
}

// openDriver is the registered driver's Open: New with the URL of the first
// selector set, over an Options value the caller may pass in cfg.Options
// (its other fields stay; the URL is the environment's).
func openDriver(_ context.Context, cfg registry.Config) (core.Backend, error) {
	var o Options
	for _, x := range cfg.Options {
		v, ok := x.(Options)
		if !ok {
			return nil, &core.Error{Kind: core.KindConfig, Op: "redis.open",
				Msg: fmt.Sprintf("the redis driver takes a redis.Options value, got a %T", x)}
		}
		o = v
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
