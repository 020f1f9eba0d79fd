package redis_test

import (
	"context"
	"sync"
	"testing"
	"time"

	redis "github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
	goredis "github.com/redis/go-redis/v9"
)

func TestSetIfAbsent(t *testing.T) {
	r := rig.StartRedis(t)
	ctx := context.Background()
	b, err := redis.New(redis.Options{URL: r.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if ok, err := b.SetIfAbsent(ctx, "nx", []byte("a"), time.Minute); err != nil || !ok {
		t.Fatalf("absent key: stored %v, %v", ok, err)
	}
	if ok, err := b.SetIfAbsent(ctx, "nx", []byte("b"), time.Minute); err != nil || ok {
		t.Fatalf("present key: stored %v, %v", ok, err)
	}
	e, _, _ := b.Get(ctx, "nx")
	if string(e.Value) != "a" || !e.Freshness.Known || e.Freshness.FreshFor <= 0 {
		t.Fatalf("holds %q %+v, want the first value with its TTL", e.Value, e.Freshness)
	}
	if _, err := b.SetIfAbsent(ctx, "nx", nil, -1); core.KindOf(err) != core.KindInvalidInput {
		t.Fatalf("negative TTL: %v", err)
	}
}

// Item 7 of issue 23: two processes over one Redis, each with the stack
// the README recommends (an L1 composed over Redis). P1's loader reads 279,
// P0's Set of 280 is acknowledged, then P1's write-back lands: Redis must
// keep 280. Before the conditional write-back, Redis held 279 for the whole
// load TTL.
func TestLoadWriteBackDoesNotOverwriteAnotherProcessSet(t *testing.T) {
	r := rig.StartRedis(t)
	ctx := context.Background()
	newClient := func() *core.Client {
		c, err := core.New(newStack(t, r.URL()), core.WithCodec(stringCodec{}), core.WithPreset(core.PresetProduction))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	p0, p1 := newClient(), newClient()
	loading, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := core.GetOrLoad(ctx, p1, "v", func(context.Context) (string, error) {
			close(loading)
			<-release
			return "279", nil
		})
		if err != nil {
			t.Error(err)
		}
	}()
	<-loading
	if err := p0.Set(ctx, "v", "280"); err != nil {
		t.Fatal(err)
	}
	close(release)
	wg.Wait()
	raw := goredis.NewClient(&goredis.Options{Addr: r.Addr})
	defer raw.Close()
	if got, err := raw.Get(ctx, "v").Result(); err != nil || got != "280" {
		t.Fatalf("Redis holds %q (%v), want P0's acknowledged 280", got, err)
	}
	for _, c := range []*core.Client{p0, p1} {
		got, err := core.GetOrLoad(ctx, c, "v", func(context.Context) (string, error) { return "loaded", nil })
		if err != nil || got != "280" {
			t.Fatalf("a later GetOrLoad = %q, %v; want 280", got, err)
		}
	}
}
