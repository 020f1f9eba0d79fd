package examples

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go"
	"github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/protocol"
)

// markedLocal is tier.MarkedLocalGetter (the preset's stack has it).
type markedLocal interface {
	GetLocalMarked(ctx context.Context, key string) ([]byte, core.Freshness, core.GuardMark, bool)
}

// The production preset's stack checks the copies it backfills into its L1
// (so that an L1 hit may skip the guard), but a hostile payload written
// into Redis is still rejected: first when it is read from Redis, and then
// on every read of its L1 copy, which carries no mark.
func TestHostilePayloadFromRedisIsRejectedOnTheL1ReadPath(t *testing.T) {
	url := redisURL
	if url == "" {
		url = rig.StartRedis(t).URL() // skips (fails in CI) without a container engine
	}
	ctx := context.Background()
	rb, err := redis.New(redis.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rb.Close() })
	c, err := cachekit.Production(rb, cachekit.WithCodec(protocol.Msgpack()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	local, ok := c.Backend().(markedLocal)
	if !ok {
		t.Fatalf("the preset's stack %T has no GetLocalMarked", c.Backend())
	}

	// Nested one level deeper than the guard allows.
	hostile := append(bytes.Repeat([]byte{0x91}, protocol.MaxDepth+1), 0xc0)
	if err := rb.Set(ctx, "guard:evil", hostile, time.Minute); err != nil {
		t.Fatal(err)
	}
	good, err := protocol.Msgpack().Marshal(map[string]any{"name": "ada"})
	if err != nil {
		t.Fatal(err)
	}
	if err := rb.Set(ctx, "guard:good", good, time.Minute); err != nil {
		t.Fatal(err)
	}

	// Read until the L1 holds a copy (the stack backfills once its watch of
	// Redis is live, and Redis's report of the Set above may drop an early
	// copy); every read is rejected, from Redis or from the L1.
	copied := func(key string) (core.GuardMark, bool) {
		_, _, mark, found := local.GetLocalMarked(ctx, key)
		return mark, found
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, _, err := core.Get[any](ctx, c, "guard:evil")
		var ge *protocol.GuardError
		if core.KindOf(err) != core.KindSerialization || !errors.As(err, &ge) {
			t.Fatalf("Get of the hostile payload = %v, want the guard's KindSerialization rejection", err)
		}
		if _, ok := copied("guard:evil"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the hostile payload was never copied into the L1")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if mark, _ := copied("guard:evil"); mark != 0 {
		t.Fatalf("the L1 copy of the hostile payload carries mark %#x, want none", mark)
	}
	// Served from the L1 now, and still rejected.
	_, _, err = core.Get[any](ctx, c, "guard:evil")
	var ge *protocol.GuardError
	if core.KindOf(err) != core.KindSerialization || !errors.As(err, &ge) {
		t.Fatalf("Get of the hostile L1 copy = %v, want the guard's rejection", err)
	}

	// A payload the guard accepts is copied with a mark, and its L1 hits
	// decode.
	for {
		v, found, err := core.Get[map[string]any](ctx, c, "guard:good")
		if err != nil || !found || v["name"] != "ada" {
			t.Fatalf("Get(good) = %v, %v, %v", v, found, err)
		}
		if mark, ok := copied("guard:good"); ok {
			if mark == 0 {
				t.Fatal("the L1 copy of a valid payload carries no mark")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the valid payload was never copied into the L1")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if v, found, err := core.Get[map[string]any](ctx, c, "guard:good"); err != nil || !found || v["name"] != "ada" {
		t.Fatalf("Get(good) from the L1 = %v, %v, %v", v, found, err)
	}
}
