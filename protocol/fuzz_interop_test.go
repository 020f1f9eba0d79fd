package protocol

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
)

// FuzzInteropKey builds interop/v1 keys from fuzzed segments and from
// argument lists decoded from fuzzed MessagePack (the types a remote
// party's document yields). Refusals are *core.Error values of
// KindInvalidInput; an accepted key is "{namespace}:{operation}:{64 hex}";
// the canonical argument encoding is valid MessagePack and a fixed point
// (decoding it and encoding the result gives the same bytes); integral
// floats hash as the integers they equal, -0.0 as 0; a Set hashes the same
// whatever its order and duplicates.
func FuzzInteropKey(f *testing.F) {
	f.Add("users", "get", []byte{0x93, 0x01, 0xa1, 'x', 0xc3}, 1.0, int64(1), "a")
	f.Add("ns", "op", []byte{0x90}, math.Copysign(0, -1), int64(0), "")
	f.Add("a..b", "Op", []byte{0xc1}, math.NaN(), int64(-1), "\xff")
	f.Add("my-app.v2", "fetch_user", []byte{0x92, 0x81, 0xa1, 'k', 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc4, 0x01, 0x00}, 1e300, int64(math.MinInt64), "ü")
	f.Fuzz(func(t *testing.T, ns, op string, doc []byte, fl float64, n int64, s string) {
		key, err := InteropKey(ns, op, fl, n, s)
		if err != nil {
			if core.KindOf(err) != core.KindInvalidInput {
				t.Fatalf("refusal of kind %v: %v", core.KindOf(err), err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error text spans lines: %q", err)
			}
		} else {
			if ValidateSegment("namespace", ns) != nil || ValidateSegment("operation", op) != nil {
				t.Fatalf("accepted invalid segments %q %q", ns, op)
			}
			prefix := ns + ":" + op + ":"
			h, ok := strings.CutPrefix(key, prefix)
			if !ok || len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
				t.Fatalf("key %q is not %s<64 hex>", key, prefix)
			}
			again, err := InteropKey(ns, op, fl, n, s)
			if err != nil || again != key {
				t.Fatalf("key not deterministic: %q %q %v", key, again, err)
			}
			// Integral floats collapse to the integer they equal.
			if fl == math.Trunc(fl) && fl >= -(1<<63) && fl < 1<<63 {
				ik, err := InteropKey(ns, op, int64(fl), n, s)
				if err != nil || ik != key {
					t.Fatalf("float %v hashes unlike int64 %d: %q %q %v", fl, int64(fl), key, ik, err)
				}
			}
			// A Set is unordered and de-duplicated.
			k1, err1 := InteropKey(ns, op, Set{s, n, fl, n})
			k2, err2 := InteropKey(ns, op, Set{fl, s, n})
			if err1 != nil || err2 != nil || k1 != k2 {
				t.Fatalf("Set order changes the key: %q %q %v %v", k1, k2, err1, err2)
			}
		}

		// Arguments from a remote party's document.
		var args []any
		if Msgpack().Unmarshal(doc, &args) != nil {
			return
		}
		canon, err := CanonicalArgs(args...)
		if err != nil {
			if core.KindOf(err) != core.KindInvalidInput {
				t.Fatalf("refusal of kind %v: %v", core.KindOf(err), err)
			}
			return
		}
		if err := CheckMsgpack(canon); err != nil {
			t.Fatalf("canonical encoding is not valid MessagePack: %v\n%x", err, canon)
		}
		var back []any
		if err := Msgpack().Unmarshal(canon, &back); err != nil {
			t.Fatalf("canonical encoding does not decode: %v\n%x", err, canon)
		}
		again, err := CanonicalArgs(back...)
		if err != nil || !bytes.Equal(again, canon) {
			t.Fatalf("canonical encoding is not a fixed point (%v):\n%x\n%x", err, canon, again)
		}
		if len(args) > 0 && len(args) <= 4 {
			if _, err := InteropKey("fuzz", "args", args...); err != nil {
				t.Fatalf("CanonicalArgs accepted what InteropKey refuses: %v", err)
			}
		}
	})
}
