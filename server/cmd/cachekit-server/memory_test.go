package main

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/server"
)

// The built-in store is bounded by default (it was unbounded), the lock
// table gets its share of the bound, and the bounded store still holds a
// value of the largest size a PUT may send.
func TestDefaultMemoryBound(t *testing.T) {
	c, err := parseConfig(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.maxMemoryMB != defaultMaxMemoryMB || c.maxInflightMB != server.DefaultMaxBodyBytesInFlight>>20 || c.lockQuota != server.DefaultLockQuota {
		t.Fatalf("defaults: max-memory %d MiB, max-inflight %d MiB, lock quota %d", c.maxMemoryMB, c.maxInflightMB, c.lockQuota)
	}
	store, locks := memoryBudget(c)
	if store <= 0 || locks <= 0 || store+locks != defaultMaxMemoryMB<<20 {
		t.Fatalf("budget: store %d, locks %d", store, locks)
	}
	b, err := newStorage(c)
	if err != nil {
		t.Fatal(err)
	}
	// Fill it with values of the largest size: the heap it holds stays
	// within its share of the bound (bigcache's per-shard entry buffers
	// included).
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	big := bytes.Repeat([]byte{1}, server.DefaultMaxValueBytes+17)
	for i := range 24 {
		if err := b.Set(context.Background(), fmt.Sprintf("k%d", i), big, time.Minute); err != nil {
			t.Fatalf("a value of -max-value-bytes in the default bound: %v", err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc) - int64(len(big)); grew > store {
		t.Fatalf("the default store holds %d MiB after 24 values of 25 MiB, over its bound of %d MiB", grew>>20, store>>20)
	}
	runtime.KeepAlive(b)
	if _, err := parseConfig([]string{"-max-memory", "20"}, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	c.maxMemoryMB = 20
	if _, err := newStorage(c); err == nil {
		t.Fatal("a bound with no room for one largest value was accepted")
	}
	for _, args := range [][]string{{"-max-inflight-mb", "0"}, {"-lock-quota", "0"}} {
		if _, err := parseConfig(args, func(string) string { return "" }); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
