package protocol_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/protocol"
)

type jsonUser struct {
	Name  string   `json:"name"`
	Tags  []string `json:"tags"`
	Admin bool     `json:"admin"`
}

func TestJSONRoundTripAndTokens(t *testing.T) {
	c := protocol.JSON()
	if c.Format() != "orjson" || c.Compressed() {
		t.Fatalf("tokens %q %v, want the registry's orjson and False", c.Format(), c.Compressed())
	}
	in := jsonUser{Name: "<ada>", Tags: []string{"a", "b"}, Admin: true}
	b, err := c.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"name":"<ada>","tags":["a","b"],"admin":true}` {
		t.Fatalf("wire %s: want plain JSON, no HTML escaping, no newline", b)
	}
	var out jsonUser
	if err := c.Unmarshal(b, &out); err != nil || out.Name != in.Name || len(out.Tags) != 2 || !out.Admin {
		t.Fatalf("Unmarshal: %+v %v", out, err)
	}
	var anyv any
	if err := c.Unmarshal([]byte(`{"n":1}`), &anyv); err != nil || anyv.(map[string]any)["n"] != 1.0 {
		t.Fatalf("into any: %#v %v", anyv, err)
	}
}

func TestJSONRejectsBadInputWithTypedErrors(t *testing.T) {
	c := protocol.JSON()
	var u jsonUser
	for name, data := range map[string]string{"empty": "", "syntax": "{", "trailing": `{} {}`, "type": `{"name":1}`} {
		if err := c.Unmarshal([]byte(data), &u); core.KindOf(err) != core.KindSerialization {
			t.Errorf("%s: %v, want KindSerialization", name, err)
		}
	}
	if _, err := c.Marshal(func() {}); core.KindOf(err) != core.KindSerialization {
		t.Errorf("unencodable: %v, want KindSerialization", err)
	}
	small := c.(core.MaxSizer).WithMaxSize(8)
	if _, err := small.Marshal("a long string value"); core.KindOf(err) != core.KindPayloadTooLarge {
		t.Errorf("Marshal over the limit: %v", err)
	}
	if err := small.Unmarshal([]byte(`"a long string value"`), new(string)); core.KindOf(err) != core.KindPayloadTooLarge {
		t.Errorf("Unmarshal over the limit: %v", err)
	}
}

// A few bytes per element read into a slice of large structs would
// allocate the struct's size per element: the decode is refused first.
func TestJSONBoundsDecodeAllocation(t *testing.T) {
	type big struct{ B [64 << 10]byte }
	doc := "[" + strings.Repeat("{},", 8191) + "{}]" // 8192 × 64 KiB = 512 MiB
	var out []big
	err := protocol.JSON().Unmarshal([]byte(doc), &out)
	var fe *protocol.FormatError
	if core.KindOf(err) != core.KindSerialization || !errors.As(err, &fe) || fe.Rule != protocol.RuleBudget {
		t.Fatalf("%v, want a RuleBudget refusal", err)
	}
	if out != nil {
		t.Fatal("the slice was allocated")
	}
	// Commas inside strings do not count; a legitimate document decodes.
	var tags []string
	if err := protocol.JSON().Unmarshal([]byte(`["`+strings.Repeat(",", 5000)+`", "\",\\"]`), &tags); err != nil || len(tags) != 2 {
		t.Fatalf("%v %d", err, len(tags))
	}
}

func TestIsInterop(t *testing.T) {
	for name, c := range map[string]core.Codec{
		"Msgpack":            protocol.Msgpack(),
		"Msgpack with limit": protocol.Msgpack().(core.MaxSizer).WithMaxSize(10),
		"InteropV2":          protocol.InteropV2(),
		"InteropV2 raw":      protocol.InteropV2(protocol.V2Uncompressed()),
		"wrapped":            unwrapper{protocol.Msgpack()},
	} {
		if !protocol.IsInterop(c) {
			t.Errorf("%s: not reported as interop", name)
		}
	}
	for name, c := range map[string]core.Codec{
		"Envelope":     protocol.Envelope(),
		"JSON":         protocol.JSON(),
		"wrapped JSON": unwrapper{protocol.JSON()},
		"nil":          nil,
	} {
		if protocol.IsInterop(c) {
			t.Errorf("%s: reported as interop", name)
		}
	}
}

type unwrapper struct{ core.Codec }

func (u unwrapper) Unwrap() core.Codec { return u.Codec }

func FuzzJSONUnmarshal(f *testing.F) {
	for _, s := range []string{`{"name":"a","tags":["x"]}`, `[{},{}]`, `"\u0000"`, `1e999`, `[[[[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var u jsonUser
		_ = protocol.JSON().Unmarshal(data, &u)
		var a any
		if err := protocol.JSON().Unmarshal(data, &a); err != nil && core.KindOf(err) == core.KindUnknown {
			t.Fatalf("untyped error %v", err)
		}
	})
}
