package compose_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
)

func Example() {
	ctx := context.Background()
	// In production: l1/bigcache over backend/redis (over backend/cachekitio).
	l1 := memory.New(memory.WithName("bigcache"))
	l2 := memory.New(memory.WithName("redis"))

	stack, err := compose.TiersWith([]compose.Option{
		compose.WithBackfillCap(10 * time.Second), // L1 copies live at most 10 s
	}, l1, l2)
	if err != nil {
		panic(err)
	}
	defer stack.Close()

	// Another process wrote the value to L2 only.
	_ = l2.Set(ctx, "user:42", []byte("Ada"), time.Hour)

	e, found, _ := stack.Get(ctx, "user:42") // L1 miss, L2 hit, L1 backfilled
	fmt.Println(string(e.Value), found)

	_ = stack.Wait(ctx) // an in-memory L1 is backfilled inline; other tiers in the background
	ttl, _, _ := l1.TTL(ctx, "user:42")
	fmt.Println("L1 copy bounded:", ttl <= 10*time.Second)

	for _, s := range stack.Stats() {
		fmt.Printf("%s hits=%d misses=%d backfills=%d\n", s.Name, s.Hits, s.Misses, s.Backfills)
	}
	// Output:
	// Ada true
	// L1 copy bounded: true
	// compose.bigcache hits=0 misses=1 backfills=1
	// compose.redis hits=1 misses=0 backfills=0
}

func ExampleNew() {
	l1, l2 := memory.New(), memory.New()
	stack, err := compose.New(l1, l2,
		compose.WithReadPolicy(compose.ReadParallelFreshest),
		compose.WithWritePolicy(compose.WriteOptimisticParallel),
		compose.WithNames("local", "shared"),
	)
	if err != nil {
		panic(err)
	}
	defer stack.Close()
	_ = stack.Set(context.Background(), "k", []byte("v"), time.Minute)
	fmt.Println(stack.Stats()[0].Name, stack.Stats()[1].Name)
	// Output: compose.local compose.shared
}

// Backfills into an in-memory upper tier (tier.InMemory: l1/bigcache,
// memory) are written before Get returns; any other upper tier is
// backfilled on the offloader. WithBackfillMode overrides the choice.
func ExampleWithBackfillMode() {
	ctx := context.Background()
	for _, mode := range []compose.BackfillMode{compose.BackfillAuto, compose.BackfillOffloaded} {
		l1, l2 := memory.New(), memory.New()
		stack, err := compose.New(l1, l2, compose.WithBackfillMode(mode))
		if err != nil {
			panic(err)
		}
		_ = l2.Set(ctx, "k", []byte("v"), time.Minute)
		_, _, _ = stack.Get(ctx, "k")
		submitted := stack.BackfillStats().Submitted // handed to the offloader
		_ = stack.Wait(ctx)
		fmt.Printf("%s: submitted=%d applied=%d\n", mode, submitted, stack.BackfillStats().Applied)
		_ = stack.Close()
	}
	// Output:
	// auto: submitted=0 applied=1
	// offloaded: submitted=1 applied=1
}
