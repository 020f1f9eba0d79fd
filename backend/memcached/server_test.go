package memcached_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/cachekit-io/cachekit-go/backend/memcached"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
)

// TestServer checks, against a real memcached, what the conformance suite
// does not: the key and TTL rules on the wire, the server's own size
// limit, lock races and batch aliasing.
func TestServer(t *testing.T) {
	t.Parallel()
	m := rig.StartMemcached(t)
	ctx := context.Background()

	// A key with a line break is never sent as it is (CWE-93): it cannot
	// smuggle a second command, and it still round-trips.
	t.Run("KeyInjection", func(t *testing.T) {
		b := newBackend(t, m.Addr)
		if err := b.Set(ctx, "canary", []byte("alive"), time.Minute); err != nil {
			t.Fatal(err)
		}
		evil := "x 0 0 1\r\ny\r\ndelete canary\r\nget x"
		if err := b.Set(ctx, evil, []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
		if v, found, err := b.GetValue(ctx, "canary"); err != nil || !found || string(v) != "alive" {
			t.Errorf("canary after an injection attempt: %q found=%v %v", v, found, err)
		}
		if v, found, err := b.GetValue(ctx, evil); err != nil || !found || string(v) != "v" {
			t.Errorf("Get(evil key): %q found=%v %v", v, found, err)
		}
		if _, err := b.Client().Get(memcached.StorageKey(evil)); err != nil {
			t.Errorf("the value is not under the key's hashed form: %v", err)
		}
	})

	// A key over 250 bytes is stored under the protocol's shortened form.
	t.Run("LongKey", func(t *testing.T) {
		b := newBackend(t, m.Addr)
		k := "ns:app:" + strings.Repeat("long", 100)
		if err := b.Set(ctx, k, []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
		it, err := b.Client().Get(memcached.StorageKey(k))
		if err != nil || string(it.Value) != "v" {
			t.Fatalf("raw Get(%q): %v", memcached.StorageKey(k), err)
		}
		if sk := memcached.StorageKey(k); len(sk) != 50+1+32 || !strings.HasPrefix(sk, k[:50]+":") {
			t.Errorf("StorageKey = %q", sk)
		}
	})

	// A TTL over 30 days is sent as an absolute time: as a relative one,
	// memcached would read it as a date in 1970 and drop the entry at once.
	t.Run("LongTTL", func(t *testing.T) {
		b := newBackend(t, m.Addr)
		ttl := 31 * 24 * time.Hour
		if err := b.Set(ctx, "long-ttl", []byte("v"), ttl); err != nil {
			t.Fatal(err)
		}
		if _, found, err := b.Get(ctx, "long-ttl"); err != nil || !found {
			t.Errorf("Get after Set(ttl 31 days): found=%v %v", found, err)
		}
		if ok, err := b.Expire(ctx, "long-ttl", 40*24*time.Hour); err != nil || !ok {
			t.Errorf("Expire(40 days) = %v, %v", ok, err)
		}
		if _, found, err := b.Get(ctx, "long-ttl"); err != nil || !found {
			t.Errorf("Get after Expire(40 days): found=%v %v", found, err)
		}
		// What the backend would have sent without the rule.
		raw := &memcache.Item{Key: "raw-long-ttl", Value: []byte("v"), Expiration: int32(ttl / time.Second)}
		if err := b.Client().Set(raw); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Client().Get("raw-long-ttl"); err != memcache.ErrCacheMiss {
			t.Errorf("a relative expiration over 30 days was kept (%v); the test no longer shows the rule", err)
		}
	})

	// Exactly one of many concurrent lockers wins, before and after a
	// release (the release leaves a tombstone that Lock takes over).
	t.Run("LockRace", func(t *testing.T) {
		b := newBackend(t, m.Addr)
		race := func() string {
			var wins atomic.Int32
			var token atomic.Value
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() {
					tok, got, err := b.Lock(ctx, "race", time.Minute)
					if err != nil {
						t.Error(err)
					}
					if got {
						wins.Add(1)
						token.Store(tok)
					}
				})
			}
			wg.Wait()
			if n := wins.Load(); n != 1 {
				t.Fatalf("%d lockers won, want 1", n)
			}
			return token.Load().(string)
		}
		for range 3 {
			tok := race()
			if ok, err := b.Unlock(ctx, "race", tok); err != nil || !ok {
				t.Fatalf("Unlock(holder) = %v, %v", ok, err)
			}
			if ok, err := b.Unlock(ctx, "race", tok); err != nil || ok {
				t.Fatalf("second Unlock = %v, %v; want false", ok, err)
			}
			if ok, err := b.Unlock(ctx, "race", ""); err != nil || ok {
				t.Fatalf("Unlock of a released lock with an empty token = %v, %v; want false", ok, err)
			}
		}
	})

	// The largest value the backend accepts fits in a default memcached
	// item even under the longest key.
	t.Run("MaxValueLongestKey", func(t *testing.T) {
		b := newBackend(t, m.Addr)
		k := strings.Repeat("m", memcached.MaxKeyLength)
		v := bytes.Repeat([]byte{0xa5}, b.MaxValueSize())
		if err := b.Set(ctx, k, v, time.Minute); err != nil {
			t.Fatalf("Set(%d-byte key, %d-byte value): %v", len(k), len(v), err)
		}
		if got, found, err := b.GetValue(ctx, k); err != nil || !found || !bytes.Equal(got, v) {
			t.Fatalf("GetValue: found=%v %v", found, err)
		}
	})

	// A key asked for twice gets two results that do not share memory.
	t.Run("GetManyAliasing", func(t *testing.T) {
		b := newBackend(t, m.Addr)
		if err := b.Set(ctx, "dup", []byte("value"), time.Minute); err != nil {
			t.Fatal(err)
		}
		res, err := b.GetMany(ctx, []string{"dup", "absent", "dup"})
		if err != nil {
			t.Fatal(err)
		}
		if !res[0].Found || res[1].Found || !res[2].Found {
			t.Fatalf("GetMany = %+v", res)
		}
		res[0].Entry.Value[0] = 'X'
		if !bytes.Equal(res[2].Entry.Value, []byte("value")) {
			t.Errorf("the results of a repeated key share memory: %q", res[2].Entry.Value)
		}
	})
}

// A server whose item limit is below what the backend was told refuses the
// value itself; that is KindPayloadTooLarge too.
func TestServerItemLimit(t *testing.T) {
	t.Parallel()
	m := rig.StartMemcached(t, "-I", "1m")
	b := newBackend(t, m.Addr, memcached.WithMaxItemSize(2<<20))
	err := b.Set(context.Background(), "big", make([]byte, 1536<<10), time.Minute)
	if core.KindOf(err) != core.KindPayloadTooLarge {
		t.Errorf("Set(1.5 MiB) on a 1 MiB server: %v, want KindPayloadTooLarge", err)
	}
	if err := b.Set(context.Background(), "small", []byte("v"), time.Minute); err != nil {
		t.Errorf("Set after a refused value: %v", err)
	}
}

// With two servers, every key is stored on the one placement picks, and
// both servers get keys; the batch read gathers from both.
func TestTwoServers(t *testing.T) {
	t.Parallel()
	m1, m2 := rig.StartMemcached(t), rig.StartMemcached(t)
	b, err := memcached.New([]string{m1.Addr, m2.Addr})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	raw := map[string]*memcache.Client{m1.Addr: memcache.New(m1.Addr), m2.Addr: memcache.New(m2.Addr)}
	keys := make([]string, 40)
	perServer := map[string]int{}
	for i := range keys {
		keys[i] = "two:" + strings.Repeat("k", i%7) + string(rune('a'+i%26)) + strconv.Itoa(i)
		if err := b.Set(ctx, keys[i], []byte(keys[i]), time.Minute); err != nil {
			t.Fatal(err)
		}
		where := ""
		for addr, c := range raw {
			if _, err := c.Get(keys[i]); err == nil {
				if where != "" {
					t.Fatalf("%q is on both servers", keys[i])
				}
				where = addr
			}
		}
		a, _ := b.Client().Get(keys[i]) // through the backend's selector
		if where == "" || a == nil {
			t.Fatalf("%q is on no server", keys[i])
		}
		perServer[where]++
	}
	if len(perServer) != 2 {
		t.Errorf("keys per server: %v, want both used", perServer)
	}
	res, err := b.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if !r.Found || string(r.Entry.Value) != keys[i] {
			t.Errorf("GetMany[%d] = %+v", i, r)
		}
	}
}
