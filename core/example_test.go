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

// Batch reads and writes: one call for many keys. A backend with batch
// capabilities (backend/redis, compose) serves each in one round trip;
// others are called once per key.
func ExampleGetMany() {
	ctx := context.Background()
	c, err := core.New(newCapBackend(), core.WithCodec(jsonCodec{}), core.WithNamespace("users"))
	if err != nil {
		panic(err)
	}
	defer c.Close()

	err = c.SetMany(ctx, map[string]any{
		"1": user{ID: 1, Name: "Ada"},
		"2": user{ID: 2, Name: "Grace"},
	}, core.TTL(time.Hour))
	if err != nil {
		panic(err)
	}
	users, _ := core.GetMany[user](ctx, c, []string{"1", "2", "3"}) // a miss is simply absent
	fmt.Println(len(users), users["1"].Name, users["2"].Name)

	_ = c.DeleteMany(ctx, []string{"1", "2"})
	users, _ = core.GetMany[user](ctx, c, []string{"1", "2"})
	fmt.Println(len(users))
	// Output:
	// 2 Ada Grace
	// 0
}

// A distributed lock on a key of the client's namespace, for work that one
// process at a time should do.
func ExampleClient_Lock() {
	ctx := context.Background()
	c, err := core.New(newCapBackend(), core.WithCodec(jsonCodec{}), core.WithNamespace("jobs"))
	if err != nil {
		panic(err)
	}
	defer c.Close()

	lock, acquired, err := c.Lock(ctx, "nightly-report", 30*time.Second)
	if err != nil {
		panic(err) // KindNotSupported when the backend has no locks
	}
	if !acquired {
		fmt.Println("somebody else is running it")
		return
	}
	_, again, _ := c.Lock(ctx, "nightly-report", 30*time.Second)
	fmt.Println(lock.Key(), again)

	released, _ := lock.Unlock(ctx)
	fmt.Println(released)
	// Output:
	// nightly-report false
	// true
}
