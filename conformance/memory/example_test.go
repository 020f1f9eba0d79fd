package memory_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
)

func Example() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	down := false
	b := memory.New(
		memory.WithClock(func() time.Time { return now }),
		memory.WithFault(func(op, key string) error {
			if down {
				return errors.New("injected outage")
			}
			return nil
		}),
	)
	ctx := context.Background()

	_ = b.Set(ctx, "k", []byte("v"), time.Minute)
	e, found, _ := b.Get(ctx, "k")
	fmt.Println(found, string(e.Value), e.Freshness.FreshFor)

	now = now.Add(time.Minute) // the entry expires, no sleeping
	_, found, _ = b.Get(ctx, "k")
	fmt.Println(found)

	down = true
	_, _, err := b.Get(ctx, "k")
	fmt.Println(core.KindOf(err))
	// Output:
	// true v 1m0s
	// false
	// transient
}
