package zstd_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/codec/zstd"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/protocol"
	kzstd "github.com/klauspost/compress/zstd"
)

type doc struct {
	Title string   `msgpack:"title" json:"title"`
	Lines []string `msgpack:"lines" json:"lines"`
}

func compressible(n int) doc {
	d := doc{Title: "report"}
	for i := 0; len(d.Lines)*40 < n; i++ {
		d.Lines = append(d.Lines, "the same line of text, over and over "+string(rune('a'+i%26)))
	}
	return d
}

func mustNew(t testing.TB, inner core.Codec, opts ...zstd.Option) core.Codec {
	t.Helper()
	c, err := zstd.New(inner, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Large values are compressed, small ones are stored as the inner codec
// wrote them, both behind the header; both read back.
func TestRoundTripAndThreshold(t *testing.T) {
	for name, inner := range map[string]core.Codec{"msgpack (nil)": nil, "json": protocol.JSON()} {
		t.Run(name, func(t *testing.T) {
			c := mustNew(t, inner)
			ref := inner
			if ref == nil {
				ref = protocol.Msgpack()
			}
			if c.Format() != ref.Format() || !c.Compressed() {
				t.Fatalf("tokens %q %v", c.Format(), c.Compressed())
			}
			big := compressible(64 << 10)
			b, err := c.Marshal(big)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := ref.Marshal(big)
			if !bytes.HasPrefix(b, []byte(zstd.Magic)) || b[2] != zstd.MethodZstd || len(b) >= len(raw)/4 {
				t.Fatalf("64 KiB compressible value: %d bytes (method %d) from %d", len(b), b[2], len(raw))
			}
			var got doc
			if err := c.Unmarshal(b, &got); err != nil || got.Title != big.Title || len(got.Lines) != len(big.Lines) {
				t.Fatalf("Unmarshal: %v", err)
			}
			small := doc{Title: "x"}
			b, err = c.Marshal(small)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ = ref.Marshal(small)
			if b[2] != zstd.MethodNone || !bytes.Equal(b[3:], raw) {
				t.Fatalf("small value: % x, want the header then % x", b, raw)
			}
			got = doc{}
			if err := c.Unmarshal(b, &got); err != nil || got.Title != "x" {
				t.Fatalf("Unmarshal small: %v", err)
			}
		})
	}
}

// A value zstd does not shrink is stored uncompressed even above the
// threshold.
func TestIncompressibleStaysRaw(t *testing.T) {
	c := mustNew(t, nil, zstd.WithThreshold(0))
	noise := make([]byte, 4096)
	x := uint64(0x9e3779b97f4a7c15)
	for i := range noise {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		noise[i] = byte(x)
	}
	b, err := c.Marshal(noise)
	if err != nil {
		t.Fatal(err)
	}
	if b[2] != zstd.MethodNone {
		t.Fatalf("method %d for random bytes, want %d", b[2], zstd.MethodNone)
	}
	var got []byte
	if err := c.Unmarshal(b, &got); err != nil || !bytes.Equal(got, noise) {
		t.Fatalf("Unmarshal: %v", err)
	}
}

// Interop mode keeps the wire MessagePack: wrapping an interop codec is
// refused, as are bad options.
func TestRefusesInteropAndBadOptions(t *testing.T) {
	for name, inner := range map[string]core.Codec{
		"Msgpack":       protocol.Msgpack(),
		"InteropV2":     protocol.InteropV2(),
		"Msgpack-limit": protocol.Msgpack().(core.MaxSizer).WithMaxSize(100),
	} {
		_, err := zstd.New(inner)
		if core.KindOf(err) != core.KindConfig || !strings.Contains(err.Error(), "interop") {
			t.Errorf("%s: %v, want a KindConfig interop refusal", name, err)
		}
	}
	for name, o := range map[string]zstd.Option{
		"negative threshold": zstd.WithThreshold(-1),
		"level 0":            zstd.WithLevel(0),
		"level 23":           zstd.WithLevel(23),
	} {
		if _, err := zstd.New(nil, o); core.KindOf(err) != core.KindConfig {
			t.Errorf("%s: %v, want KindConfig", name, err)
		}
	}
	// Wrapping the codec again is not interop mode.
	if _, err := zstd.New(mustNew(t, nil)); err != nil {
		t.Errorf("zstd over zstd(nil): %v", err)
	}
}

// bomb is one zstd frame of n zero bytes: a few hundred bytes on the wire.
func bomb(t testing.TB, n int, withSize bool) []byte {
	enc, err := kzstd.NewWriter(nil, kzstd.WithEncoderLevel(kzstd.SpeedBestCompression))
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, n)
	var frame []byte
	if withSize {
		frame = enc.EncodeAll(zeros, nil)
	} else {
		var buf bytes.Buffer
		w, _ := kzstd.NewWriter(&buf, kzstd.WithEncoderLevel(kzstd.SpeedBestCompression))
		_, _ = w.Write(zeros)
		_ = w.Close()
		frame = buf.Bytes()
	}
	return append([]byte(zstd.Magic+"\x01"), frame...)
}

// A zstd bomb hits the codec's limit before its output grows past it,
// whether the frame declares its size or not; through a client, the limit
// is the client's payload limit.
func TestBombIsBounded(t *testing.T) {
	const limit = 1 << 20
	c := mustNew(t, nil).(core.MaxSizer).WithMaxSize(limit)
	for name, data := range map[string][]byte{
		"declared size": bomb(t, 64<<20, true),
		"streamed":      bomb(t, 64<<20, false),
	} {
		t.Run(name, func(t *testing.T) {
			if len(data) > 8<<10 {
				t.Fatalf("the bomb is %d bytes: not a bomb", len(data))
			}
			var before, after runtimeMem
			before.read()
			var v any
			err := c.Unmarshal(data, &v)
			after.read()
			if core.KindOf(err) != core.KindPayloadTooLarge {
				t.Fatalf("%v, want KindPayloadTooLarge", err)
			}
			if grown := after.total - before.total; grown > 16<<20 {
				t.Fatalf("the decode allocated %d bytes for a 1 MiB limit", grown)
			}
		})
	}
	// Within the limit, the same kind of frame decodes.
	var v []byte
	small := mustNew(t, nil, zstd.WithThreshold(0))
	b, _ := small.Marshal(make([]byte, limit/2))
	if err := c.Unmarshal(b, &v); err != nil || len(v) != limit/2 {
		t.Fatalf("a value within the limit: %v", err)
	}

	// The client hands its payload limit to the codec.
	cl, err := core.New(newMap(), core.WithCodec(mustNew(t, nil)), core.WithMaxPayload(limit))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	m := cl.Backend().(*mapBackend)
	if err := cl.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	if len(m.m) != 1 {
		t.Fatalf("%d entries after one Set", len(m.m))
	}
	for k := range m.m {
		m.m[k] = bomb(t, 64<<20, false) // the stored value, replaced by a bomb
	}
	m.mu.Unlock()
	if _, _, err := core.Get[any](ctx, cl, "k"); core.KindOf(err) != core.KindPayloadTooLarge {
		t.Fatalf("client Get of a bomb: %v, want KindPayloadTooLarge", err)
	}
}

func TestMarshalRespectsMaxSize(t *testing.T) {
	c := mustNew(t, nil).(core.MaxSizer).WithMaxSize(100)
	if _, err := c.Marshal(strings.Repeat("a", 200)); core.KindOf(err) != core.KindPayloadTooLarge {
		t.Fatalf("%v, want KindPayloadTooLarge", err)
	}
}

func TestCorruptInputIsTyped(t *testing.T) {
	c := mustNew(t, nil)
	good, _ := mustNew(t, nil, zstd.WithThreshold(0)).Marshal(compressible(4096))
	var v any
	for name, data := range map[string][]byte{
		"empty":          nil,
		"no header":      []byte{0x81, 0xa1, 'a', 1},
		"short":          []byte{0xc1},
		"unknown method": append([]byte(zstd.Magic+"\x07"), good[3:]...),
		"empty payload":  []byte(zstd.Magic + "\x01"),
		"truncated":      good[:len(good)/2],
		"flipped":        flip(good, len(good)/2),
	} {
		err := c.Unmarshal(data, &v)
		if k := core.KindOf(err); k != core.KindSerialization {
			t.Errorf("%s: %v (kind %v), want KindSerialization", name, err, k)
		}
		var ce *core.Error
		if !errors.As(err, &ce) {
			t.Errorf("%s: %T is not a *core.Error", name, err)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0xff
	return c
}

// The codec is used from many goroutines at once.
func TestConcurrentUse(t *testing.T) {
	c := mustNew(t, nil).(core.MaxSizer).WithMaxSize(1 << 20)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				in := compressible(2048 + 97*(g+i))
				b, err := c.Marshal(in)
				if err != nil {
					t.Error(err)
					return
				}
				var out doc
				if err := c.Unmarshal(b, &out); err != nil || len(out.Lines) != len(in.Lines) {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// mapBackend is a minimal core.Backend for the client test.
type mapBackend struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newMap() *mapBackend { return &mapBackend{m: map[string][]byte{}} }

func (b *mapBackend) Get(_ context.Context, k string) (core.Entry, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.m[k]
	return core.Entry{Value: bytes.Clone(v)}, ok, nil
}

func (b *mapBackend) Set(_ context.Context, k string, v []byte, _ time.Duration) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m[k] = bytes.Clone(v)
	return nil
}

func (b *mapBackend) Delete(_ context.Context, k string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, k)
	return nil
}

func (b *mapBackend) Exists(_ context.Context, k string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.m[k]
	return ok, nil
}

func (b *mapBackend) Health(context.Context) error { return nil }
