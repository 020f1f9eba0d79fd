package redis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
	goredis "github.com/redis/go-redis/v9"
)

// A miss is cheap: Get of a missing key reads a nil MGET element, not the
// nil reply go-redis turns into the error redis.Nil and then classifies
// for retries and bad connections (about 20 allocations per miss). The
// bound is generous; the GET+PTTL pipeline allocated 35 times per miss, 14 per hit
// (this one: 13 and 15).
func TestGetMissAllocations(t *testing.T) {
	ctx := context.Background()
	r := rig.StartRedis(t)
	c := goredis.NewClient(&goredis.Options{Addr: r.Addr})
	t.Cleanup(func() { _ = c.Close() })
	b := wrap(t, c)
	if _, _, err := b.Get(ctx, "miss:warm"); err != nil { // dial
		t.Fatal(err)
	}
	miss := testing.AllocsPerRun(200, func() {
		if _, found, err := b.Get(ctx, "miss:absent"); found || err != nil {
			t.Fatalf("Get of a missing key = %v, %v", found, err)
		}
	})
	if miss > 20 {
		t.Errorf("Get of a missing key: %.0f allocations, want at most 20", miss)
	}
	if err := c.Set(ctx, "miss:present", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	hit := testing.AllocsPerRun(200, func() {
		if e, found, err := b.Get(ctx, "miss:present"); !found || err != nil || string(e.Value) != "v" {
			t.Fatalf("Get = %q, %v, %v", e.Value, found, err)
		}
	})
	t.Logf("allocations per Get: miss %.0f, hit %.0f", miss, hit)
}

// What the MGET-based reads return in the cases a GET distinguished: an
// empty value is found (not a miss), a value of another type is an error,
// and a batch mixes hits, empty values and misses in key order.
func TestMGetReadCases(t *testing.T) {
	ctx := context.Background()
	_, c, _ := loggedClient(t)
	b := wrap(t, c)
	if err := c.Set(ctx, "mg:empty", "", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "mg:v", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.LPush(ctx, "mg:list", "x").Err(); err != nil {
		t.Fatal(err)
	}
	e, found, err := b.Get(ctx, "mg:empty")
	if err != nil || !found || e.Value == nil || len(e.Value) != 0 || !e.Freshness.Known || e.Freshness.FreshFor <= 0 {
		t.Fatalf("Get of an empty value = %q (nil %v), %v, %+v, %v", e.Value, e.Value == nil, found, e.Freshness, err)
	}
	if e, found, err := b.Get(ctx, "mg:v"); err != nil || !found || string(e.Value) != "v" || !e.Freshness.NoExpiry {
		t.Fatalf("Get of a value without TTL = %q, %v, %+v, %v", e.Value, found, e.Freshness, err)
	}
	// MGET answers nil for a key of another type; its PTTL says it exists,
	// and the read fails as GET did (WRONGTYPE, permanent): taken for a
	// miss, a read-through would overwrite data that is not the cache's.
	if _, found, err := b.Get(ctx, "mg:list"); found || core.KindOf(err) != core.KindPermanent ||
		!strings.Contains(err.Error(), "WRONGTYPE") {
		t.Fatalf("Get of a list = found %v, %v; want a WRONGTYPE error", found, err)
	}
	if _, err := b.GetMany(ctx, []string{"mg:v", "mg:list"}); core.KindOf(err) != core.KindPermanent ||
		!strings.Contains(err.Error(), "mg:list") {
		t.Fatalf("GetMany with a list = %v; want a WRONGTYPE error naming mg:list", err)
	}
	if n, err := c.LLen(ctx, "mg:list").Result(); err != nil || n != 1 {
		t.Fatalf("the list was changed: %d, %v", n, err)
	}
	res, err := b.GetMany(ctx, []string{"mg:v", "mg:absent", "mg:empty"})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Found || string(res[0].Entry.Value) != "v" || !res[0].Entry.Freshness.NoExpiry ||
		res[1].Found ||
		!res[2].Found || res[2].Entry.Value == nil || len(res[2].Entry.Value) != 0 || !res[2].Entry.Freshness.Known {
		t.Fatalf("GetMany = %+v", res)
	}
	vals, err := b.GetValues(ctx, []string{"mg:absent", "mg:empty", "mg:v"})
	if err != nil || vals[0].Found || !vals[1].Found || vals[1].Entry.Value == nil || !vals[2].Found || string(vals[2].Entry.Value) != "v" {
		t.Fatalf("GetValues = %+v, %v", vals, err)
	}
}
