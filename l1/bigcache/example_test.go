package bigcache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cachekit-io/cachekit-go/l1/bigcache"
)

func Example() {
	l1, err := bigcache.New(bigcache.WithMaxBytes(64<<20), bigcache.WithMaxEntries(100_000))
	if err != nil {
		panic(err)
	}
	defer l1.Close()

	ctx := context.Background()
	_ = l1.Set(ctx, "ns:demo:greeting", []byte("hello"), time.Minute)

	e, found, _ := l1.Get(ctx, "ns:demo:greeting")
	fmt.Println(found, string(e.Value))
	fmt.Println("fresh for at most a minute:", e.Freshness.Known && e.Freshness.FreshFor <= time.Minute)

	_ = l1.Delete(ctx, "ns:demo:greeting")
	_, found, _ = l1.Get(ctx, "ns:demo:greeting")
	fmt.Println(found)
	// Output:
	// true hello
	// fresh for at most a minute: true
	// false
}
