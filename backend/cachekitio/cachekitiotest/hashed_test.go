package cachekitiotest_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go/backend/cachekitio"
	"github.com/cachekit-io/cachekit-go/backend/cachekitio/cachekitiotest"
)

// The API's key grammar (PROTOCOL.md): 1–400 bytes of [A-Za-z0-9_.:-].
var apiKey = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,400}$`)

func TestKeyFitsTheAPIAndKeepsKeysApart(t *testing.T) {
	seen := map[string]string{}
	for _, k := range []string{"", "a", "A", "a/b", "a b", "é", "\x00", strings.Repeat("x", 1024), "conformance:a"} {
		h := cachekitiotest.Key(k)
		if !apiKey.MatchString(h) {
			t.Errorf("Key(%q) = %q, outside the API's grammar", k, h)
		}
		if prev, dup := seen[h]; dup {
			t.Errorf("Key(%q) = Key(%q)", k, prev)
		}
		seen[h] = k
	}
}

func ExampleHashKeys() {
	b, err := cachekitio.New(cachekitio.WithoutEnv(), cachekitio.WithAPIKey("ck_test_example"),
		cachekitio.WithInsecureCustomEndpoint("https://127.0.0.1:1"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	h := cachekitiotest.HashKeys(b) // any key may now be used, e.g. "users/1 é"
	fmt.Println(h.Unwrap() == b, cachekitiotest.Key("users/1 é")[:12])
	// Output: true conformance:
}
