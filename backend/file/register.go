//go:build linux || darwin || freebsd || netbsd || openbsd

package file

import (
	"context"
	"fmt"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/registry"
)

// DriverName is the name under which this package registers its driver in
// core/registry (importing the package registers it).
const DriverName = "file"

// EnvCacheDir is the variable that selects this driver and names the cache
// directory (cachekit-py's name for it).
const EnvCacheDir = "CACHEKIT_FILE_CACHE_DIR"

func init() {
	// The name is this package's own: nothing else registers it.
	_ = registry.Register(registry.Driver{
		Name:      DriverName,
		Selectors: []string{EnvCacheDir},
		Open:      openDriver,
	})
}

// openDriver is the registered driver's Open: NewFromConfig with the
// configuration read through cfg.Lookup by core.ConfigFromLookup, and the
// Option values the caller passes in cfg.Options.
func openDriver(_ context.Context, cfg registry.Config) (core.Backend, error) {
	var opts []Option
	for _, x := range cfg.Options {
		o, ok := x.(Option)
		if !ok {
			return nil, &core.Error{Kind: core.KindConfig, Op: "file.open",
				Msg: fmt.Sprintf("the file driver takes file.Option values, got a %T", x)}
		}
		opts = append(opts, o)
	}
	lookup := cfg.Lookup
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	c, err := core.ConfigFromLookup(func(name string) (string, bool) {
		if name != EnvCacheDir {
			return "", false
		}
		return lookup(name)
	})
	if err != nil {
		return nil, err
	}
	if c.FileCacheDir == "" {
		return nil, &core.Error{Kind: core.KindConfig, Op: "file.open", Msg: EnvCacheDir + " is not set"}
	}
	return NewFromConfig(c, opts...)
}
