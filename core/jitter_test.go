package core_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// ttlOf is the remaining lifetime of a stored key (the mem clock stands
// still, so it is the TTL it was written with).
func ttlOf(t *testing.T, b *capBackend, key string) time.Duration {
	t.Helper()
	ttl, found, err := b.TTL(context.Background(), key)
	if err != nil || !found {
		t.Fatalf("TTL(%s) = %v, %v, %v", key, ttl, found, err)
	}
	return ttl
}

// With jitter every write stores a TTL in [ttl·(1−p), ttl], drawn per key;
// without it, exactly ttl.
func TestTTLJitter(t *testing.T) {
	ctx := context.Background()
	b := newCapBackend()
	c, err := core.New(b, core.WithCodec(jsonCodec{}), core.WithDefaultTTL(time.Hour), core.WithTTLJitter(20))
	if err != nil {
		t.Fatal(err)
	}
	items := map[string]any{}
	for i := range 50 {
		items["m"+strconv.Itoa(i)] = i
	}
	if err := c.SetMany(ctx, items); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := c.Set(ctx, "s"+strconv.Itoa(i), i); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := core.GetOrLoad(ctx, c, "g", func(context.Context) (int, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	distinct := map[time.Duration]bool{}
	for k := range items {
		for _, key := range []string{k, "s" + k[1:]} {
			ttl := ttlOf(t, b, key)
			if ttl < 48*time.Minute || ttl > time.Hour {
				t.Fatalf("%s stored for %v; want within [48m, 1h]", key, ttl)
			}
			distinct[ttl] = true
		}
	}
	if len(distinct) < 10 {
		t.Fatalf("only %d distinct TTLs over 100 writes: not jittered per key", len(distinct))
	}
	if ttl := ttlOf(t, b, "g"); ttl < 48*time.Minute || ttl > time.Hour {
		t.Fatalf("a GetOrLoad write-back stored for %v", ttl)
	}
	// TTLJitter(0) turns it off for one call; TTL still applies.
	if err := c.Set(ctx, "exact", 1, core.TTL(time.Minute), core.TTLJitter(0)); err != nil {
		t.Fatal(err)
	}
	if ttl := ttlOf(t, b, "exact"); ttl != time.Minute {
		t.Fatalf("TTLJitter(0) stored for %v; want exactly 1m", ttl)
	}
	// A client without jitter stores exactly the TTL.
	plain, _ := core.New(b, core.WithCodec(jsonCodec{}), core.WithDefaultTTL(time.Hour))
	if err := plain.Set(ctx, "p", 1); err != nil {
		t.Fatal(err)
	}
	if ttl := ttlOf(t, b, "p"); ttl != time.Hour {
		t.Fatalf("without jitter stored for %v; want 1h", ttl)
	}
}

func TestTTLJitterRejectsBadValues(t *testing.T) {
	for _, p := range []float64{-1, 50.5, 100} {
		if _, err := core.New(newMem(), core.WithCodec(jsonCodec{}), core.WithTTLJitter(p)); core.KindOf(err) != core.KindConfig {
			t.Errorf("WithTTLJitter(%v): %v; want KindConfig", p, err)
		}
		c, _ := core.New(newMem(), core.WithCodec(jsonCodec{}))
		if err := c.Set(context.Background(), "k", 1, core.TTLJitter(p)); core.KindOf(err) != core.KindInvalidInput {
			t.Errorf("TTLJitter(%v): %v; want KindInvalidInput", p, err)
		}
	}
}
