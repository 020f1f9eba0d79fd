package core_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// The documented wire form of a negative entry.
var absentWire = []byte{0xC1, 0x00, 'A', 'B', 'S', 'E', 'N', 'T'}

func TestNegativeCachingGetOrLoad(t *testing.T) {
	ctx := context.Background()
	b := newCapBackend()
	c, err := core.New(b, core.WithCodec(jsonCodec{}), core.WithNegativeCache(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	loads := 0
	missingRow := func(context.Context) (string, error) {
		loads++
		return "", fmt.Errorf("user 7: %w", core.ErrAbsent)
	}
	for range 3 {
		_, err := core.GetOrLoad(ctx, c, "user:7", missingRow)
		if !errors.Is(err, core.ErrAbsent) || core.KindOf(err) != core.KindAbsent {
			t.Fatalf("GetOrLoad of a missing row = %v; want ErrAbsent", err)
		}
	}
	if loads != 1 {
		t.Fatalf("the loader ran %d times; want 1 (the absence is cached)", loads)
	}
	raw, _ := b.raw("user:7")
	if !bytes.Equal(raw, absentWire) {
		t.Fatalf("negative entry stored as %x; want %x", raw, absentWire)
	}
	if ttl := ttlOf(t, b, "user:7"); ttl != 30*time.Second {
		t.Fatalf("negative entry TTL %v; want 30s", ttl)
	}
	// Distinguishable on read: Get says not found with ErrAbsent, GetMany
	// leaves it out, a stored value next to it is read as usual.
	if _, found, err := core.Get[string](ctx, c, "user:7"); found || err != core.ErrAbsent {
		t.Fatalf("Get of a negative entry = %v, %v; want not found, ErrAbsent", found, err)
	}
	_ = c.Set(ctx, "user:8", "Ada")
	m, err := core.GetMany[string](ctx, c, []string{"user:7", "user:8"})
	if err != nil || len(m) != 1 || m["user:8"] != "Ada" {
		t.Fatalf("GetMany = %v, %v; want only user:8", m, err)
	}
	// A Set replaces the negative entry.
	_ = c.Set(ctx, "user:7", "Grace")
	if v, err := core.GetOrLoad(ctx, c, "user:7", missingRow); err != nil || v != "Grace" {
		t.Fatalf("after Set: %q, %v", v, err)
	}
}

// Off by default: ErrAbsent is returned as the loader's error, nothing is
// stored; CacheAbsent turns it on for one call, CacheAbsent(0) off.
func TestNegativeCachingPerCall(t *testing.T) {
	ctx := context.Background()
	b := newCapBackend()
	c, err := core.New(b, core.WithCodec(jsonCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	absent := func(context.Context) (int, error) { return 0, core.ErrAbsent }
	if _, err := core.GetOrLoad(ctx, c, "k", absent); err != core.ErrAbsent {
		t.Fatalf("default: %v", err)
	}
	if _, found := b.raw("k"); found {
		t.Fatal("negative caching is on by default")
	}
	if _, err := core.GetOrLoad(ctx, c, "k", absent, core.CacheAbsent(5*time.Second)); err != core.ErrAbsent {
		t.Fatalf("CacheAbsent: %v", err)
	}
	if raw, _ := b.raw("k"); !bytes.Equal(raw, absentWire) {
		t.Fatal("CacheAbsent did not store a negative entry")
	}
	nc, _ := core.New(b, core.WithCodec(jsonCodec{}), core.WithNegativeCache(time.Minute))
	if _, err := core.GetOrLoad(ctx, nc, "k2", absent, core.CacheAbsent(0)); err != core.ErrAbsent {
		t.Fatal(err)
	}
	if _, found := b.raw("k2"); found {
		t.Fatal("CacheAbsent(0) still stored a negative entry")
	}
	for _, bad := range []time.Duration{-time.Second, 2 * core.MaxNegativeTTL} {
		if _, err := core.GetOrLoad(ctx, c, "k", absent, core.CacheAbsent(bad)); core.KindOf(err) != core.KindInvalidInput {
			t.Errorf("CacheAbsent(%v): %v; want KindInvalidInput", bad, err)
		}
		if _, err := core.New(b, core.WithCodec(jsonCodec{}), core.WithNegativeCache(bad)); core.KindOf(err) != core.KindConfig {
			t.Errorf("WithNegativeCache(%v): %v; want KindConfig", bad, err)
		}
	}
	if err := c.Set(ctx, "k", 1, core.CacheAbsent(time.Second)); core.KindOf(err) != core.KindInvalidInput {
		t.Errorf("Set with CacheAbsent: %v; want KindInvalidInput", err)
	}
}

// GetOrLoadMany stores the keys the loader leaves out as negative entries
// and does not ask for them again.
func TestNegativeCachingGetOrLoadMany(t *testing.T) {
	ctx := context.Background()
	b := newCapBackend()
	c, err := core.New(b, core.WithCodec(jsonCodec{}), core.WithNegativeCache(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	l := &countingLoader{absent: map[int]bool{2: true}}
	for range 2 {
		got, err := core.GetOrLoadMany(ctx, c, []int{1, 2, 3}, userKey, l.load)
		if err != nil || len(got) != 2 || got[1] != "u1" || got[3] != "u3" {
			t.Fatalf("GetOrLoadMany = %v, %v", got, err)
		}
	}
	if len(l.batches) != 1 {
		t.Fatalf("loader batches %v; want one (key 2 cached as absent)", l.batches)
	}
	if raw, _ := b.raw(userKey(2)); !bytes.Equal(raw, absentWire) {
		t.Fatalf("key 2 stored as %x", raw)
	}
	if _, err := core.GetOrLoad(ctx, c, userKey(2), func(context.Context) (string, error) { return "x", nil }); err != core.ErrAbsent {
		t.Fatalf("GetOrLoad of a key GetOrLoadMany cached as absent: %v", err)
	}
}

// Under encryption a negative entry is sealed like any value (never stored
// in the clear) and still read back as ErrAbsent.
func TestNegativeCachingEncrypted(t *testing.T) {
	ctx := context.Background()
	b := newCapBackend()
	c, err := core.New(b, core.WithCodec(jsonCodec{}), core.WithEncryptor(&xorEncryptor{}), core.WithNegativeCache(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	loads := 0
	for range 2 {
		_, err := core.GetOrLoad(ctx, c, "gone", func(context.Context) (string, error) { loads++; return "", core.ErrAbsent })
		if err != core.ErrAbsent {
			t.Fatalf("GetOrLoad = %v; want ErrAbsent", err)
		}
	}
	if loads != 1 {
		t.Fatalf("loads = %d; want 1", loads)
	}
	raw, _ := b.raw("gone")
	if len(raw) == 0 || bytes.Equal(raw, absentWire) {
		t.Fatalf("the negative entry is stored as %x; want it sealed", raw)
	}
}
