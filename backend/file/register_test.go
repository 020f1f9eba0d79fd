//go:build linux || darwin || freebsd || netbsd || openbsd

package file

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/registry"
)

// Importing the package registers the driver, which opens the directory
// its selector names (read through the lookup it is given, not the process
// environment) and refuses what it cannot use with KindConfig.
func TestDriverRegistered(t *testing.T) {
	d, ok := registry.Lookup(DriverName)
	if !ok {
		t.Fatal("the file driver is not registered")
	}
	if len(d.Selectors) != 1 || d.Selectors[0] != EnvCacheDir {
		t.Fatalf("selectors %v", d.Selectors)
	}
	dir := filepath.Join(t.TempDir(), "cache")
	lookup := func(k string) (string, bool) {
		if k == EnvCacheDir {
			return dir, true
		}
		return "", false
	}
	ctx := context.Background()
	b, err := d.Open(ctx, registry.Config{Lookup: lookup, Options: []any{WithMaxEntries(10)}})
	if err != nil {
		t.Fatal(err)
	}
	fb := b.(*Backend)
	if fb.Dir() != dir {
		t.Errorf("opened %s, want %s", fb.Dir(), dir)
	}
	_ = fb.Close()
	for name, cfg := range map[string]registry.Config{
		"unset":          {Lookup: func(string) (string, bool) { return "", false }},
		"white space":    {Lookup: func(string) (string, bool) { return "  ", true }},
		"foreign option": {Lookup: lookup, Options: []any{42}},
	} {
		if _, err := d.Open(ctx, cfg); core.KindOf(err) != core.KindConfig {
			t.Errorf("%s: %v, want KindConfig", name, err)
		}
	}
}
