package redis_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	redis "github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
	goredis "github.com/redis/go-redis/v9"
)

// tripCounter is a go-redis hook that counts round trips: single commands
// and pipelines (each pipeline is one round trip per node).
type tripCounter struct{ single, pipelines atomic.Int64 }

func (c *tripCounter) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (c *tripCounter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error { c.single.Add(1); return next(ctx, cmd) }
}
func (c *tripCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error { c.pipelines.Add(1); return next(ctx, cmds) }
}

// trips returns the round trips counted since the last call.
func (c *tripCounter) trips() (single, pipelines int64) {
	return c.single.Swap(0), c.pipelines.Swap(0)
}

func batchKeys(n int) ([]string, []core.BatchItem) {
	keys := make([]string, n)
	items := make([]core.BatchItem, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("batch:%d", i)
		items[i] = core.BatchItem{Key: keys[i], Value: []byte(keys[i]), TTL: time.Minute}
	}
	return keys, items
}

// checkBatches writes, reads and deletes 100 keys with the batch calls and
// checks what each does.
func checkBatches(t *testing.T, b *redis.Backend) {
	t.Helper()
	ctx := context.Background()
	keys, items := batchKeys(100)
	if err := b.SetMany(ctx, items); err != nil {
		t.Fatal(err)
	}
	res, err := b.GetMany(ctx, append(keys, "batch:missing"))
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if !res[i].Found || string(res[i].Entry.Value) != k || !res[i].Entry.Freshness.Known {
			t.Fatalf("GetMany result %d = %+v", i, res[i])
		}
	}
	if res[100].Found {
		t.Fatal("GetMany found a missing key")
	}
	vals, err := b.GetValues(ctx, append(keys, "batch:missing"))
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if !vals[i].Found || string(vals[i].Entry.Value) != k || vals[i].Entry.Freshness.Known {
			t.Fatalf("GetValues result %d = %+v", i, vals[i])
		}
	}
	if vals[100].Found {
		t.Fatal("GetValues found a missing key")
	}
	if err := b.DeleteMany(ctx, append(keys[:50:50], "batch:missing")); err != nil {
		t.Fatal(err)
	}
	res, err = b.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i := range keys {
		if res[i].Found != (i >= 50) {
			t.Fatalf("after DeleteMany of the first 50, key %d found=%v", i, res[i].Found)
		}
	}
	if err := b.DeleteMany(ctx, nil); err != nil {
		t.Fatalf("DeleteMany(no keys) = %v", err)
	}
}

// Each batch call is one round trip for 100 keys: a pipeline, or one MGET
// (GetValues on one node).
func TestBatchesArePipelined(t *testing.T) {
	r := rig.StartRedis(t)
	c := goredis.NewClient(&goredis.Options{Addr: r.Addr})
	t.Cleanup(func() { _ = c.Close() })
	tc := &tripCounter{}
	c.AddHook(tc)
	b := wrap(t, c)
	ctx := context.Background()
	keys, items := batchKeys(100)
	if err := b.Health(ctx); err != nil { // dial first: a new connection's handshake is not the batch's
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"SetMany":    func() error { return b.SetMany(ctx, items) },
		"GetMany":    func() error { _, err := b.GetMany(ctx, keys); return err },
		"GetValues":  func() error { _, err := b.GetValues(ctx, keys); return err },
		"DeleteMany": func() error { return b.DeleteMany(ctx, keys) },
	} {
		tc.trips()
		if err := call(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if single, pipes := tc.trips(); single+pipes != 1 {
			t.Errorf("%s of 100 keys: %d commands and %d pipelines; want one round trip", name, single, pipes)
		}
	}
	checkBatches(t, b)
}

// In a cluster the batch calls reach keys of every slot: the pipeline is
// split by node, and no command spans two slots.
func TestBatchesCluster(t *testing.T) {
	cl := rig.StartCluster(t)
	b, err := redis.New(redis.Options{Addrs: cl.Addrs(), Cluster: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	checkBatches(t, b)
}

// A client straight over Redis without an object cache reads a GetMany with
// one MGET (it has no use for the freshness); with an object cache, with
// one MGET and a PTTL per key, in one pipeline.
func TestClientGetManyCommands(t *testing.T) {
	_, c, log := loggedClient(t)
	ctx := context.Background()
	b := wrap(t, c)
	plain, err := core.New(b, core.WithCodec(stringCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	objects, err := core.New(b, core.WithCodec(stringCodec{}), core.WithObjectCache(100, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.SetMany(ctx, map[string]any{"a": "1", "b": "2"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    *core.Client
		want string
	}{{plain, "[mget]"}, {objects, "[mget pttl pttl pttl]"}} {
		log.take()
		got, err := core.GetMany[string](ctx, tc.c, []string{"a", "b", "missing"})
		if err != nil || len(got) != 2 || got["a"] != "1" || got["b"] != "2" {
			t.Fatalf("GetMany = %v, %v", got, err)
		}
		if sent := fmt.Sprint(log.take()); sent != tc.want {
			t.Errorf("GetMany sent %s; want %s", sent, tc.want)
		}
	}
}
