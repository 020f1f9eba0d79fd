package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/cachekit-io/cachekit-go/server"
	"github.com/cachekit-io/cachekit-go/server/memstore"
)

// A server over an in-memory store with one tenant's key, answering a PUT
// and a GET (plain HTTP here for brevity; serve it over TLS in earnest).
func Example() {
	keys, err := server.NewStaticKeys([]server.KeyEntry{
		{Key: "ck_live_example_0123456789abcdef", Tenant: "acme"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := server.New(server.Config{Storage: memstore.New(), Keys: keys})
	if err != nil {
		fmt.Println(err)
		return
	}
	ts := httptest.NewServer(s)
	defer ts.Close()

	do := func(method, path, body string, hdr ...string) *http.Response {
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer ck_live_example_0123456789abcdef")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		return res
	}
	res := do("PUT", "/v1/cache/users%3A42", "Ada", "X-CacheKit-TTL", "600")
	res.Body.Close()
	fmt.Println("PUT", res.StatusCode)
	res = do("GET", "/v1/cache/users%3A42", "")
	v, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println("GET", res.StatusCode, string(v), res.Header.Get("X-CacheKit-Freshness"), res.Header.Get("Cache-Control"))
	// Output:
	// PUT 200
	// GET 200 Ada fresh no-store
}
