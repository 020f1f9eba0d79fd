package examples

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"time"

	"github.com/cachekit-io/cachekit-go"
	"github.com/cachekit-io/cachekit-go/backend/cachekitio"
	"github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/server"
	"github.com/cachekit-io/cachekit-go/server/devcert"
	"github.com/cachekit-io/cachekit-go/server/memstore"
)

// User is the value the examples cache.
type User struct {
	ID   int
	Name string
}

// The production preset over Redis: an L1 in front, kept in step with
// other processes' writes, stale-while-revalidate, retries, a 600 s TTL.
// (redisURL comes from the container TestMain started.)
func Example_production() {
	ctx := context.Background()
	b, err := redis.New(redis.Options{URL: redisURL})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close() // the caller's backend: the client does not close it

	cache, err := cachekit.Production(b, cachekit.WithNamespace("users"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cache.Close() // the L1 and the composition

	if err := cache.Set(ctx, "42", User{ID: 42, Name: "Ada"}); err != nil {
		fmt.Println(err)
		return
	}
	u, found, err := core.Get[User](ctx, cache, "42")
	fmt.Println(u.Name, found, err, cache.DefaultTTL())

	n, err := core.GetOrLoad(ctx, cache, "43", func(context.Context) (User, error) {
		return User{ID: 43, Name: "Grace"}, nil
	})
	fmt.Println(n.Name, err)
	ttl, _, _ := b.TTL(ctx, "ns:users:43")
	fmt.Println(ttl > 590*time.Second)
	// Output:
	// Ada true <nil> 10m0s
	// Grace <nil>
	// true
}

// The secure preset from the environment: CACHEKIT_MASTER_KEY (and
// CACHEKIT_PREVIOUS_MASTER_KEYS, for rotation) supply the key; every tier
// holds only ciphertext. (The example sets the variable itself and
// restores it.)
func Example_secureFromEnv() {
	defer setenv("CACHEKIT_MASTER_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")()
	defer setenv("CACHEKIT_PREVIOUS_MASTER_KEYS", "")()
	ctx := context.Background()
	shared := memstore.New() // stands in for any shared backend

	cache, err := cachekit.SecureFromEnv(shared)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cache.Close()

	_ = cache.Set(ctx, "card", "4111-1111-1111-1111")
	v, _, err := core.Get[string](ctx, cache, "card")
	fmt.Println(v, err, cache.Encrypted())
	raw, _, _ := shared.Get(ctx, "card")
	fmt.Println("plaintext stored:", bytes.Contains(raw.Value, []byte("4111")))

	// Without the variable there is no secure client, and no plaintext
	// fallback.
	defer setenv("CACHEKIT_MASTER_KEY", "")()
	_, err = cachekit.SecureFromEnv(shared)
	fmt.Println(core.KindOf(err))
	// Output:
	// 4111-1111-1111-1111 <nil> true
	// plaintext stored: false
	// config
}

// The io preset against the reference server (in process, over TLS with a
// private CA; against cachekit.io, IOFromEnv() with CACHEKIT_API_KEY set is
// all it takes).
func Example_io() {
	const apiKey = "ck_sdk_example_0123456789abcdef"
	keys, _ := server.NewStaticKeys([]server.KeyEntry{{Key: apiKey, Tenant: "acme"}})
	srv, err := server.New(server.Config{Storage: memstore.New(), Keys: keys})
	if err != nil {
		fmt.Println(err)
		return
	}
	bundle, err := devcert.New("127.0.0.1")
	if err != nil {
		fmt.Println(err)
		return
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.TLS = bundle.ServerTLSConfig()
	ts.StartTLS()
	defer ts.Close()

	ctx := context.Background()
	cache, err := cachekit.IO(apiKey, cachekit.WithBackendOptions(
		cachekitio.WithInsecureCustomEndpoint(ts.URL), // a private server: SSRF checks off for it
		cachekitio.WithRootCAs(bundle.Pool)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cache.Close() // the L1, the composition and the backend IO opened

	_ = cache.Set(ctx, "42", User{ID: 42, Name: "Ada"})
	u, found, err := core.Get[User](ctx, cache, "42")
	fmt.Println(u.Name, found, err, cache.DefaultTTL())
	fmt.Println(cache) // never shows the key
	// Output:
	// Ada true <nil> 1h0m0s
	// core.Client{namespace="" preset=io format=msgpack compressed=true encrypted=false}
}

// setenv sets k to v ("" unsets it) and returns the function that restores
// the previous state.
func setenv(k, v string) func() {
	old, had := os.LookupEnv(k)
	if v == "" {
		os.Unsetenv(k)
	} else {
		os.Setenv(k, v)
	}
	return func() {
		if had {
			os.Setenv(k, old)
		} else {
			os.Unsetenv(k)
		}
	}
}
