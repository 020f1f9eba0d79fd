package redis_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	redis "github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/conformance"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
	goredis "github.com/redis/go-redis/v9"
)

// TestConformanceStackCluster runs the suite on an in-memory tier over a
// Redis Cluster, the composition following the cluster's invalidations (it
// keeps upper-tier copies only while the merged watch is live).
func TestConformanceStackCluster(t *testing.T) {
	cl := rig.StartCluster(t)
	conformance.RunBackend(t, conformance.Harness{
		New: func(t *testing.T) core.Backend {
			rb, err := redis.New(redis.Options{Addrs: cl.Addrs(), Cluster: true})
			if err != nil {
				t.Fatal(err)
			}
			s, err := compose.New(memory.New(), rb)
			if err != nil {
				_ = rb.Close()
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			waitLive(t, s, true)
			return s
		},
		TTLResolution: time.Millisecond,
	})
}

// A cluster none of whose nodes answers never goes live, and stopping its
// watch is prompt and reports nothing (it was never live).
func TestWatchInvalidationsClusterUnreachable(t *testing.T) {
	cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}, MaxRetries: -1})
	defer cc.Close()
	b, err := redis.Wrap(cc)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	stop, err := b.WatchInvalidations(rec)
	if err != nil {
		t.Fatalf("WatchInvalidations on a cluster: %v", err)
	}
	rec.quiet(t, 300*time.Millisecond)
	start := time.Now()
	stop()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("stop took %v", took)
	}
	rec.quiet(t, 50*time.Millisecond)
}

// keyOn returns a key whose slot the node at addr serves.
func keyOn(t *testing.T, cc *goredis.ClusterClient, addr, prefix string) string {
	t.Helper()
	ctx := context.Background()
	for i := range 10000 {
		k := prefix + strconv.Itoa(i)
		c, err := cc.MasterForKey(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if c.Options().Addr == addr {
			return k
		}
	}
	t.Fatalf("no key found on %s", addr)
	return ""
}

// drain consumes every event that arrives within d.
func (r *recorder) drain(d time.Duration) {
	deadline := time.After(d)
	for {
		select {
		case <-r.ch:
		case <-deadline:
			return
		}
	}
}

// nodeID returns the cluster node id of the node at addr.
func nodeID(t *testing.T, c *goredis.Client) string {
	t.Helper()
	id, err := c.Do(context.Background(), "CLUSTER", "MYID").Text()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// On a three-master cluster, changes made through another client on every
// master are reported; a key moved to another master by a slot migration
// is reported as it leaves and as it is written at its new home; losing a
// master takes the watch down until the master is back; stop ends it.
func TestWatchInvalidationsCluster(t *testing.T) {
	cl := rig.StartCluster(t)
	ctx := context.Background()
	other := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: cl.Addrs()})
	defer other.Close()
	_, rec, stop := watchLive(t, redis.Options{Addrs: cl.Addrs(), Cluster: true}, redis.WithInvalidationPing(200*time.Millisecond))

	// Every master reports its writes and deletes.
	keys := make([]string, len(cl.Nodes))
	for i, n := range cl.Nodes {
		keys[i] = keyOn(t, other, n.Addr, "inv:node"+strconv.Itoa(i)+":")
		if err := other.Set(ctx, keys[i], "v", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		rec.await(t, "write on "+n.Addr, 3*time.Second, hasKey(keys[i]))
		if err := other.Del(ctx, keys[i]).Err(); err != nil {
			t.Fatal(err)
		}
		rec.await(t, "delete on "+n.Addr, 3*time.Second, hasKey(keys[i]))
	}

	// Move a key's slot from the first master to the second.
	from := goredis.NewClient(&goredis.Options{Addr: cl.Nodes[0].Addr})
	defer from.Close()
	to := goredis.NewClient(&goredis.Options{Addr: cl.Nodes[1].Addr})
	defer to.Close()
	k := keys[0]
	if err := other.Set(ctx, k, "before", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	rec.await(t, "write before the move", 3*time.Second, hasKey(k))
	slot, err := other.ClusterKeySlot(ctx, k).Result()
	if err != nil {
		t.Fatal(err)
	}
	fromID, toID := nodeID(t, from), nodeID(t, to)
	host, port, _ := strings.Cut(cl.Nodes[1].Addr, ":")
	for _, step := range []struct {
		c    *goredis.Client
		args []any
	}{
		{to, []any{"CLUSTER", "SETSLOT", slot, "IMPORTING", fromID}},
		{from, []any{"CLUSTER", "SETSLOT", slot, "MIGRATING", toID}},
		{from, []any{"MIGRATE", host, port, "", 0, 5000, "KEYS", k}},
		{to, []any{"CLUSTER", "SETSLOT", slot, "NODE", toID}},
		{from, []any{"CLUSTER", "SETSLOT", slot, "NODE", toID}},
	} {
		if err := step.c.Do(ctx, step.args...).Err(); err != nil {
			t.Fatalf("%v: %v", step.args, err)
		}
	}
	rec.await(t, "the key moving", 3*time.Second, hasKey(k))
	rec.drain(300 * time.Millisecond) // the other half of the move
	if got, err := to.Get(ctx, k).Result(); err != nil || got != "before" {
		t.Fatalf("after the move, %s holds %q (%v), want \"before\"", cl.Nodes[1].Addr, got, err)
	}
	// A write at the key's new home (go-redis follows the MOVED reply).
	if err := other.Set(ctx, k, "after", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	rec.await(t, "a write at the key's new master", 3*time.Second, hasKey(k))
	if got, err := to.Get(ctx, k).Result(); err != nil || got != "after" {
		t.Fatalf("the write after the move went elsewhere: %q (%v)", got, err)
	}

	// A master that stops answering takes the watch down; back, it is up.
	cl.Nodes[2].Pause(t)
	rec.await(t, "reset(false) with a master frozen", 5*time.Second, isReset(false))
	cl.Nodes[2].Unpause(t)
	rec.await(t, "reset(true) with the master back", 10*time.Second, isReset(true))
	k2 := keyOn(t, other, cl.Nodes[2].Addr, "inv:back:")
	if err := other.Set(ctx, k2, "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	rec.await(t, "write on the master that came back", 3*time.Second, hasKey(k2))

	stop()
	rec.await(t, "reset(false) at stop", time.Second, isReset(false))
	if err := other.Set(ctx, k2, "after stop", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	rec.quiet(t, 200*time.Millisecond)
}
