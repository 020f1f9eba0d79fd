package cachekit_test

import (
	"context"
	"sync"
	"testing"

	"github.com/cachekit-io/cachekit-go"
	"github.com/cachekit-io/cachekit-go/core"
)

// One observer given to a preset sees the client's view and each tier of
// the stack it builds.
func TestWithObserverSeesClientAndTiers(t *testing.T) {
	ctx := context.Background()
	var (
		mu   sync.Mutex
		seen = map[string]int{}
	)
	obs := &core.Observer{OnOp: func(_ context.Context, e core.OpEvent) {
		mu.Lock()
		seen[e.Tier+"/"+e.Op.String()+"/"+e.Result.String()]++
		mu.Unlock()
	}}
	c, err := cachekit.Production(newMem(), cachekit.WithObserver(obs), cachekit.WithInvalidation(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if _, found, err := core.Get[string](ctx, c, "k"); err != nil || !found {
		t.Fatal(found, err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"client/set/ok", "l1/set/ok", "l2/set/ok", "client/get/hit", "l1/get/hit"} {
		if seen[want] != 1 {
			t.Errorf("%s seen %d times; all: %v", want, seen[want], seen)
		}
	}
	_, release, err := cachekit.Stack(core.PresetProduction, newMem(), cachekit.WithObserver(obs))
	if err != nil {
		t.Fatalf("Stack rejects WithObserver: %v", err)
	}
	_ = release()
}
