package otter_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cachekit-io/cachekit-go/l1/otter"
)

// An otter L1 bounded in bytes, used directly as a core.Backend; the
// presets of package cachekit put one in front of every backend.
func Example() {
	l1, err := otter.New(otter.WithMaxBytes(64 << 20))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l1.Close()
	ctx := context.Background()
	_ = l1.Set(ctx, "greeting", []byte("hello"), time.Minute)
	e, found, _ := l1.Get(ctx, "greeting")
	fmt.Println(found, string(e.Value))
	_, found, _ = l1.Get(ctx, "absent")
	fmt.Println(found)
	// Output:
	// true hello
	// false
}
