package cachekitio_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/cachekit-io/cachekit-go/backend/cachekitio"
)

// A self-hosted server with a private CA: WithInsecureCustomEndpoint names
// it (the SSRF checks are off for it) and WithRootCAs trusts its CA. Against
// cachekit.io, New() with CACHEKIT_API_KEY set is all it takes.
func Example() {
	// A stand-in for a self-hosted CacheKit server.
	stored := map[string][]byte{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.EscapedPath()
		switch r.Method {
		case http.MethodPut:
			b := make([]byte, r.ContentLength)
			_, _ = r.Body.Read(b)
			stored[key] = b
		case http.MethodGet:
			v, ok := stored[key]
			if !ok {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			w.Header().Set("X-CacheKit-Freshness", "fresh")
			w.Header().Set("X-CacheKit-Fresh-For", "42")
			_, _ = w.Write(v)
		}
	}))
	defer srv.Close()
	pool := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs

	b, err := cachekitio.New(
		cachekitio.WithoutEnv(),
		cachekitio.WithAPIKey("ck_sdk_example_0123456789abcdef"),
		cachekitio.WithInsecureCustomEndpoint(srv.URL),
		cachekitio.WithRootCAs(pool),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()

	ctx := context.Background()
	if err := b.Set(ctx, "users:42", []byte("Ada"), 10*time.Minute); err != nil {
		fmt.Println(err)
		return
	}
	e, found, err := b.Get(ctx, "users:42")
	fmt.Println(string(e.Value), found, err, e.Freshness.FreshFor)
	fmt.Println(strings.Contains(fmt.Sprintf("%+v", b), "0123456789abcdef")) // never shows the key

	_, _, err = b.Get(ctx, "..")
	fmt.Println(err)
	// Output:
	// Ada true <nil> 42s
	// false
	// cachekit: cachekitio.get "..": invalid input: the keys "", ".", "..", "health", "ttl" and "lock" cannot be sent to the CacheKit API
}

// ValidateKey tells in advance whether the CacheKit API accepts a key; every
// keyed call runs the same check before sending anything.
func ExampleValidateKey() {
	for _, key := range []string{"ns:users:42", "users/42", "ns:42"} {
		fmt.Println(cachekitio.ValidateKey(key))
	}
	// Output:
	// <nil>
	// cachekit: cachekitio.validate_key "users/42": invalid input: the CacheKit API accepts only the characters [A-Za-z0-9_.:-] in keys; byte 5 is "/"
	// cachekit: cachekitio.validate_key "ns:42": invalid input: a key starting "ns:" must be ns:{namespace}:{rest}, with a namespace of 1 to 64 characters of [A-Za-z0-9_-] and a non-empty rest
}
