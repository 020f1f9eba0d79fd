package protocol

import (
	"bytes"
	"errors"
	"testing"

	"github.com/pierrec/lz4/v4"

	"github.com/cachekit-io/cachekit-go/core"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/, built from the vectors.

func mustClassified(t *testing.T, err error) {
	t.Helper()
	var ce *core.Error
	if err != nil && !errors.As(err, &ce) {
		t.Fatalf("unclassified error %v", err)
	}
	if err != nil && core.KindOf(err) == core.KindUnknown {
		t.Fatalf("error of KindUnknown: %v", err)
	}
}

func FuzzOpenEnvelope(f *testing.F) {
	f.Add([]byte{0x94, 0xc4, 0x01, 0x00, 0x98, 0x2d, 0x06, 0xcc, 0x80, 0x05, 0x38, 0xcc, 0xd3, 0xcc, 0x94, 0xcc, 0xc2, 0x00, 0xa7, 'm', 's', 'g', 'p', 'a', 'c', 'k'})
	f.Fuzz(func(t *testing.T, data []byte) {
		out, _, err := OpenEnvelope(data)
		mustClassified(t, err)
		if err == nil {
			sealed, err := SealEnvelope(out)
			if err != nil {
				t.Fatal(err)
			}
			back, _, err := OpenEnvelope(sealed)
			if err != nil || !bytes.Equal(back, out) {
				t.Fatalf("re-sealed envelope does not round-trip: %v", err)
			}
		}
		var v any
		mustClassified(t, Envelope().Unmarshal(data, &v))
	})
}

func FuzzScanMsgpack(f *testing.F) {
	f.Add([]byte{0x82, 0xa3, 'a', 'g', 'e', 0x1e, 0xa4, 'n', 'a', 'm', 'e', 0xa5, 'a', 'l', 'i', 'c', 'e'})
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ScanMsgpack(data)
		mustClassified(t, err)
		if err == nil && (n <= 0 || n > len(data)) {
			t.Fatalf("scan length %d of %d", n, len(data))
		}
		if CheckMsgpack(data) == nil {
			d := genDecoder{b: data, op: "fuzz"}
			if _, err := d.value(); err != nil && RuleOf(err) != RuleType {
				t.Fatalf("guard accepted what the decoder refused: %v", err)
			}
		}
		var v any
		mustClassified(t, Msgpack().Unmarshal(data, &v))
		var p profile
		mustClassified(t, Msgpack().Unmarshal(data, &p))
	})
}

func FuzzOpenV2(f *testing.F) {
	f.Add([]byte{0xc1, 0x02, 0x93, 0x00, 0x01, 0xc4, 0x01, 0xc0})
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := OpenV2(data)
		mustClassified(t, err)
		if err == nil {
			for _, compress := range []bool{false, true} {
				sealed, err := SealV2(out, compress)
				if err != nil {
					t.Fatal(err)
				}
				if back, err := OpenV2(sealed); err != nil || !bytes.Equal(back, out) {
					t.Fatalf("re-sealed container does not round-trip: %v", err)
				}
			}
		}
		var v any
		mustClassified(t, InteropV2().Unmarshal(data, &v))
	})
}

// FuzzDecompress checks decompress, literal-run fast path included, against
// the LZ4 library decoding into a buffer of exactly size bytes: both accept
// the same blocks and give the same bytes.
func FuzzDecompress(f *testing.F) {
	f.Add([]byte{0x50, 'h', 'e', 'l', 'l', 'o'}, uint32(5))
	f.Add([]byte{0x51, 'h', 'e', 'l', 'l', 'o'}, uint32(5))
	f.Add([]byte{0x50, 'h', 'e', 'l', 'l'}, uint32(5))
	f.Add(append([]byte{0xf0, 0x00}, bytes.Repeat([]byte{'x'}, 15)...), uint32(15))
	f.Add(append([]byte{0xf0, 0xff, 0x01}, bytes.Repeat([]byte{'y'}, 271)...), uint32(271))
	f.Add([]byte{0xf0, 0xff, 0xff}, uint32(600))
	f.Add([]byte{0x00}, uint32(0))
	f.Fuzz(func(t *testing.T, block []byte, size uint32) {
		n := int(size % (1 << 17))
		got, rule := decompress(block, n)
		want := make([]byte, n)
		m, err := lz4.UncompressBlock(block, want)
		switch {
		case n == 0:
			return // the empty block has rules of its own (TestEnvelopeVectors)
		case err != nil || m != n:
			if rule == "" {
				t.Fatalf("decompress accepted a block the library refuses (%v, %d of %d bytes)", err, m, n)
			}
		case rule != "":
			t.Fatalf("decompress refused a block the library accepts: %s", rule)
		case !bytes.Equal(got, want):
			t.Fatal("decompress and the library disagree on the bytes")
		}
	})
}
