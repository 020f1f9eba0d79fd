// Command quickstart shows cachekit-go's one-call start: cachekit.FromEnv
// builds the cache the environment describes — Redis when
// CACHEKIT_REDIS_URL or REDIS_URL is set, cachekit.io when CACHEKIT_API_KEY
// is — and, with neither, the embedded in-process default (the minimal
// preset over a bigcache L1: no server, no configuration). It sets, reads,
// deletes and expires typed values and prints what it did.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cachekit-io/cachekit-go"
	_ "github.com/cachekit-io/cachekit-go/backend/cachekitio" // FromEnv may choose cachekit.io
	_ "github.com/cachekit-io/cachekit-go/backend/redis"      // or Redis
	"github.com/cachekit-io/cachekit-go/core"
)

// User is the typed value the quickstart caches.
type User struct {
	ID    int
	Name  string
	Email string
	Roles []string
}

func main() {
	if err := run(context.Background(), os.Stdout, 1500*time.Millisecond); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run is the whole demo; expiry is how long it waits to show a TTL lapse.
func run(ctx context.Context, out io.Writer, expiry time.Duration) error {
	cache, err := cachekit.FromEnv(ctx,
		cachekit.WithInProcessDefault(), // no backend configured: an in-process cache
		cachekit.WithL1MaxBytes(16<<20),
		cachekit.WithNamespace("users"))
	if err != nil {
		return err
	}
	defer cache.Close()
	fmt.Fprintf(out, "cache  %v\n", cache)

	ada := User{ID: 42, Name: "Ada Lovelace", Email: "ada@example.com", Roles: []string{"admin"}}
	if err := cache.Set(ctx, "42", ada); err != nil {
		return err
	}
	sk, _ := cache.StorageKey("42")
	fmt.Fprintf(out, "set    %q (stored as %q, default TTL %v)\n", "42", sk, cache.DefaultTTL())

	got, found, err := core.Get[User](ctx, cache, "42")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "get    %q -> found=%v %+v\n", "42", found, got)

	if err := cache.Delete(ctx, "42"); err != nil {
		return err
	}
	_, found, _ = core.Get[User](ctx, cache, "42")
	fmt.Fprintf(out, "delete %q -> found=%v\n", "42", found)

	if err := cache.Set(ctx, "session", "token-123", core.TTL(time.Second)); err != nil {
		return err
	}
	s, found, _ := core.Get[string](ctx, cache, "session")
	fmt.Fprintf(out, "set    %q with TTL 1s -> %q found=%v\n", "session", s, found)
	time.Sleep(expiry)
	_, found, _ = core.Get[string](ctx, cache, "session")
	fmt.Fprintf(out, "after  %v: %q found=%v (expired)\n", expiry, "session", found)

	loads := 0
	for i := 0; i < 3; i++ {
		n, err := core.GetOrLoad(ctx, cache, "answer", func(context.Context) (int, error) {
			loads++
			return 42, nil
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "getOrLoad %q -> %d (loader calls so far: %d)\n", "answer", n, loads)
	}

	err = cache.Set(ctx, "bad\nkey", 1, core.TTL(time.Minute))
	fmt.Fprintf(out, "invalid key -> errors.Is(err, core.ErrInvalidInput)=%v: %v\n", errors.Is(err, core.ErrInvalidInput), err)

	st := cache.Stats()
	fmt.Fprintf(out, "stats  hits=%d misses=%d sets=%d loads=%d\n", st.Hits, st.Misses, st.Sets, st.Loads)
	return nil
}
