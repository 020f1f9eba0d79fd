package cachekit_test

import (
	"context"
	"fmt"

	"github.com/cachekit-io/cachekit-go"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/l1/bigcache"
)

// FromEnv with no backend in the environment and the in-process default
// asked for: the minimal preset over an L1 alone. With CACHEKIT_REDIS_URL
// set (and backend/redis imported) the same call gives a production cache
// over Redis.
func Example() {
	ctx := context.Background()
	cache, err := cachekit.FromEnv(ctx, cachekit.WithInProcessDefault(), cachekit.WithNamespace("users"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cache.Close()

	_ = cache.Set(ctx, "42", "Ada")
	name, found, err := core.Get[string](ctx, cache, "42")
	fmt.Println(name, found, err, cache.DefaultTTL())
	// Output: Ada true <nil> 5m0s
}

// The secure preset over any backend (here an in-process one): a missing
// or malformed key fails at construction and the error never shows it.
func ExampleSecure() {
	ctx := context.Background()
	backend, _ := bigcache.New()
	defer backend.Close()

	_, err := cachekit.Secure(backend, "0123-not-a-key")
	fmt.Println(core.KindOf(err))

	cache, err := cachekit.Secure(backend, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cache.Close()
	_ = cache.Set(ctx, "card", "4111-1111-1111-1111")
	v, _, err := core.Get[string](ctx, cache, "card")
	fmt.Println(v, err, cache.Encrypted(), cache.DefaultTTL())
	// Output:
	// config
	// 4111-1111-1111-1111 <nil> true 10m0s
}
