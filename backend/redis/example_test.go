package redis_test

import (
	"context"
	"fmt"
	"time"

	redis "github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/core"
)

// A Backend from a URL. The password never shows in errors or in %v.
func Example() {
	b, err := redis.New(redis.Options{
		URL:         "redis://:secret@localhost:6379/0",
		ReadTimeout: 200 * time.Millisecond,
		MaxRetries:  1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()

	ctx := context.Background()
	if err := b.Set(ctx, "greeting", []byte("hello"), time.Minute); err != nil {
		if core.KindOf(err).Retryable() {
			fmt.Println("redis is unavailable; serve without the cache:", err)
		}
		return
	}
	e, found, err := b.Get(ctx, "greeting")
	if err == nil && found {
		fmt.Printf("%s, fresh for %v\n", e.Value, e.Freshness.FreshFor.Round(time.Second))
	}
}

// RedactURL is what Options and errors show of a URL.
func ExampleRedactURL() {
	fmt.Println(redis.RedactURL("redis://alice:s3cret@cache.internal:6379/0"))
	// Output: redis://alice:xxxxx@cache.internal:6379/0
}

// A Redis Cluster, and a Sentinel-managed master.
func ExampleNew() {
	cluster, _ := redis.New(redis.Options{
		Addrs:    []string{"node1:6379", "node2:6379", "node3:6379"},
		Username: "cache",
		Password: "secret",
		PoolSize: 20,
	})
	defer cluster.Close()

	sentinel, _ := redis.New(redis.Options{
		URL: "redis://sentinel1:26379?master_name=mymaster&addr=sentinel2:26379",
	})
	defer sentinel.Close()

	fmt.Println(cluster)
	fmt.Println(sentinel)
	// Output:
	// redis.Backend(cluster node1:6379,node2:6379,node3:6379)
	// redis.Backend(sentinel mymaster sentinel1:26379,sentinel2:26379)
}
