package memcached

import (
	"context"
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/registry"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

// Importing the package registers the driver, which opens the servers its
// selector lists as a JSON array (read through the lookup it is given) and
// refuses a malformed value with KindConfig, quoting none of it.
func TestDriverRegistered(t *testing.T) {
	d, ok := registry.Lookup(DriverName)
	if !ok {
		t.Fatal("the memcached driver is not registered")
	}
	if len(d.Selectors) != 1 || d.Selectors[0] != EnvServers {
		t.Fatalf("selectors %v", d.Selectors)
	}
	ctx := context.Background()
	b, err := d.Open(ctx, registry.Config{
		Lookup:  env(map[string]string{EnvServers: `["127.0.0.1:11211", "127.0.0.1:11212"]`}),
		Options: []any{WithMaxItemSize(4 << 20)},
	})
	if err != nil {
		t.Fatal(err)
	}
	mb := b.(*Backend)
	if s := mb.String(); !strings.Contains(s, "127.0.0.1:11211,127.0.0.1:11212") {
		t.Errorf("opened %s", s)
	}
	if mb.MaxValueSize() != 4<<20-itemHeadroom {
		t.Errorf("the option was not applied: max value %d", mb.MaxValueSize())
	}
	_ = mb.Close()

	const secret = "s3cr3t-pass"
	for name, v := range map[string]string{
		"unset":          "",
		"white space":    "  ",
		"not JSON":       "mc1:11211," + secret,
		"a string":       `"mc1:` + secret + `"`,
		"numbers":        `[11211, 1]`,
		"null":           `null`,
		"empty array":    `[]`,
		"object":         `{"host":"` + secret + `"}`,
		"bad address":    `["user:` + secret + `@mc1:11211"]`,
		"no port":        `["` + secret + `"]`,
		"trailing bytes": `["mc1:11211"] ` + secret,
	} {
		_, err := d.Open(ctx, registry.Config{Lookup: env(map[string]string{EnvServers: v})})
		if core.KindOf(err) != core.KindConfig {
			t.Errorf("%s: %v, want KindConfig", name, err)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error quotes the value: %v", name, err)
		}
	}
	if _, err := d.Open(ctx, registry.Config{Lookup: env(map[string]string{EnvServers: `["127.0.0.1:11211"]`}), Options: []any{42}}); core.KindOf(err) != core.KindConfig {
		t.Errorf("foreign option: %v, want KindConfig", err)
	}
}

// memcached://host:port[,host:port] opens those servers; anything the
// scheme cannot carry is KindConfig without the URL in the message.
func TestOpenURL(t *testing.T) {
	ctx := context.Background()
	for _, raw := range []string{"memcached://127.0.0.1:11211", "MEMCACHED://127.0.0.1:11211,[::1]:11212/"} {
		b, err := registry.OpenURL(ctx, raw, registry.Config{})
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if !strings.Contains(b.(*Backend).String(), "127.0.0.1:11211") {
			t.Errorf("%s opened %s", raw, b)
		}
		_ = b.(*Backend).Close()
	}
	const secret = "pa55word"
	for _, raw := range []string{
		"memcached://user:" + secret + "@127.0.0.1:11211",
		"memcached://127.0.0.1:11211/" + secret,
		"memcached://127.0.0.1:11211?password=" + secret,
		"memcached://127.0.0.1:11211#" + secret,
		"memcached://",
		"memcached://" + secret,
		"memcached://127.0.0.1:99999," + secret + ":1",
	} {
		_, err := registry.OpenURL(ctx, raw, registry.Config{})
		if core.KindOf(err) != core.KindConfig {
			t.Errorf("%s: %v, want KindConfig", raw, err)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error quotes the URL: %v", err)
		}
	}
}
