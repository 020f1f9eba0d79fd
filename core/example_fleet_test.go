package core_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// The distributed fill lock: two clients stand for two processes sharing a
// backend with locks (Redis, cachekit.io). Both miss the same key at once;
// the loader runs once, and both get its value.
func ExampleWithFillLock() {
	ctx := context.Background()
	shared := newLeaseBackend() // a backend with core.Locker, as Redis is
	var loads atomic.Int64
	load := func(context.Context) (string, error) {
		loads.Add(1)
		time.Sleep(50 * time.Millisecond) // the database query
		return "report", nil
	}
	var wg sync.WaitGroup
	for range 2 {
		c, _ := core.New(shared, core.WithCodec(jsonCodec{}),
			core.WithFillLock(5*time.Second, 10*time.Second)) // lease, wait bound
		defer c.Close()
		wg.Go(func() {
			v, err := core.GetOrLoad(ctx, c, "daily", load)
			fmt.Println(v, err)
		})
	}
	wg.Wait()
	fmt.Println("loads:", loads.Load())
	// Output:
	// report <nil>
	// report <nil>
	// loads: 1
}

// GetOrLoadMany reads many keys in one batch and loads only the missing
// ones, in one call of the batch loader.
func ExampleGetOrLoadMany() {
	ctx := context.Background()
	c, _ := core.New(newCapBackend(), core.WithCodec(jsonCodec{}))
	defer c.Close()
	_ = c.Set(ctx, "user:1", "Ada")

	key := func(id int) string { return "user:" + strconv.Itoa(id) }
	users, err := core.GetOrLoadMany(ctx, c, []int{1, 2, 3}, key,
		func(ctx context.Context, missing []int) (map[int]string, error) {
			fmt.Println("loading", missing) // SELECT ... WHERE id IN (2, 3)
			return map[int]string{2: "Grace", 3: "Edsger"}, nil
		})
	fmt.Println(users, err)
	// Output:
	// loading [2 3]
	// map[1:Ada 2:Grace 3:Edsger] <nil>
}

// Negative caching: a loader says "no such row" with ErrAbsent; the answer
// is cached for a short TTL, so the database is asked once.
func ExampleWithNegativeCache() {
	ctx := context.Background()
	c, _ := core.New(newMem(), core.WithCodec(jsonCodec{}), core.WithNegativeCache(30*time.Second))
	defer c.Close()
	queries := 0
	find := func(context.Context) (string, error) {
		queries++
		return "", core.ErrAbsent // the row does not exist
	}
	for range 3 {
		_, err := core.GetOrLoad(ctx, c, "user:404", find)
		fmt.Println(errors.Is(err, core.ErrAbsent))
	}
	fmt.Println("queries:", queries)
	// Output:
	// true
	// true
	// true
	// queries: 1
}

// TTL jitter spreads the expiry of keys written together: each is stored
// for up to 10 % less than its TTL.
func ExampleWithTTLJitter() {
	ctx := context.Background()
	b := newCapBackend()
	c, _ := core.New(b, core.WithCodec(jsonCodec{}), core.WithTTLJitter(10))
	defer c.Close()
	_ = c.SetMany(ctx, map[string]any{"a": 1, "b": 2, "c": 3}, core.TTL(time.Hour))
	for _, k := range []string{"a", "b", "c"} {
		ttl, _, _ := c.TTL(ctx, k)
		fmt.Println(ttl > 54*time.Minute && ttl <= time.Hour)
	}
	// Output:
	// true
	// true
	// true
}
