// Package registry lets a program choose its cache backend from the
// environment without linking every adapter: each adapter registers a
// Driver in an init function of its main package, so a program links
// exactly the adapters it imports (a blank import is enough), in the manner
// of gocloud.dev's URL openers and database/sql's drivers.
//
//	import _ "github.com/cachekit-io/cachekit-go/backend/redis"      // registers "redis"
//	import _ "github.com/cachekit-io/cachekit-go/backend/cachekitio" // registers "cachekitio"
//	import _ "github.com/cachekit-io/cachekit-go/backend/memcached"  // registers "memcached"
//	import _ "github.com/cachekit-io/cachekit-go/backend/file"       // registers "file"
//
// A driver may also register URL schemes: OpenURL("redis://…"),
// OpenURL("memcached://…") and so on open a backend by the driver that
// registered the URL's scheme.
//
// The cachekit package's FromEnv, IO and Open constructors look drivers up
// here; most programs never call this package themselves. It depends on the
// standard library and core only.
package registry

import (
	"context"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/cachekit-io/cachekit-go/core"
)

// Config is what a Driver's Open receives.
type Config struct {
	// Lookup reads a configuration variable (os.LookupEnv, or a view of it
	// in which a constructor's explicit arguments take the place of the
	// variables they replace). A driver reads its settings through it only,
	// never through os.Getenv.
	Lookup func(name string) (string, bool)
	// Options are driver-specific options passed through from the caller
	// (for example cachekitio.Option values). A driver rejects a value of a
	// type it does not know with a core.KindConfig error.
	Options []any
}

// Driver opens one kind of backend.
type Driver struct {
	// Name identifies the driver ("redis", "cachekitio"): 1 to 32 of
	// [a-z0-9_-].
	Name string
	// Selectors are the variables whose presence selects this driver, in
	// precedence order (redis: CACHEKIT_REDIS_URL, then REDIS_URL). A
	// variable set to the empty string does not select.
	Selectors []string
	// Open builds the backend from cfg. It must not contact the server (a
	// backend reports an unreachable server on first use) and fails with a
	// *core.Error of core.KindConfig on bad configuration, never printing a
	// secret.
	Open func(ctx context.Context, cfg Config) (core.Backend, error)
	// Schemes are the URL schemes OpenURL hands to this driver's OpenURL
	// ("redis", "rediss"; lower case, 1 to 32 of [a-z0-9+.-] starting with
	// a letter). A scheme belongs to one driver. Empty when the driver has
	// no URL form.
	Schemes []string
	// OpenURL builds the backend from rawURL, whose scheme is one of
	// Schemes, like Open: it must not contact the server, and a bad URL is
	// a *core.Error of core.KindConfig that never repeats the URL's
	// userinfo (nor, better, any part of the URL but its scheme). Required
	// when Schemes is not empty.
	OpenURL func(ctx context.Context, rawURL string, cfg Config) (core.Backend, error)
}

var (
	mu      sync.RWMutex
	drivers = map[string]Driver{}
	schemes = map[string]string{} // scheme → driver name
)

// Register adds d. It fails with a core.KindConfig error when d has no
// valid name, no Open function, a selector that is empty, or a name that is
// already registered (a driver is registered once, by its own package).
func Register(d Driver) error {
	if !validName(d.Name) {
		return core.NewError(core.KindConfig, "registry.register", "a driver name is 1 to 32 of [a-z0-9_-], got "+quote(d.Name), nil)
	}
	if d.Open == nil {
		return core.NewError(core.KindConfig, "registry.register", "driver "+d.Name+" has no Open function", nil)
	}
	for _, s := range d.Selectors {
		if s == "" || strings.ContainsAny(s, "= \t\n") {
			return core.NewError(core.KindConfig, "registry.register", "driver "+d.Name+" has an invalid selector "+quote(s), nil)
		}
	}
	for _, s := range d.Schemes {
		if !validScheme(s) {
			return core.NewError(core.KindConfig, "registry.register", "driver "+d.Name+" has an invalid scheme "+quote(s), nil)
		}
	}
	if len(d.Schemes) > 0 && d.OpenURL == nil {
		return core.NewError(core.KindConfig, "registry.register", "driver "+d.Name+" has schemes but no OpenURL function", nil)
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := drivers[d.Name]; dup {
		return core.NewError(core.KindConfig, "registry.register", "driver "+d.Name+" is already registered", nil)
	}
	for _, s := range d.Schemes {
		if owner, taken := schemes[s]; taken {
			return core.NewError(core.KindConfig, "registry.register", "scheme "+s+" of driver "+d.Name+" is already registered by driver "+owner, nil)
		}
	}
	d.Selectors = slices.Clone(d.Selectors)
	d.Schemes = slices.Clone(d.Schemes)
	drivers[d.Name] = d
	for _, s := range d.Schemes {
		schemes[s] = d.Name
	}
	return nil
}

// Scheme returns the scheme of rawURL, lower-cased, as OpenURL reads it:
// the letters before "://" (RFC 3986: a letter, then letters, digits, '+',
// '-' or '.'). It fails with a core.KindConfig error that repeats no part
// of rawURL when there is no such scheme.
func Scheme(rawURL string) (string, error) {
	s, _, ok := strings.Cut(rawURL, "://")
	s = strings.ToLower(s)
	if !ok || !validScheme(s) {
		return "", core.NewError(core.KindConfig, "registry.open_url", "not a URL with a scheme (want scheme://…)", nil)
	}
	return s, nil
}

// OpenURL opens the backend rawURL names, by the driver that registered its
// scheme, in the manner of gocloud.dev's blob.OpenBucket:
//
//	b, err := registry.OpenURL(ctx, "redis://cache.internal:6379/0", registry.Config{})
//
// A nil cfg.Lookup reads the process environment (os.LookupEnv): drivers
// take secrets that have no place in a URL (the cachekit.io API key) from
// there. A URL without a scheme, or with a scheme no linked driver
// registered, is a core.KindConfig error that names the scheme at most,
// never the rest of the URL (it may hold a password); the driver's own
// errors follow the same rule.
func OpenURL(ctx context.Context, rawURL string, cfg Config) (core.Backend, error) {
	s, err := Scheme(rawURL)
	if err != nil {
		return nil, err
	}
	d, ok := LookupScheme(s)
	if !ok {
		return nil, core.NewError(core.KindConfig, "registry.open_url", "no linked driver opens "+s+":// URLs (import the adapter that does)", nil)
	}
	if cfg.Lookup == nil {
		cfg.Lookup = os.LookupEnv
	}
	return d.OpenURL(ctx, rawURL, cfg)
}

// LookupScheme returns the driver that registered scheme (lower case).
func LookupScheme(scheme string) (Driver, bool) {
	mu.RLock()
	name, ok := schemes[scheme]
	mu.RUnlock()
	if !ok {
		return Driver{}, false
	}
	return Lookup(name)
}

// Lookup returns the driver registered under name.
func Lookup(name string) (Driver, bool) {
	mu.RLock()
	defer mu.RUnlock()
	d, ok := drivers[name]
	if ok {
		d.Selectors = slices.Clone(d.Selectors)
		d.Schemes = slices.Clone(d.Schemes)
	}
	return d, ok
}

// Drivers returns every registered driver, sorted by name.
func Drivers() []Driver {
	mu.RLock()
	out := make([]Driver, 0, len(drivers))
	for _, d := range drivers {
		d.Selectors = slices.Clone(d.Selectors)
		d.Schemes = slices.Clone(d.Schemes)
		out = append(out, d)
	}
	mu.RUnlock()
	slices.SortFunc(out, func(a, b Driver) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Selected returns the first of d's selectors that lookup reports set to a
// non-empty value, and whether there is one.
func (d Driver) Selected(lookup func(string) (string, bool)) (string, bool) {
	for _, s := range d.Selectors {
		if v, ok := lookup(s); ok && v != "" {
			return s, true
		}
	}
	return "", false
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validScheme reports whether s is a lower-case RFC 3986 scheme of at most
// 32 bytes.
func validScheme(s string) bool {
	if len(s) == 0 || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return "\"" + s + "\""
}
