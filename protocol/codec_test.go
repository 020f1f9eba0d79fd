package protocol

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cachekit-io/cachekit-go/core"
)

type profile struct {
	Name    string
	Age     int
	Tags    []string
	Avatar  []byte
	Seen    time.Time
	Born    Date
	Wake    TimeOfDay
	Score   float64
	Skip    string `msgpack:"-"`
	Renamed int    `msgpack:"r,omitempty"`
	hidden  int
}

func codecs() map[string]core.Codec {
	return map[string]core.Codec{"msgpack": Msgpack(), "envelope": Envelope(), "v2": InteropV2(), "v2-uncompressed": InteropV2(V2Uncompressed())}
}

func TestCodecRoundTrip(t *testing.T) {
	in := profile{
		Name: "alice", Age: 30, Tags: []string{"a", "b"}, Avatar: []byte{1, 2, 3},
		Seen: time.Date(2024, 1, 1, 12, 30, 45, 123456000, time.FixedZone("", 5*3600+1800)),
		Born: Date{1990, time.March, 4}, Wake: TimeOfDay{7, 5, 0, 250}, Score: 2.5, Skip: "x", hidden: 1,
	}
	for name, c := range codecs() {
		b, err := c.Marshal(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var out profile
		if err := c.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !out.Seen.Equal(in.Seen) || out.Name != in.Name || out.Age != 30 || !bytes.Equal(out.Avatar, in.Avatar) ||
			out.Born != in.Born || out.Wake != in.Wake || out.Score != 2.5 || out.Skip != "" || len(out.Tags) != 2 {
			t.Errorf("%s: round trip %+v", name, out)
		}
		if c.Format() != "msgpack" {
			t.Errorf("%s: format %q", name, c.Format())
		}
	}
}

func TestStructFieldOrderAndSentinels(t *testing.T) {
	type s struct {
		Zeta  int
		Alpha string
		When  time.Time
	}
	b, err := Msgpack().Marshal(s{1, "a", time.Date(2025, 11, 14, 10, 30, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	want := "83a45a657461 01 a5416c706861 a161 a45768656e 82ac5f5f6461746574696d655f5fc3a576616c7565b9323032352d31312d31345431303a33303a30302b30303a3030"
	if got := hex.EncodeToString(b); got != strings.ReplaceAll(want, " ", "") {
		t.Errorf("got %s", got)
	}
	var anyv any
	if err := Msgpack().Unmarshal(b, &anyv); err != nil {
		t.Fatal(err)
	}
	if tm, ok := anyv.(map[string]any)["When"].(time.Time); !ok || !tm.Equal(time.Date(2025, 11, 14, 10, 30, 0, 0, time.UTC)) {
		t.Errorf("sentinel not revived: %#v", anyv)
	}
	// date and time sentinels into interface{}
	for _, c := range []struct {
		v    any
		want any
	}{{Date{2025, 11, 14}, Date{2025, 11, 14}}, {TimeOfDay{10, 30, 0, 0}, TimeOfDay{10, 30, 0, 0}}} {
		b, _ := Msgpack().Marshal(c.v)
		var got any
		if err := Msgpack().Unmarshal(b, &got); err != nil || got != c.want {
			t.Errorf("%v: %#v %v", c.v, got, err)
		}
	}
}

func TestFastPaths(t *testing.T) {
	for name, c := range codecs() {
		payload := bytes.Repeat([]byte("cachekit "), 20)
		b, _ := c.Marshal(payload)
		var got []byte
		if err := c.Unmarshal(b, &got); err != nil || !bytes.Equal(got, payload) {
			t.Errorf("%s []byte: %v", name, err)
		}
		b, _ = c.Marshal("hello")
		var s string
		if err := c.Unmarshal(b, &s); err != nil || s != "hello" {
			t.Errorf("%s string: %q %v", name, s, err)
		}
		var m map[string]any
		b, _ = c.Marshal(map[string]any{"k": []any{int64(1), "x"}})
		if err := c.Unmarshal(b, &m); err != nil || m["k"].([]any)[1] != "x" {
			t.Errorf("%s map: %v %v", name, m, err)
		}
	}
}

func TestCKFrameDiagnosed(t *testing.T) {
	frame := append([]byte("CK\x03\x00\x00\x00\x02{}"), 0x90)
	for name, c := range codecs() {
		var v any
		err := c.Unmarshal(frame, &v)
		var fe *ForeignFrameError
		if name == "envelope" {
			if err == nil {
				t.Errorf("%s accepted a CK frame", name)
			}
			continue
		}
		if !errors.As(err, &fe) || core.KindOf(err) != core.KindSerialization {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A lone 'C' is the integer 67: decodes fine.
	var n int
	if err := Msgpack().Unmarshal([]byte{0x43}, &n); err != nil || n != 67 {
		t.Errorf("fixint 67: %d %v", n, err)
	}
}

func TestMaxSize(t *testing.T) {
	big := bytes.Repeat([]byte{'a'}, 10000)
	for name, c := range codecs() {
		full, _ := c.Marshal(big)
		small := c.(core.MaxSizer).WithMaxSize(1000)
		if _, err := small.Marshal(big); core.KindOf(err) != core.KindPayloadTooLarge {
			t.Errorf("%s marshal: %v", name, err)
		}
		var v []byte
		if err := small.Unmarshal(full, &v); core.KindOf(err) != core.KindPayloadTooLarge {
			t.Errorf("%s unmarshal: %v", name, err)
		}
	}
}

func TestUnmarshalBadTargets(t *testing.T) {
	b, _ := Msgpack().Marshal("x")
	kindIs(t, Msgpack().Unmarshal(b, nil), core.KindInvalidInput)
	var n int
	kindIs(t, Msgpack().Unmarshal(b, &n), core.KindSerialization)
	kindIs(t, Msgpack().Unmarshal(nil, &n), core.KindSerialization)
}

func TestMarshalErrors(t *testing.T) {
	kindIs(t, func() error { _, err := Msgpack().Marshal(make(chan int)); return err }(), core.KindInvalidInput)
	type cyc struct{ Next *cyc }
	c := &cyc{}
	c.Next = c
	kindIs(t, func() error { _, err := Msgpack().Marshal(c); return err }(), core.KindInvalidInput)
}

func TestGuardRules(t *testing.T) {
	deep := append(bytes.Repeat([]byte{0x91}, MaxDepth), 0xc0)
	if err := CheckMsgpack(deep); err != nil {
		t.Errorf("depth %d rejected: %v", MaxDepth, err)
	}
	cases := map[string]struct {
		in   []byte
		rule Rule
	}{
		"too deep":          {append(bytes.Repeat([]byte{0x91}, MaxDepth+1), 0xc0), RuleDepth},
		"nested overclaim":  {[]byte{0x91, 0xdc, 0x00, 0x10, 0xdc, 0x00, 0x10}, RuleBudget},
		"array32 sum wraps": {[]byte{0x92, 0xdd, 0xff, 0xff, 0xff, 0xff, 0xdd, 0x00, 0x00, 0x00, 0x01}, RuleBudget},
		"incomplete":        {[]byte{0x92, 0xdc, 0x00, 0x00}, RuleIncomplete},
		"reserved":          {[]byte{0xc1}, RuleReservedMarker},
		"trailing":          {[]byte{0xc0, 0xc0}, RuleTrailing},
		"empty":             {nil, RuleEmpty},
		"bin32 forged":      {[]byte{0xc6, 0xff, 0xff, 0xff, 0xff}, RuleBudget},
	}
	for name, c := range cases {
		err := CheckMsgpack(c.in)
		var ge *GuardError
		if !errors.As(err, &ge) || ge.Rule != c.rule {
			t.Errorf("%s: %v, want %q", name, err, c.rule)
		}
	}
}

func TestInteropKeyTypes(t *testing.T) {
	u := uuid.MustParse("550e8400-e29b-41d4-a716-446655440000")
	k1, err := InteropKey("users", "get", int8(2), uint16(3), float32(1.5), []int{1}, map[string]int{"a": 1}, u, &u, [2]byte{1, 2}, Set{2, 1.0, 2.0})
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := InteropKey("users", "get", 2, 3, 1.5, []any{1}, map[string]any{"a": 1}, u.String(), u.String(), []byte{1, 2}, Set{1, 2})
	if k1 != k2 {
		t.Errorf("typed and untyped args differ:\n%s\n%s", k1, k2)
	}
	for _, bad := range []any{struct{}{}, map[int]int{1: 1}, "\xff", complex(1, 2)} {
		if _, err := InteropKey("users", "get", bad); core.KindOf(err) != core.KindInvalidInput {
			t.Errorf("%T accepted: %v", bad, err)
		}
	}
}

func TestAutoKeyLengthAndIdentity(t *testing.T) {
	long := strings.Repeat("x", 300)
	k, err := AutoKey(AutoKeySpec{Namespace: "n", Module: "m", QualName: long, Serializer: "default", Integrity: true})
	if err != nil || len(k) != 50+1+32 {
		t.Errorf("long key %q %v", k, err)
	}
	mod, name, err := FuncIdentity(TestAutoKeyLengthAndIdentity)
	if err != nil || mod != "github.com/cachekit-io/cachekit-go/protocol" || name != "TestAutoKeyLengthAndIdentity" {
		t.Errorf("FuncIdentity: %q %q %v", mod, name, err)
	}
	if _, err := AutoKey(AutoKeySpec{Module: "m", QualName: "f", Args: []any{Set{1}}, Serializer: "default"}); core.KindOf(err) != core.KindInvalidInput {
		t.Errorf("set accepted: %v", err)
	}
}

// The guard tells the decoder when a sentinel map may be present: a sentinel
// key in any str form is revived into a typed time.Time field, and sentinel
// bytes inside a bin payload are just bytes.
func TestSentinelDetectionByTheGuard(t *testing.T) {
	type rec struct {
		When time.Time
		Blob []byte
	}
	want := time.Date(2025, 11, 14, 10, 30, 0, 0, time.UTC)
	// {"When": {"__datetime__": true, "value": "..."}, "Blob": bin} with the
	// sentinel key as str8 (0xd9) instead of fixstr.
	doc := "82" + "a45768656e" + "82" + "d90c" + hex.EncodeToString([]byte("__datetime__")) + "c3" +
		"a576616c7565" + "b9" + hex.EncodeToString([]byte("2025-11-14T10:30:00+00:00")) +
		"a4426c6f62" + "c403" + "010203"
	b, err := hex.DecodeString(doc)
	if err != nil {
		t.Fatal(err)
	}
	var got rec
	if err := Msgpack().Unmarshal(b, &got); err != nil || !got.When.Equal(want) || !bytes.Equal(got.Blob, []byte{1, 2, 3}) {
		t.Fatalf("str8 sentinel key: %+v %v", got, err)
	}
	blob := append([]byte("\xa8__date__\xac__datetime__"), bytes.Repeat([]byte{0xa8}, 100)...)
	enc, err := Msgpack().Marshal(rec{When: want, Blob: blob})
	if err != nil {
		t.Fatal(err)
	}
	got = rec{}
	if err := Msgpack().Unmarshal(enc, &got); err != nil || !got.When.Equal(want) || !bytes.Equal(got.Blob, blob) {
		t.Fatalf("sentinel bytes in a blob: %+v %v", got, err)
	}
}
