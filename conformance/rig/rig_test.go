package rig_test

import (
	"bufio"
	"context"
	"net"
	"strings"
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

// memcachedVersion sends memcached's version command to addr and waits at
// most d for the answer.
func memcachedVersion(addr string, d time.Duration) error {
	conn, err := net.DialTimeout("tcp", addr, d)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(d))
	if _, err := conn.Write([]byte("version\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "VERSION ") {
		return &net.AddrError{Err: "unexpected answer " + line, Addr: addr}
	}
	return nil
}

func TestMemcachedFaults(t *testing.T) {
	t.Parallel()
	m := rig.StartMemcached(t)
	if err := memcachedVersion(m.Addr, 5*time.Second); err != nil {
		t.Fatalf("a started memcached: %v", err)
	}
	m.Pause(t)
	if err := memcachedVersion(m.Addr, 300*time.Millisecond); err == nil {
		t.Fatal("a paused memcached answered")
	}
	m.Unpause(t)
	if err := memcachedVersion(m.Addr, 5*time.Second); err != nil {
		t.Fatalf("after Unpause: %v", err)
	}
	m.Stop(t)
	if err := memcachedVersion(m.Addr, time.Second); err == nil {
		t.Fatal("a stopped memcached answered")
	}
	m.Start(t)
	if err := memcachedVersion(m.Addr, 5*time.Second); err != nil {
		t.Fatalf("after Start: %v", err)
	}
}
