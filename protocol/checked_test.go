package protocol

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// TestCheckMarksWhatUnmarshalAccepts: every codec's Check marks its own
// encoding (with the sentinel bit exactly when the value holds a temporal
// sentinel map), UnmarshalChecked with that mark decodes what Unmarshal
// does, and bytes Unmarshal rejects get no mark.
func TestCheckMarksWhatUnmarshalAccepts(t *testing.T) {
	type plain struct {
		Name string
		N    int
	}
	type timed struct {
		Name string
		At   time.Time
	}
	at := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	for name, c := range codecs() {
		cc, ok := c.(core.CheckingCodec)
		if !ok {
			t.Fatalf("%s: not a core.CheckingCodec", name)
		}
		b, err := c.Marshal(plain{Name: "ada", N: 7})
		if err != nil {
			t.Fatal(err)
		}
		m := cc.Check(b)
		if m == 0 || m&markSentinel != 0 {
			t.Errorf("%s: Check(plain) = %#x, want a mark without the sentinel bit", name, m)
		}
		var p plain
		if err := cc.UnmarshalChecked(b, &p, m); err != nil || p != (plain{Name: "ada", N: 7}) {
			t.Errorf("%s: UnmarshalChecked = %+v, %v", name, p, err)
		}

		b, err = c.Marshal(timed{Name: "t", At: at})
		if err != nil {
			t.Fatal(err)
		}
		m = cc.Check(b)
		if m == 0 || m&markSentinel == 0 {
			t.Errorf("%s: Check(timed) = %#x, want a mark with the sentinel bit", name, m)
		}
		var tm timed
		if err := cc.UnmarshalChecked(b, &tm, m); err != nil || !tm.At.Equal(at) || tm.Name != "t" {
			t.Errorf("%s: UnmarshalChecked(timed) = %+v, %v", name, tm, err)
		}
	}
}

// TestCheckRejectsHostileBytes: bytes the guard rejects (too deep, a
// declared length past the end, trailing bytes) get mark 0, and
// UnmarshalChecked with mark 0 — or with a mark another codec made — still
// rejects them.
func TestCheckRejectsHostileBytes(t *testing.T) {
	deep := append(bytes.Repeat([]byte{0x91}, MaxDepth+1), 0xc0)
	hostile := map[string][]byte{
		"too deep":   deep,
		"incomplete": {0x92, 0xc4, 0xff},
		"trailing":   {0xc0, 0xc0},
	}
	c := Msgpack().(core.CheckingCodec)
	for name, b := range hostile {
		if m := c.Check(b); m != 0 {
			t.Errorf("%s: Check = %#x, want 0", name, m)
		}
		for _, m := range []core.GuardMark{0, markEnvelope, markV2, markEnvelope | markSentinel} {
			var v any
			err := c.UnmarshalChecked(b, &v, m)
			if core.KindOf(err) != core.KindSerialization {
				t.Errorf("%s: UnmarshalChecked(mark %#x) = %v, want KindSerialization", name, m, err)
			}
			var ge *GuardError
			if !errors.As(err, &ge) {
				t.Errorf("%s: UnmarshalChecked(mark %#x) = %v, want the guard's rejection", name, m, err)
			}
		}
	}
}

// TestCheckLeavesLargeDocumentsUnmarked: a document declaring more than
// 1024 elements is not marked, so its decode still checks the allocation
// bound of the target type.
func TestCheckLeavesLargeDocumentsUnmarked(t *testing.T) {
	b, err := Msgpack().Marshal(make([]int, uncheckedElems+1))
	if err != nil {
		t.Fatal(err)
	}
	if m := Msgpack().(core.CheckingCodec).Check(b); m != 0 {
		t.Errorf("Check = %#x, want 0", m)
	}
	b, err = Msgpack().Marshal(make([]int, uncheckedElems))
	if err != nil {
		t.Fatal(err)
	}
	if m := Msgpack().(core.CheckingCodec).Check(b); m != markMsgpack {
		t.Errorf("Check = %#x, want %#x", m, markMsgpack)
	}
}

// TestCheckedKeepsTheSizeBound: a codec with a max size marks nothing over
// it, and UnmarshalChecked refuses a marked value over it.
func TestCheckedKeepsTheSizeBound(t *testing.T) {
	big, err := Msgpack().Marshal(string(bytes.Repeat([]byte{'x'}, 100)))
	if err != nil {
		t.Fatal(err)
	}
	small := Msgpack().(core.MaxSizer).WithMaxSize(10).(core.CheckingCodec)
	if m := small.Check(big); m != 0 {
		t.Errorf("Check over the bound = %#x, want 0", m)
	}
	var s string
	if err := small.UnmarshalChecked(big, &s, markMsgpack); core.KindOf(err) != core.KindPayloadTooLarge {
		t.Errorf("UnmarshalChecked over the bound = %v, want KindPayloadTooLarge", err)
	}
}
