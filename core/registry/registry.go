// Package registry lets a program choose its cache backend from the
// environment without linking every adapter: each adapter registers a
// Driver in an init function of its main package, so a program links
// exactly the adapters it imports (a blank import is enough), in the manner
// of gocloud.dev's URL openers and database/sql's drivers.
//
//	import _ "github.com/cachekit-io/cachekit-go/backend/redis"      // registers "redis"
//	import _ "github.com/cachekit-io/cachekit-go/backend/cachekitio" // registers "cachekitio"
//
// The cachekit package's FromEnv and IO constructors look drivers up here;
// most programs never call this package themselves. It depends on the
// standard library and core only.
package registry

import (
	"context"
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
}

var (
	mu      sync.RWMutex
	drivers = map[string]Driver{}
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
	mu.Lock()
	defer mu.Unlock()
	if _, dup := drivers[d.Name]; dup {
		return core.NewError(core.KindConfig, "registry.register", "driver "+d.Name+" is already registered", nil)
	}
	d.Selectors = slices.Clone(d.Selectors)
	drivers[d.Name] = d
	return nil
}

// Lookup returns the driver registered under name.
func Lookup(name string) (Driver, bool) {
	mu.RLock()
	defer mu.RUnlock()
	d, ok := drivers[name]
	if ok {
		d.Selectors = slices.Clone(d.Selectors)
	}
	return d, ok
}

// Drivers returns every registered driver, sorted by name.
func Drivers() []Driver {
	mu.RLock()
	out := make([]Driver, 0, len(drivers))
	for _, d := range drivers {
		d.Selectors = slices.Clone(d.Selectors)
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

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return "\"" + s + "\""
}
