package examples

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/crypto"
	"github.com/cachekit-io/cachekit-go/l1/bigcache"
	"github.com/cachekit-io/cachekit-go/protocol"
)

const (
	masterHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	otherHex  = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
)

type secret struct {
	Card  string
	Owner string
}

const plaintextMarker = "4111-1111-1111-1111"

func newL1(t *testing.T) *bigcache.Backend {
	t.Helper()
	l1, err := bigcache.New(bigcache.WithMaxBytes(8 << 20))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l1.Close() })
	return l1
}

func newEncryptor(t *testing.T, hexKey string, opts ...crypto.Option) *crypto.Encryptor {
	t.Helper()
	e, err := crypto.NewFromHex(hexKey, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func newSecure(t *testing.T, b core.Backend, enc core.Encryptor, codec core.Codec, opts ...core.Option) *core.Client {
	t.Helper()
	c, err := core.New(b, append([]core.Option{core.WithPreset(core.PresetSecure), core.WithCodec(codec), core.WithEncryptor(enc)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// With encryption on, the raw bytes in the L1 hold no plaintext, for both
// CacheKit codecs; and the client still reads its values back.
func TestSecureClientStoresOnlyCiphertext(t *testing.T) {
	ctx := context.Background()
	for name, codec := range map[string]core.Codec{"msgpack": protocol.Msgpack(), "envelope": protocol.Envelope()} {
		t.Run(name, func(t *testing.T) {
			l1 := newL1(t)
			c := newSecure(t, l1, newEncryptor(t, masterHex), codec, core.WithNamespace("cards"))
			v := secret{Card: plaintextMarker, Owner: "Ada " + strings.Repeat("Lovelace ", 20)}
			if err := c.Set(ctx, "1", v, core.TTL(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if _, err := core.GetOrLoad(ctx, c, "2", func(context.Context) (secret, error) { return v, nil }); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"ns:cards:1", "ns:cards:2"} {
				e, found, err := l1.Get(ctx, k)
				if err != nil || !found {
					t.Fatalf("raw %s: found=%v err=%v", k, found, err)
				}
				for _, needle := range []string{plaintextMarker, "Lovelace", "Card", "Owner"} {
					if bytes.Contains(e.Value, []byte(needle)) {
						t.Fatalf("raw L1 bytes of %s contain plaintext %q", k, needle)
					}
				}
				plainLen, _ := codec.Marshal(v)
				if len(e.Value) != len(plainLen)+core.EncryptionOverhead {
					t.Errorf("raw %s is %d bytes; want plaintext %d + %d", k, len(e.Value), len(plainLen), core.EncryptionOverhead)
				}
			}
			got, found, err := core.Get[secret](ctx, c, "1")
			if err != nil || !found || got != v {
				t.Fatalf("secure read back: %v %v %v", got, found, err)
			}
		})
	}
}

// Ciphertext moved to another key, namespace or tenant, or read with another
// key, fails closed: Get returns a typed encryption error — never a miss,
// never plaintext — and GetOrLoad treats it as a miss that the loader's
// value replaces. A plaintext entry read by a secure client fails closed too.
func TestSecureClientFailsClosed(t *testing.T) {
	ctx := context.Background()
	l1 := newL1(t)
	enc := newEncryptor(t, masterHex)
	a := newSecure(t, l1, enc, protocol.Envelope(), core.WithNamespace("a"))
	if err := a.Set(ctx, "k", secret{Card: plaintextMarker}, core.TTL(time.Minute)); err != nil {
		t.Fatal(err)
	}
	raw, _, _ := l1.Get(ctx, "ns:a:k")

	expectEncErr := func(t *testing.T, c *core.Client, key string) {
		t.Helper()
		v, found, err := core.Get[secret](ctx, c, key)
		if !errors.Is(err, core.ErrEncryption) || found || v.Card != "" {
			t.Fatalf("want a fail-closed encryption error, got found=%v v=%v err=%v", found, v, err)
		}
		if !errors.Is(err, crypto.ErrAuthentication) {
			t.Fatalf("cause is not an authentication failure: %v", err)
		}
		// GetOrLoad treats a value it cannot authenticate as a miss (issue
		// 23, self-healing reads): the loader's value, never the bytes.
		healed := c.Stats().SelfHealed
		v, err = core.GetOrLoad(ctx, c, key, func(context.Context) (secret, error) { return secret{Card: "loaded"}, nil })
		if err != nil || v.Card != "loaded" || c.Stats().SelfHealed != healed+1 {
			t.Fatalf("GetOrLoad over a value that fails authentication: %v, %v; want the loader's value, counted as healed", v, err)
		}
	}

	t.Run("other key", func(t *testing.T) {
		_ = l1.Set(ctx, "ns:a:other", raw.Value, time.Minute)
		expectEncErr(t, a, "other")
	})
	t.Run("other namespace", func(t *testing.T) {
		_ = l1.Set(ctx, "ns:b:k", raw.Value, time.Minute)
		b, _ := a.Namespace("b")
		expectEncErr(t, b, "k")
	})
	t.Run("other tenant", func(t *testing.T) {
		other := newSecure(t, l1, newEncryptor(t, masterHex, crypto.WithTenant("tenant-2")), protocol.Envelope(), core.WithNamespace("a"))
		expectEncErr(t, other, "k")
	})
	t.Run("other master key", func(t *testing.T) {
		other := newSecure(t, l1, newEncryptor(t, otherHex), protocol.Envelope(), core.WithNamespace("a"))
		expectEncErr(t, other, "k")
	})
	t.Run("other codec binding", func(t *testing.T) {
		other := newSecure(t, l1, enc, protocol.Msgpack(), core.WithNamespace("a"))
		expectEncErr(t, other, "k")
	})
	t.Run("bit flips", func(t *testing.T) {
		for i := 0; i < len(raw.Value)*8; i += 7 {
			flipped := bytes.Clone(raw.Value)
			flipped[i/8] ^= 1 << (i % 8)
			_ = l1.Set(ctx, "ns:a:flip", flipped, time.Minute)
			expectEncErr(t, a, "flip")
		}
	})
	t.Run("truncated", func(t *testing.T) {
		for _, n := range []int{0, 1, 27, 28, len(raw.Value) - 1} {
			_ = l1.Set(ctx, "ns:a:short", raw.Value[:n], time.Minute)
			expectEncErr(t, a, "short")
		}
	})
	t.Run("plaintext entry", func(t *testing.T) {
		plain, err := core.New(l1, core.WithCodec(protocol.Envelope()), core.WithNamespace("a"))
		if err != nil {
			t.Fatal(err)
		}
		_ = plain.Set(ctx, "plain", secret{Card: plaintextMarker}, core.TTL(time.Minute))
		expectEncErr(t, a, "plain")
	})
}

// Rotation: values written under the old key still read after the key
// rotates; new writes use the new key.
func TestSecureClientKeyRotation(t *testing.T) {
	ctx := context.Background()
	l1 := newL1(t)
	old := newSecure(t, l1, newEncryptor(t, masterHex), protocol.Envelope())
	_ = old.Set(ctx, "k", "before rotation", core.TTL(time.Minute))

	rotated := newSecure(t, l1, newEncryptor(t, otherHex, crypto.WithPreviousKeysHex(masterHex)), protocol.Envelope())
	v, found, err := core.Get[string](ctx, rotated, "k")
	if err != nil || !found || v != "before rotation" {
		t.Fatalf("old entry after rotation: %q %v %v", v, found, err)
	}
	_ = rotated.Set(ctx, "k2", "after rotation", core.TTL(time.Minute))
	if _, _, err := core.Get[string](ctx, old, "k2"); !errors.Is(err, core.ErrEncryption) {
		t.Fatalf("a client without the new key read a new entry: %v", err)
	}
}

// No key material in anything printable.
func TestSecureClientPrintsNoKeys(t *testing.T) {
	enc := newEncryptor(t, masterHex)
	c := newSecure(t, newL1(t), enc, protocol.Envelope())
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		out := fmt.Sprintf(f, enc) + fmt.Sprintf(f, c)
		if strings.Contains(out, masterHex[:16]) || strings.Contains(out, "0001020304") {
			t.Fatalf("%s prints key material: %s", f, out)
		}
	}
}
