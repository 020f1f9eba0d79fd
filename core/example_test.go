package core_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// A client over a backend: typed reads, namespaces, read-through loading.
// (Real programs use protocol.Msgpack() as the codec and an adapter such as
// l1/bigcache as the backend.)
func Example() {
	ctx := context.Background()
	c, err := core.New(newMem(), core.WithCodec(jsonCodec{}), core.WithNamespace("users"))
	if err != nil {
		panic(err)
	}
	defer c.Close()

	_ = c.Set(ctx, "42", user{ID: 42, Name: "Ada"}, core.TTL(time.Minute))
	u, found, _ := core.Get[user](ctx, c, "42")
	fmt.Println(u.Name, found)

	n, _ := core.GetOrLoad(ctx, c, "count", func(context.Context) (int, error) { return 7, nil })
	fmt.Println(n)

	err = c.Set(ctx, "43", user{}, core.TTL(0))
	fmt.Println(errors.Is(err, core.ErrInvalidInput))
	// Output:
	// Ada true
	// 7
	// true
}

func ExampleSecret() {
	k := core.NewSecret("ck_sdk_0123456789")
	fmt.Printf("%v %+v %#v\n", k, k, k)
	// Output: [REDACTED] [REDACTED] core.Secret([REDACTED])
}

// An object cache in front of the backend: the second read is answered from
// decoded values kept in process, without the backend or the codec.
func ExampleWithObjectCache() {
	ctx := context.Background()
	backend := newMem()
	c, err := core.New(backend, core.WithCodec(jsonCodec{}), core.WithObjectCache(10_000, 5*time.Second))
	if err != nil {
		panic(err)
	}
	defer c.Close()

	_ = c.Set(ctx, "user:42", user{ID: 42, Name: "Ada"})
	u, _, _ := core.Get[user](ctx, c, "user:42") // backend read, decoded, kept
	u, _, _ = core.Get[user](ctx, c, "user:42")  // object cache
	fmt.Println(u.Name, c.Stats().Hits, c.Stats().ObjectHits)

	_ = c.Set(ctx, "user:42", user{ID: 42, Name: "Ada L."}) // this client's writes are seen at once
	u, _, _ = core.Get[user](ctx, c, "user:42")
	fmt.Println(u.Name)
	// Output:
	// Ada 1 1
	// Ada L.
}
