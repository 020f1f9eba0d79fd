//go:build linux || darwin || freebsd || netbsd || openbsd

package file

import (
	"context"
	"path/filepath"
	"strings"
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

// file:///abs/path opens that directory through registry.OpenURL; what a
// file URL for a cache directory cannot be is KindConfig, and the error
// does not repeat the URL.
func TestOpenURL(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "with space")
	for _, raw := range []string{"file://" + strings.ReplaceAll(dir, " ", "%20"), "FILE://localhost" + strings.ReplaceAll(dir, " ", "%20") + "/"} {
		b, err := registry.OpenURL(ctx, raw, registry.Config{Options: []any{WithMaxEntries(10)}})
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if got := b.(*Backend).Dir(); got != dir {
			t.Errorf("%s opened %s, want %s", raw, got, dir)
		}
		_ = b.(*Backend).Close()
	}
	const secret = "pa55word"
	for _, raw := range []string{
		"file://user:" + secret + "@localhost" + dir,
		"file://" + secret + dir,
		"file:relative/" + secret,
		"file://" + dir + "?k=" + secret,
		"file://" + dir + "#" + secret,
		"file://%zz" + secret,
	} {
		_, err := registry.OpenURL(ctx, raw, registry.Config{})
		if core.KindOf(err) != core.KindConfig {
			t.Errorf("%s: %v, want KindConfig", raw, err)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error repeats the URL: %v", err)
		}
	}
	if _, err := registry.OpenURL(ctx, "file://"+dir, registry.Config{Options: []any{1}}); core.KindOf(err) != core.KindConfig {
		t.Errorf("foreign option: %v, want KindConfig", err)
	}
}
