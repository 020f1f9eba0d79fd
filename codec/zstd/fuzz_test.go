package zstd_test

import (
	"bytes"
	"testing"

	"github.com/cachekit-io/cachekit-go/codec/zstd"
	"github.com/cachekit-io/cachekit-go/core"
)

// FuzzUnmarshal feeds hostile bytes, zstd bombs among them (the seeds hold
// one), to a codec bounded at 1 MiB: every failure is a typed *core.Error,
// nothing panics, and nothing decoded is longer than the bound.
func FuzzUnmarshal(f *testing.F) {
	seed := mustNew(f, nil, zstd.WithThreshold(0))
	for _, v := range []any{"a string", []byte("bytes"), map[string]any{"k": []any{1, 2.5, true, nil}}, compressible(4096)} {
		b, err := seed.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(bomb(f, 8<<20, false))
	f.Add(bomb(f, 8<<20, true))
	c := mustNew(f, nil).(core.MaxSizer).WithMaxSize(1 << 20)
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		err := c.Unmarshal(data, &v)
		if err != nil {
			if k := core.KindOf(err); k != core.KindSerialization && k != core.KindPayloadTooLarge {
				t.Fatalf("kind %v: %v", k, err)
			}
			return
		}
		if b, ok := v.([]byte); ok && len(b) > 1<<20 {
			t.Fatalf("decoded %d bytes past the 1 MiB bound", len(b))
		}
	})
}

// FuzzRoundTrip checks that every byte string reads back as written,
// compressed or not.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("short"), uint16(0))
	f.Add(bytes.Repeat([]byte("abc"), 1000), uint16(16))
	f.Fuzz(func(t *testing.T, value []byte, threshold uint16) {
		c := mustNew(t, nil, zstd.WithThreshold(int(threshold)))
		b, err := c.Marshal(value)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		if err := c.Unmarshal(b, &got); err != nil || !bytes.Equal(got, value) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
