//go:build linux || darwin || freebsd || netbsd || openbsd

package file

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/registry"
)

// DriverName is the name under which this package registers its driver in
// core/registry (importing the package registers it).
const DriverName = "file"

// EnvCacheDir is the variable that selects this driver and names the cache
// directory (cachekit-py's name for it).
const EnvCacheDir = "CACHEKIT_FILE_CACHE_DIR"

// Scheme is the URL scheme this package registers with core/registry's
// OpenURL: file:///absolute/path/to/dir (an empty or "localhost" host).
const Scheme = "file"

func init() {
	// The name and the scheme are this package's own: nothing else
	// registers them.
	_ = registry.Register(registry.Driver{
		Name:      DriverName,
		Selectors: []string{EnvCacheDir},
		Open:      openDriver,
		Schemes:   []string{Scheme},
		OpenURL:   openURL,
	})
}

// openURL is the registered driver's OpenURL: New on the directory of a
// file:///abs/path URL (percent-escapes decoded), with the Option values of
// cfg.Options. A relative path, a host other than "localhost", user
// information, a query or a fragment is a core.KindConfig error that does
// not repeat the URL.
func openURL(_ context.Context, rawURL string, cfg registry.Config) (core.Backend, error) {
	opts, err := driverOptions(cfg)
	if err != nil {
		return nil, err
	}
	bad := func(why string) error {
		return &core.Error{Kind: core.KindConfig, Op: "file.open_url", Msg: "file URL: " + why}
	}
	u, err := url.Parse(rawURL)
	switch {
	case err != nil:
		return nil, bad("does not parse")
	case !strings.EqualFold(u.Scheme, Scheme) || u.Opaque != "":
		return nil, bad("want file:///absolute/path")
	case u.User != nil:
		return nil, bad("takes no user information")
	case u.Host != "" && !strings.EqualFold(u.Host, "localhost"):
		return nil, bad("want an empty host or localhost (file:///path)")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(rawURL, "#"):
		return nil, bad("want no query or fragment")
	case !filepath.IsAbs(u.Path):
		return nil, bad("want an absolute path")
	}
	return New(filepath.Clean(u.Path), opts...)
}

func driverOptions(cfg registry.Config) ([]Option, error) {
	var opts []Option
	for _, x := range cfg.Options {
		o, ok := x.(Option)
		if !ok {
			return nil, &core.Error{Kind: core.KindConfig, Op: "file.open",
				Msg: fmt.Sprintf("the file driver takes file.Option values, got a %T", x)}
		}
		opts = append(opts, o)
	}
	return opts, nil
}

// openDriver is the registered driver's Open: NewFromConfig with the
// configuration read through cfg.Lookup by core.ConfigFromLookup, and the
// Option values the caller passes in cfg.Options.
func openDriver(_ context.Context, cfg registry.Config) (core.Backend, error) {
	opts, err := driverOptions(cfg)
	if err != nil {
		return nil, err
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
