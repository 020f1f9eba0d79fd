package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/l1/bigcache"
	"github.com/cachekit-io/cachekit-go/protocol"
)

// The read path of BenchmarkL1Hit/lib=cachekit: core.Get[T] on a bigcache
// L1 hit, a copy out of bigcache and a MessagePack decode. (The benchmark's
// stack has Redis under the L1, through compose, which a hit never reaches.)
func Example() {
	ctx := context.Background()
	l1, _ := bigcache.New()
	defer l1.Close()
	c, _ := core.New(l1, core.WithCodec(protocol.Msgpack()))
	_ = c.Set(ctx, "profile:1", sample, core.TTL(time.Hour))
	v, found, _ := core.Get[Profile](ctx, c, "profile:1")
	fmt.Println(v.Name, found)
	// Output: Ada Lovelace true
}
