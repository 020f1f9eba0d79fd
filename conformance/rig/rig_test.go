package rig_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/redis/go-redis/v9"
)

func TestRedisStopStart(t *testing.T) {
	t.Parallel()
	r := rig.StartRedis(t, rig.WithPassword("s3cret"))
	ctx := context.Background()
	opt, err := redis.ParseURL(r.URL())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	r.Stop(t)
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("PING on a stopped server succeeded")
	}
	r.Start(t)
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after Start: %v", err)
	}
}

func TestRedisTLS(t *testing.T) {
	t.Parallel()
	r := rig.StartRedis(t, rig.WithTLS())
	opt, err := redis.ParseURL(r.URL())
	if err != nil {
		t.Fatal(err)
	}
	opt.TLSConfig = r.TLSConfig
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestCluster(t *testing.T) {
	t.Parallel()
	c := rig.StartCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer cl.Close()
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		if err := cl.Set(ctx, k, k, time.Minute).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
	var shards atomic.Int32 // ForEachMaster runs in parallel
	err := cl.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		n, err := m.DBSize(ctx).Result()
		if n > 0 {
			shards.Add(1)
		}
		return err
	})
	if err != nil || shards.Load() < 2 {
		t.Fatalf("keys on %d shards, err %v", shards.Load(), err)
	}
}

func TestSentinel(t *testing.T) {
	t.Parallel()
	s := rig.StartSentinel(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: s.MasterName, SentinelAddrs: s.SentinelAddrs()})
	defer c.Close()
	if err := c.Set(ctx, "k", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestMemcachedFaults(t *testing.T) {
	t.Parallel()
	m := rig.StartMemcached(t)
	answers := func(d time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		return rig.MemcachedVersion(ctx, m.Addr)
	}
	if err := answers(2 * time.Second); err != nil {
		t.Fatalf("a started memcached: %v", err)
	}
	m.Pause(t)
	if err := answers(300 * time.Millisecond); err == nil {
		t.Fatal("a paused memcached answered")
	}
	m.Unpause(t)
	if err := answers(2 * time.Second); err != nil {
		t.Fatalf("after Unpause: %v", err)
	}
	m.Stop(t)
	if err := answers(time.Second); err == nil {
		t.Fatal("a stopped memcached answered")
	}
	m.Start(t)
	if err := answers(2 * time.Second); err != nil {
		t.Fatalf("after Start: %v", err)
	}
}
