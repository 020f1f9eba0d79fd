package bench

import (
	"context"
	"testing"
	"time"

	rawbigcache "github.com/allegro/bigcache/v3"
	"github.com/shamaton/msgpack/v2"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/l1/bigcache"
	"github.com/cachekit-io/cachekit-go/protocol"
)

// Profile is a 5-field struct of about 100 bytes of MessagePack.
type Profile struct {
	ID      int64
	Name    string
	Email   string
	Active  bool
	Balance float64
}

var sample = Profile{ID: 123456789, Name: "Ada Lovelace", Email: "ada.lovelace@example.com", Active: true, Balance: 1234.5}

// BenchmarkL1Hit compares an L1 hit through core.Get[T] with a raw
// bigcache.Get plus the same MessagePack decode of the same bytes.
func BenchmarkL1Hit(b *testing.B) {
	ctx := context.Background()
	b.Run("client", func(b *testing.B) {
		c := newL1Client(b)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			v, found, err := core.Get[Profile](ctx, c, "profile:1")
			if err != nil || !found || v.ID != sample.ID {
				b.Fatal(v, found, err)
			}
		}
	})
	// raw: bigcache.Get plus the very decode the client runs (the protocol
	// codec: hostile-input guard, then shamaton/msgpack).
	b.Run("raw", func(b *testing.B) {
		codec := protocol.Msgpack()
		benchRaw(b, func(raw []byte, v *Profile) error { return codec.Unmarshal(raw, v) })
	})
	// raw-shamaton: bigcache.Get plus a bare shamaton decode, no guard: a
	// reference for what the guard costs.
	b.Run("raw-shamaton", func(b *testing.B) {
		benchRaw(b, func(raw []byte, v *Profile) error { return msgpack.Unmarshal(raw, v) })
	})
}

func benchRaw(b *testing.B, decode func([]byte, *Profile) error) {
	cfg := rawbigcache.DefaultConfig(time.Hour)
	cfg.HardMaxCacheSize = 64
	cfg.Verbose = false
	bc, err := rawbigcache.New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer bc.Close()
	data, err := protocol.Msgpack().Marshal(sample)
	if err != nil {
		b.Fatal(err)
	}
	if err := bc.Set("profile:1", data); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		raw, err := bc.Get("profile:1")
		if err != nil {
			b.Fatal(err)
		}
		var v Profile
		if err := decode(raw, &v); err != nil || v.ID != sample.ID {
			b.Fatal(v, err)
		}
	}
}

// newL1Client returns a client over a fresh bigcache L1 holding sample under
// "profile:1"; the L1 is closed when the benchmark ends.
func newL1Client(b *testing.B) *core.Client {
	b.Helper()
	l1, err := bigcache.New(bigcache.WithMaxBytes(64 << 20))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = l1.Close() })
	c, err := core.New(l1, core.WithCodec(protocol.Msgpack()), core.WithPreset(core.PresetMinimal))
	if err != nil {
		b.Fatal(err)
	}
	if err := c.SetWithTTL(context.Background(), "profile:1", sample, time.Hour); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkL1HitParallel is BenchmarkL1Hit/client under b.RunParallel.
func BenchmarkL1HitParallel(b *testing.B) {
	ctx := context.Background()
	c := newL1Client(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := core.Get[Profile](ctx, c, "profile:1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
