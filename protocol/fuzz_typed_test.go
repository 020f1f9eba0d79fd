package protocol

import (
	"bytes"
	"errors"
	"reflect"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// The typed fuzz targets: what a remote party can make a typed decode do,
// and what the interop key builder makes of arguments a remote party chose.
// Seed corpora live in testdata/fuzz/<FuzzName>/.

// fuzzInner and fuzzDoc are the struct shapes the typed decode is fuzzed
// with: nested slices and maps, bytes, times, interfaces and pointers.
type fuzzInner struct {
	A []byte
	M map[string][]float64
	N *int32
}

type fuzzDoc struct {
	Name   string
	Count  int64
	Tags   []string
	Attrs  map[string]uint16
	Nested []fuzzInner
	ByKey  map[string]fuzzInner
	When   time.Time
	Any    any
	Ptr    *fuzzInner
	Grid   [][]int8
	Flag   bool `msgpack:"f,omitempty"`
}

// typedTargets returns fresh pointers to every target type the typed fuzz
// decodes into. [][64]byte is there for the allocation bound: each nil it
// is fed costs 64 bytes of output.
func typedTargets() []any {
	return []any{
		new(fuzzDoc), new([]fuzzDoc), new(map[string]fuzzDoc),
		new([]byte), new(string), new(time.Time), new(Date), new(TimeOfDay),
		new(any), new(map[string]any), new([]any),
		new([][64]byte), new(map[string]*fuzzInner), new(*time.Time),
	}
}

// mustKind fails unless err is nil or a *core.Error with a Kind.
func mustKind(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ce *core.Error
	if !errors.As(err, &ce) {
		t.Fatalf("%s: unclassified error %T %v", what, err, err)
	}
	if core.KindOf(err) == core.KindUnknown {
		t.Fatalf("%s: error of KindUnknown: %v", what, err)
	}
}

// allocBound is the most a typed decode of n input bytes may allocate in
// these targets: every declared element carries at least one input byte
// and the largest element any target type holds is well under 1 KiB, so a
// decode grows linearly, far below MaxDecodeAlloc.
func allocBound(n int) uint64 { return 8<<20 + 2048*uint64(n) }

// totalAlloc is the process's cumulative heap allocation (read without
// stopping the world, unlike runtime.ReadMemStats).
func totalAlloc() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// checkTypedRoundTrip decodes data with c into every target type and
// checks, for each, that a refusal is classified and that whatever decoded
// re-encodes canonically: Marshal, Unmarshal, Marshal again gives the same
// bytes. It returns, per target, whether the decode succeeded and the
// first encoding (nil if the decode or the Marshal failed).
func checkTypedRoundTrip(t *testing.T, c core.Codec, data []byte) (ok []bool, encs [][]byte) {
	t.Helper()
	for _, v := range typedTargets() {
		name := reflect.TypeOf(v).Elem().String()
		err := c.Unmarshal(data, v)
		mustKind(t, "unmarshal into "+name, err)
		ok = append(ok, err == nil)
		if err != nil {
			encs = append(encs, nil)
			continue
		}
		enc1, err := c.Marshal(reflect.ValueOf(v).Elem().Interface())
		// A decoded value Marshal refuses (a time outside years 1-9999, a
		// non-string map key in an interface) must say why, typed.
		mustKind(t, "marshal of decoded "+name, err)
		if err != nil {
			encs = append(encs, nil)
			continue
		}
		v2 := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		if err := c.Unmarshal(enc1, v2); err != nil {
			t.Fatalf("%s: Marshal's own output does not decode: %v\n%x", name, err, enc1)
		}
		enc2, err := c.Marshal(reflect.ValueOf(v2).Elem().Interface())
		if err != nil {
			t.Fatalf("%s: re-decoded value does not encode: %v", name, err)
		}
		// Ext values are the exception: writers never emit ext types, so
		// Marshal writes an Ext as the struct it is, a map that then
		// decodes as a map (its keys re-sorted).
		if !bytes.Equal(enc1, enc2) && !holdsExt(reflect.ValueOf(v)) {
			t.Fatalf("%s: encoding is not stable across a round trip:\n%x\n%x", name, enc1, enc2)
		}
		encs = append(encs, enc1)
	}
	return ok, encs
}

// holdsExt reports whether v holds an Ext anywhere.
func holdsExt(v reflect.Value) bool {
	if !v.IsValid() {
		return false
	}
	if v.Type() == reflect.TypeFor[Ext]() {
		return true
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && holdsExt(v.Elem())
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if holdsExt(v.Index(i)) {
				return true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if holdsExt(it.Key()) || holdsExt(it.Value()) {
				return true
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if holdsExt(v.Field(i)) {
				return true
			}
		}
	}
	return false
}

// FuzzUnmarshalTyped decodes arbitrary bytes as plain MessagePack into
// struct, slice, map, []byte, string, time and interface targets. Nothing
// panics; refusals are *core.Error values with a Kind; a decode allocates
// at most linearly in its input; anything that decodes re-encodes to bytes
// that decode and re-encode identically. The same document sealed in the
// ByteStorage envelope and in an interop-v2 container decodes exactly as
// the plain document does.
func FuzzUnmarshalTyped(f *testing.F) {
	seeds := []any{
		fuzzDoc{Name: "a", Count: -3, Tags: []string{"x", ""}, Attrs: map[string]uint16{"k": 7},
			Nested: []fuzzInner{{A: []byte{1, 2}, M: map[string][]float64{"p": {1.5, -0.25}}}},
			When:   time.Date(2024, 2, 29, 12, 30, 0, 123456000, time.FixedZone("", 3600)),
			Any:    map[string]any{"n": int64(1), "l": []any{"s", true, nil}}, Grid: [][]int8{{1, -1}, nil}, Flag: true},
		[]byte("bytes"), "text", time.Unix(0, 0).UTC(), Date{Year: 2000, Month: 1, Day: 1},
		TimeOfDay{Hour: 23, Minute: 59, Second: 59, Microsecond: 999999},
		[]any{int64(1), 2.5, "x", []byte{0}, map[string]any{"__datetime__": true, "value": "2020-01-01T00:00:00+00:00"}},
	}
	for _, s := range seeds {
		b, err := Msgpack().Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0xdc, 0x04, 0x01})                   // an array16 of 1025 elements, truncated
	f.Add(bytes.Repeat([]byte{0x91}, 200))            // nesting past MaxDepth
	f.Add([]byte{0xd7, 0xff, 0, 0, 0, 0, 0, 0, 0, 0}) // a native timestamp ext
	f.Fuzz(func(t *testing.T, data []byte) {
		before := totalAlloc()
		decoded, plain := checkTypedRoundTrip(t, Msgpack(), data)
		if got := totalAlloc() - before; got > allocBound(len(data)) {
			t.Fatalf("decoding %d bytes allocated %d bytes", len(data), got)
		}
		// The containers carry the same document: each target decodes
		// (or not) as it does from the plain bytes.
		env, err := SealEnvelope(data)
		mustKind(t, "seal envelope", err)
		v2, err2 := SealV2(data, true)
		mustKind(t, "seal v2", err2)
		for _, c := range []struct {
			name  string
			codec core.Codec
			b     []byte
			err   error
		}{{"envelope", Envelope(), env, err}, {"interop-v2", InteropV2(), v2, err2}} {
			if c.err != nil {
				continue
			}
			for i, v := range typedTargets() {
				derr := c.codec.Unmarshal(c.b, v)
				mustKind(t, c.name+" unmarshal", derr)
				if (derr == nil) != decoded[i] {
					t.Fatalf("%s: target %T decodes from the container (%v) but not from the plain bytes, or back", c.name, v, derr)
				}
				if derr != nil || plain[i] == nil {
					continue
				}
				enc, err := Msgpack().Marshal(reflect.ValueOf(v).Elem().Interface())
				if err != nil || !bytes.Equal(enc, plain[i]) {
					t.Fatalf("%s: target %T decodes to another value than from the plain bytes (%v)", c.name, v, err)
				}
			}
		}
	})
}
