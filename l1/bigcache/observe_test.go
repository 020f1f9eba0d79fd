package bigcache_test

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/l1/bigcache"
)

func TestObserverSeesEvictions(t *testing.T) {
	var count atomic.Int64
	var bad atomic.Value
	obs := &core.Observer{OnEviction: func(e core.EvictionEvent) {
		if e.Tier != "l1" || e.Reason != "size" || e.Count != 1 {
			bad.Store(fmt.Sprintf("%+v", e))
		}
		count.Add(1)
	}}
	b := newBackend(t, bigcache.WithMaxBytes(1<<20), bigcache.WithShards(1), bigcache.WithObserver(obs))
	ctx := context.Background()
	v := bytes.Repeat([]byte{1}, 10<<10)
	for i := range 300 { // ~3 MiB into 1 MiB
		if err := b.Set(ctx, fmt.Sprintf("k%d", i), v, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if e := bad.Load(); e != nil {
		t.Fatalf("event %v", e)
	}
	if n, want := count.Load(), int64(b.Stats()[0].Evictions); n == 0 || n != want {
		t.Fatalf("%d eviction events, Stats counts %d", n, want)
	}
	// Deleting is not evicting.
	before := count.Load()
	if err := b.Delete(ctx, "k299"); err != nil {
		t.Fatal(err)
	}
	if count.Load() != before {
		t.Fatal("a Delete was reported as an eviction")
	}
}
