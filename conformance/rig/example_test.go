package rig_test

import (
	"context"
	"testing"

	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/redis/go-redis/v9"
)

// A test starts a Redis container in one line; it is terminated when the test
// ends. Without a container engine the test is skipped (failed under CI=true).
func Example() {
	_ = func(t *testing.T) {
		r := rig.StartRedis(t)
		c := redis.NewClient(&redis.Options{Addr: r.Addr})
		defer c.Close()
		if err := c.Ping(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
		r.Stop(t)  // fault injection: the server is gone
		r.Start(t) // and back, on the same address
	}
}
