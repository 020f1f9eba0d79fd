package protocol

import "fmt"

// Interop-v2 container (spec/interop-v2.md, DRAFT): 0xC1 0x02 followed by
// one MessagePack document [method, original_size, payload].

const (
	v2Magic   = 0xC1
	v2Version = 0x02

	// V2MethodNone stores the value bytes verbatim.
	V2MethodNone = 0
	// V2MethodLZ4 stores the value bytes as one LZ4 block.
	V2MethodLZ4 = 1

	// v2MinCompress is the size under which a writer does not try LZ4.
	v2MinCompress = 64
)

// SealV2 wraps the plain-MessagePack value bytes value in an interop-v2
// container. With compress, it emits method 1 (LZ4 block) when that is
// strictly smaller than the value, and method 0 otherwise; without, always
// method 0. See InteropV2 for the compress-then-encrypt guidance.
func SealV2(value []byte, compress bool) ([]byte, error) {
	const op = "protocol.v2.seal"
	if len(value) > MaxUncompressedSize {
		return nil, tooLarge(op, "value exceeds the 512 MiB interop-v2 cap")
	}
	if compress && len(value) >= v2MinCompress {
		// Same in-place trick as the envelope: reserve the longest header.
		out := make([]byte, 0, 2+1+9+5+len(value)+len(value)/255+16)
		out = append(out, v2Magic, v2Version, 0x93, V2MethodLZ4)
		out = appendUint(out, uint64(len(value)))
		hdr := len(out)
		out = append(out, 0, 0, 0, 0, 0)
		out = compressBlock(out, value)
		n := len(out) - hdr - 5
		if n < len(value) {
			h := appendBinHeader(out[hdr:hdr], n)
			if hl := len(h); hl < 5 {
				copy(out[hdr+hl:], out[hdr+5:])
				out = out[:len(out)-(5-hl)]
			}
			return out, nil
		}
	}
	out := make([]byte, 0, 2+1+1+9+5+len(value))
	out = append(out, v2Magic, v2Version, 0x93, V2MethodNone)
	out = appendUint(out, uint64(len(value)))
	out = appendBin(out, value)
	return out, nil
}

// OpenV2 reads an interop-v2 container and returns the plain-MessagePack
// value bytes it holds, following the Reader Algorithm's steps 2-5 in
// order: container length, magic and version; the hostile-msgpack
// pre-scan over the body (depth, declared-length budget, completeness,
// trailing bytes); a hand parse that enforces the element types at the
// marker level (unsigned-family integers, a bin payload, a body of exactly
// three elements); every security limit before any output allocation;
// then decompression with an exact output length. A method 0 result is a
// view of container, and so is an LZ4 block that is a single run of
// literals. Rejections are *core.Error values of KindSerialization
// wrapping a *GuardError, a *FormatError or a *ForeignFrameError.
func OpenV2(container []byte) ([]byte, error) {
	return openV2("protocol.v2.open", container, MaxUncompressedSize)
}

func openV2(op string, b []byte, maxOut int) ([]byte, error) {
	const c = "interop-v2"
	if len(b) > MaxCompressedSize+16 {
		return nil, formatErr(op, c, RuleSizeCap, "container exceeds 512 MiB")
	}
	if len(b) < 2 {
		return nil, formatErr(op, c, RuleIncomplete, "a container holds at least the magic and version bytes")
	}
	if b[0] != v2Magic {
		if isCKFrame(b) {
			return nil, foreignErr(op)
		}
		return nil, formatErr(op, c, RuleMagic, "possible interop/v1 value: namespace mode misconfiguration?")
	}
	if b[1] != v2Version {
		return nil, formatErr(op, c, RuleVersion, fmt.Sprintf("version 0x%02x", b[1]))
	}
	body := b[2:]
	if len(body) == 0 {
		return nil, guardErr(op, RuleIncomplete, 2)
	}
	if _, _, err := checkOne(body, op); err != nil {
		return nil, err
	}
	r := reader{b: body}
	m, _ := r.byte()
	n, isArr, ok := r.arrayLen(m)
	if !ok {
		return nil, guardErr(op, RuleIncomplete, 2+r.pos)
	}
	if !isArr || n != 3 {
		return nil, formatErr(op, c, RuleShape, "the body must be an array of exactly 3 elements")
	}
	readUint := func(name string) (uint64, error) {
		m, ok := r.byte()
		if !ok {
			return 0, guardErr(op, RuleIncomplete, 2+r.pos)
		}
		if !(m <= 0x7f || (m >= 0xcc && m <= 0xcf)) {
			return 0, formatErr(op, c, RuleMarker, name+" must use an unsigned-family integer marker")
		}
		v, _, _, ok := r.intBody(m)
		if !ok {
			return 0, guardErr(op, RuleIncomplete, 2+r.pos)
		}
		return v, nil
	}
	method, err := readUint("method")
	if err != nil {
		return nil, err
	}
	orig, err := readUint("original_size")
	if err != nil {
		return nil, err
	}
	m, ok = r.byte()
	if !ok {
		return nil, guardErr(op, RuleIncomplete, 2+r.pos)
	}
	pl, isBin, ok := r.binLen(m)
	if !isBin {
		return nil, formatErr(op, c, RuleMarker, "payload must be bin")
	}
	if !ok {
		return nil, guardErr(op, RuleIncomplete, 2+r.pos)
	}
	payload, ok := r.take(pl)
	if !ok {
		return nil, guardErr(op, RuleIncomplete, 2+r.pos)
	}
	if r.remaining() != 0 {
		return nil, guardErr(op, RuleTrailing, 2+r.pos)
	}
	// Step 4: the security limits, before any output allocation.
	if method != V2MethodNone && method != V2MethodLZ4 {
		return nil, formatErr(op, c, RuleMethod, fmt.Sprintf("method %d is not registered", method))
	}
	if orig > MaxUncompressedSize {
		return nil, formatErr(op, c, RuleSizeCap, fmt.Sprintf("original_size %d exceeds 512 MiB", orig))
	}
	if len(payload) > MaxCompressedSize {
		return nil, formatErr(op, c, RuleSizeCap, "payload exceeds 512 MiB")
	}
	if method == V2MethodNone {
		if orig != uint64(len(payload)) {
			return nil, formatErr(op, c, RuleLength, "method 0 original_size differs from the payload length")
		}
	} else {
		if len(payload) == 0 {
			return nil, formatErr(op, c, RuleZeroLength, "")
		}
		if orig > MaxCompressionRatio*uint64(len(payload)) {
			return nil, formatErr(op, c, RuleRatio, fmt.Sprintf("original_size %d from %d payload bytes", orig, len(payload)))
		}
	}
	if maxOut > 0 && orig > uint64(maxOut) {
		return nil, formatErr(op, c, RuleMaxSize, fmt.Sprintf("original_size %d exceeds the limit %d", orig, maxOut))
	}
	if method == V2MethodNone {
		return payload, nil
	}
	out, rule := decompress(payload, int(orig))
	if rule != "" {
		return nil, formatErr(op, c, rule, "")
	}
	return out, nil
}
