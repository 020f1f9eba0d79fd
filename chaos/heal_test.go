package chaos_test

import (
	"context"
	"strings"
	"testing"
	"time"

	redis "github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/crypto"
	"github.com/cachekit-io/cachekit-go/protocol"
	goredis "github.com/redis/go-redis/v9"
)

const (
	masterHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
)

// Self-healing reads over Redis (issue 23, item 5): a value written to
// Redis that this client cannot read is a miss for GetOrLoad, which
// replaces it with the loader's value, and an error for Get.
func TestSelfHealingReadsOverRedis(t *testing.T) {
	r := rig.StartRedis(t)
	ctx := context.Background()
	raw := goredis.NewClient(&goredis.Options{Addr: r.Addr})
	defer raw.Close()
	newClient := func(tenant string) *core.Client {
		t.Helper()
		rb, err := redis.New(redis.Options{URL: r.URL()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rb.Close() })
		opts := []core.Option{core.WithCodec(protocol.Msgpack()), core.WithPreset(core.PresetProduction)}
		if tenant != "" {
			enc, err := crypto.NewFromHex(masterHex, crypto.WithTenant(tenant))
			if err != nil {
				t.Fatal(err)
			}
			opts = append(opts, core.WithEncryptor(enc))
		}
		c, err := core.New(rb, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	plain, acme, other := newClient(""), newClient("acme"), newClient("globex")

	type user struct {
		ID   int
		Name string
	}
	for _, tc := range []struct {
		name   string
		c      *core.Client
		spoil  func(key string)
		reader *core.Client
		kind   core.Kind
	}{
		{"truncated frame", plain, func(k string) {
			b, _ := raw.Get(ctx, k).Bytes()
			raw.Set(ctx, k, b[:len(b)/2], time.Hour)
		}, plain, core.KindSerialization},
		{"flipped ciphertext byte", acme, func(k string) {
			b, _ := raw.Get(ctx, k).Bytes()
			b[len(b)-5] ^= 0x40
			raw.Set(ctx, k, b, time.Hour)
		}, acme, core.KindEncryption},
		// globex's ciphertext under the key acme reads.
		{"wrong-tenant ciphertext", other, func(string) {}, acme, core.KindEncryption},
		// A frame of an SDK whose format this one does not speak (a Python
		// pickle, protocol 4).
		{"foreign-SDK frame", plain, func(k string) {
			raw.Set(ctx, k, []byte("\x80\x04\x95\x11\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x02id\x94K\x07s."), time.Hour)
		}, plain, core.KindSerialization},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := "heal:" + strings.ReplaceAll(tc.name, " ", "-")
			if err := tc.c.Set(ctx, key, user{7, "old"}); err != nil {
				t.Fatal(err)
			}
			tc.spoil(key)
			_, _, err := core.Get[user](ctx, tc.reader, key)
			if core.KindOf(err) != tc.kind {
				t.Fatalf("Get of the spoiled value: %v, want %v", err, tc.kind)
			}
			before := tc.reader.Stats().SelfHealed
			u, err := core.GetOrLoad(ctx, tc.reader, key, func(context.Context) (user, error) { return user{7, "fresh"}, nil })
			if err != nil || u.Name != "fresh" {
				t.Fatalf("GetOrLoad = %+v, %v; want the loader's value", u, err)
			}
			if n := tc.reader.Stats().SelfHealed - before; n != 1 {
				t.Fatalf("SelfHealed grew by %d, want 1", n)
			}
			// The loader's value replaced the bad one in Redis.
			u, found, err := core.Get[user](ctx, tc.reader, key)
			if err != nil || !found || u.Name != "fresh" {
				t.Fatalf("Get after healing = %+v, %v, %v", u, found, err)
			}
		})
	}
}
