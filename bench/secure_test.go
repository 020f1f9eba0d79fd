package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/crypto"
	"github.com/cachekit-io/cachekit-go/l1/bigcache"
	"github.com/cachekit-io/cachekit-go/protocol"
)

// BenchmarkSecureL1Hit compares an encrypted L1 hit with a plaintext one
// through the client, for a 1 KiB value (goal: encryption adds ≤ 1 µs).
func BenchmarkSecureL1Hit(b *testing.B) {
	value := strings.Repeat("x", 1024)
	for _, mode := range []string{"plaintext", "encrypted"} {
		b.Run(mode+"/1KiB", func(b *testing.B) {
			ctx := context.Background()
			l1, err := bigcache.New(bigcache.WithMaxBytes(64 << 20))
			if err != nil {
				b.Fatal(err)
			}
			defer l1.Close()
			opts := []core.Option{core.WithCodec(protocol.Msgpack()), core.WithPreset(core.PresetMinimal)}
			if mode == "encrypted" {
				enc, err := crypto.NewFromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
				if err != nil {
					b.Fatal(err)
				}
				defer enc.Close()
				opts = []core.Option{core.WithCodec(protocol.Msgpack()), core.WithPreset(core.PresetSecure), core.WithEncryptor(enc)}
			}
			c, err := core.New(l1, opts...)
			if err != nil {
				b.Fatal(err)
			}
			if err := c.SetWithTTL(ctx, "v", value, time.Hour); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(value)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v, found, err := core.Get[string](ctx, c, "v")
				if err != nil || !found || len(v) != len(value) {
					b.Fatal(found, err)
				}
			}
		})
	}
}
