// Command redisonly is a Redis-only service's cache setup: the cachekit
// presets plus the Redis adapter. TestRedisOnlyLinksNoCachekitio checks,
// with go list -deps, that it links nothing of cachekit.io's adapter.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/cachekit-io/cachekit-go"
	_ "github.com/cachekit-io/cachekit-go/backend/redis" // registers the "redis" driver
)

func main() {
	cache, err := cachekit.FromEnv(context.Background()) // CACHEKIT_REDIS_URL or REDIS_URL
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer cache.Close()
	fmt.Println(cache)
}
