//go:build !(js && wasm)

package workers_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/cachekit-io/cachekit-go/backend/cachekitio"
	"github.com/cachekit-io/cachekit-go/backend/workers"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/protocol"
)

// A Worker that caches through cachekit.io. The API key is a Worker secret
// (wrangler secret put CACHEKIT_API_KEY); the worker shim makes it an
// environment variable, which New reads like cachekitio.New does.
func ExampleNew() {
	b, err := workers.New(cachekitio.WithTimeout(2 * time.Second))
	if err != nil {
		log.Fatal(err)
	}
	cache, err := core.New(b, core.WithCodec(protocol.Msgpack()), core.WithNamespace("users"))
	if err != nil {
		log.Fatal(err)
	}
	type User struct{ Name string }
	http.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		u, err := core.GetOrLoad(r.Context(), cache, r.PathValue("id"), func(ctx context.Context) (User, error) {
			return User{Name: "Ada"}, nil // the slow lookup
		}, core.TTL(time.Minute))
		if err != nil {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, u.Name)
	})
	// In main: log.Fatal(worker.Serve(http.DefaultServeMux))
}

// Outside a JavaScript host the Transport cannot reach the network: every
// request fails with KindConfig rather than panicking.
func ExampleTransport() {
	req, _ := http.NewRequest("GET", "https://api.cachekit.io/v1/cache/health", nil)
	_, err := (&workers.Transport{}).RoundTrip(req)
	fmt.Println(core.KindOf(err))
	// Output: config
}
