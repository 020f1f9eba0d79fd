package protocol

import (
	"fmt"
	"sync"

	"github.com/pierrec/lz4/v4"
	"github.com/zeebo/xxh3"
)

// The protocol's security limits (wire-format.md, Security Limits), shared
// by the ByteStorage envelope and the interop-v2 container.
const (
	// MaxUncompressedSize caps original_size: 512 MiB.
	MaxUncompressedSize = 512 << 20
	// MaxCompressedSize caps the compressed data and the stored bytes: 512 MiB.
	MaxCompressedSize = 512 << 20
	// MaxCompressionRatio bounds original_size by this multiple of the
	// compressed size.
	MaxCompressionRatio = 1000
)

const envelopeFormat = "msgpack"

var compressorPool = sync.Pool{New: func() any { return new(lz4.Compressor) }}

// compressBlock appends one LZ4 block holding src to dst. Incompressible
// input becomes a literals-only block, which every LZ4 decoder reads.
func compressBlock(dst, src []byte) []byte {
	if len(src) == 0 {
		return append(dst, 0x00) // a lone token: zero literals, no match
	}
	bound := lz4.CompressBlockBound(len(src))
	start := len(dst)
	dst = growLen(dst, bound)
	c := compressorPool.Get().(*lz4.Compressor)
	n, err := c.CompressBlock(src, dst[start:])
	compressorPool.Put(c)
	if err != nil || n <= 0 {
		return appendLiteralBlock(dst[:start], src)
	}
	return dst[:start+n]
}

// appendLiteralBlock appends an LZ4 block made of literals only.
func appendLiteralBlock(dst, src []byte) []byte {
	n := len(src)
	if n < 15 {
		dst = append(dst, byte(n)<<4)
	} else {
		dst = append(dst, 0xf0)
		rest := n - 15
		for rest >= 255 {
			dst = append(dst, 255)
			rest -= 255
		}
		dst = append(dst, byte(rest))
	}
	return append(dst, src...)
}

// literalRun reports whether block is a single LZ4 sequence of literals
// only (the last sequence of a block carries no match), and returns them:
// the reverse of appendLiteralBlock, for blocks any compressor wrote.
func literalRun(block []byte) (lits []byte, ok bool) {
	if len(block) == 0 || block[0]&0x0f != 0 {
		return nil, false
	}
	n, i := int(block[0]>>4), 1
	if n == 15 {
		for {
			if i == len(block) {
				return nil, false
			}
			b := block[i]
			i++
			n += int(b)
			if n > len(block) { // also keeps n from overflowing
				return nil, false
			}
			if b != 255 {
				break
			}
		}
	}
	if len(block)-i != n {
		return nil, false
	}
	return block[i:], true
}

// growLen extends b by n bytes of length, reallocating when needed.
func growLen(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), len(b)+n)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

// SealEnvelope wraps data in the ByteStorage envelope (wire-format.md):
// the MessagePack array [compressed_data (bin), checksum (8 ints: the
// big-endian xxHash3-64 of data), original_size, "msgpack"], with data
// compressed as one LZ4 block. data larger than MaxUncompressedSize is
// refused with KindPayloadTooLarge.
func SealEnvelope(data []byte) ([]byte, error) {
	return sealEnvelope(nil, data)
}

func sealEnvelope(dst, data []byte) ([]byte, error) {
	const op = "protocol.envelope.seal"
	if len(data) > MaxUncompressedSize {
		return nil, tooLarge(op, "value exceeds the 512 MiB envelope cap")
	}
	// Layout: fixarray(4) | bin header | block | checksum | size | format.
	// The block is compressed in place after a 5-byte header slot and
	// moved down when its bin header is shorter.
	bound := lz4.CompressBlockBound(len(data))
	if dst == nil {
		dst = make([]byte, 0, 1+5+bound+17+9+1+len(envelopeFormat))
	}
	base := len(dst)
	dst = append(dst, 0x94, 0, 0, 0, 0, 0)
	dst = compressBlock(dst, data)
	n := len(dst) - base - 6
	if n > MaxCompressedSize {
		return nil, tooLarge(op, "compressed value exceeds the 512 MiB envelope cap")
	}
	h := appendBinHeader(dst[base+1:base+1], n)
	hl := len(h)
	if hl < 5 {
		copy(dst[base+1+hl:], dst[base+6:])
		dst = dst[:len(dst)-(5-hl)]
	}
	sum := xxh3.Hash(data)
	dst = append(dst, 0x98)
	for i := 7; i >= 0; i-- {
		dst = appendUint(dst, uint64(byte(sum>>(8*i))))
	}
	dst = appendUint(dst, uint64(len(data)))
	dst = appendStr(dst, envelopeFormat)
	if len(dst)-base > MaxCompressedSize {
		return nil, tooLarge(op, "envelope exceeds the 512 MiB cap")
	}
	return dst, nil
}

// OpenEnvelope reads a ByteStorage envelope and returns the original bytes
// and the envelope's format field. It accepts compressed_data both as bin
// and in the legacy array-of-integers form (WIRE-2), and runs the Retrieve
// Flow in its normative order: the 512 MiB input cap; the hostile-msgpack
// pre-scan; a typed decode (exactly four elements, a checksum of exactly
// eight integers 0-255, original_size at its full wire value); the size
// caps, the zero-length and 1000:1 ratio checks, all before any output is
// allocated; then LZ4 block decompression, the length check and the
// xxHash3-64 check. Rejections are *core.Error values of KindSerialization
// wrapping a *GuardError or a *FormatError naming the rule broken.
//
// data may share memory with stored: a block that is a single run of
// literals (incompressible data) decodes to those literals in place.
func OpenEnvelope(stored []byte) (data []byte, format string, err error) {
	return openEnvelope("protocol.envelope.open", stored, MaxUncompressedSize)
}

func openEnvelope(op string, stored []byte, maxOut int) (data []byte, format string, err error) {
	const c = "envelope"
	if len(stored) > MaxCompressedSize {
		return nil, "", formatErr(op, c, RuleSizeCap, "stored envelope exceeds 512 MiB")
	}
	if _, _, err := checkOne(stored, op); err != nil {
		return nil, "", err
	}
	r := reader{b: stored}
	shape := func(msg string) error { return formatErr(op, c, RuleShape, msg) }
	m, _ := r.byte()
	n, isArr, ok := r.arrayLen(m)
	if !ok {
		return nil, "", shape("truncated")
	}
	if !isArr || n != 4 {
		return nil, "", shape("the envelope must be an array of exactly 4 elements")
	}
	// [0] compressed_data: bin, or the legacy array of integers 0-255.
	m, _ = r.byte()
	var compressed []byte
	if bl, isBin, ok := r.binLen(m); isBin {
		if !ok {
			return nil, "", shape("truncated compressed_data")
		}
		if compressed, ok = r.take(bl); !ok {
			return nil, "", shape("truncated compressed_data")
		}
	} else if al, isArr, ok := r.arrayLen(m); isArr && ok {
		if al > uint64(r.remaining()) {
			return nil, "", shape("truncated compressed_data")
		}
		compressed = make([]byte, al)
		for i := range compressed {
			b, err := readByteInt(&r)
			if err != "" {
				return nil, "", shape("compressed_data element " + err)
			}
			compressed[i] = b
		}
	} else {
		return nil, "", shape("compressed_data must be bin or an array of integers")
	}
	// [1] checksum: exactly 8 integers 0-255.
	m, _ = r.byte()
	cl, isArr, ok := r.arrayLen(m)
	if !isArr || !ok || cl != 8 {
		return nil, "", shape("checksum must be an array of exactly 8 integers")
	}
	var want uint64
	for range 8 {
		b, err := readByteInt(&r)
		if err != "" {
			return nil, "", shape("checksum element " + err)
		}
		want = want<<8 | uint64(b)
	}
	// [2] original_size: a non-negative integer, kept at its full width.
	m, _ = r.byte()
	orig, neg, isInt, ok := r.intBody(m)
	if !isInt || !ok || neg {
		return nil, "", shape("original_size must be a non-negative integer")
	}
	// [3] format: a string.
	m, _ = r.byte()
	fl, isStr, ok := r.strLen(m)
	if !isStr || !ok {
		return nil, "", shape("format must be a string")
	}
	fb, ok := r.take(fl)
	if !ok || r.remaining() != 0 {
		return nil, "", shape("truncated format")
	}
	format = string(fb)

	// Steps 3-5: every limit before any output allocation.
	if len(compressed) > MaxCompressedSize {
		return nil, "", formatErr(op, c, RuleSizeCap, "compressed_data exceeds 512 MiB")
	}
	if orig > MaxUncompressedSize {
		return nil, "", formatErr(op, c, RuleSizeCap, fmt.Sprintf("original_size %d exceeds 512 MiB", orig))
	}
	if len(compressed) == 0 {
		return nil, "", formatErr(op, c, RuleZeroLength, "")
	}
	if orig > MaxCompressionRatio*uint64(len(compressed)) {
		return nil, "", formatErr(op, c, RuleRatio, fmt.Sprintf("original_size %d from %d compressed bytes", orig, len(compressed)))
	}
	if maxOut > 0 && orig > uint64(maxOut) {
		return nil, "", formatErr(op, c, RuleMaxSize, fmt.Sprintf("original_size %d exceeds the limit %d", orig, maxOut))
	}
	// Steps 6-9.
	data, rule := decompress(compressed, int(orig))
	if rule != "" {
		return nil, "", formatErr(op, c, rule, "")
	}
	if xxh3.Hash(data) != want {
		return nil, "", formatErr(op, c, RuleChecksum, "")
	}
	return data, format, nil
}

// readByteInt reads one integer element that must lie in 0-255.
func readByteInt(r *reader) (byte, string) {
	m, ok := r.byte()
	if !ok {
		return 0, "truncated"
	}
	v, neg, isInt, ok := r.intBody(m)
	if !isInt || !ok {
		return 0, "is not an integer"
	}
	if neg || v > 255 {
		return 0, "is outside 0-255"
	}
	return byte(v), ""
}

// decompress decodes one LZ4 block into exactly size bytes. Its rule is
// RuleLZ4 for a malformed block (an overrun included) and RuleLength for a
// block that decodes to fewer bytes than size.
//
// A block that is one run of literals (what an LZ4 compressor writes for
// incompressible data: random bytes, already compressed or encrypted media)
// decodes to those literals: out is then a subslice of block, not a copy,
// like the bytes a msgpack bin decodes to.
func decompress(block []byte, size int) (out []byte, rule Rule) {
	if lits, ok := literalRun(block); ok && len(lits) == size && size > 0 {
		return lits[:size:size], ""
	}
	out = make([]byte, size)
	defer func() {
		if recover() != nil {
			out, rule = nil, RuleLZ4
		}
	}()
	if size == 0 {
		// The only valid block for empty output is one token with no
		// literals and no match: 0x00.
		if len(block) == 1 && block[0] == 0 {
			return out, ""
		}
		if _, err := lz4.UncompressBlock(block, make([]byte, 1)); err == nil {
			return nil, RuleLength
		}
		return nil, RuleLZ4
	}
	n, err := lz4.UncompressBlock(block, out)
	if err != nil {
		return nil, RuleLZ4
	}
	if n != size {
		return nil, RuleLength
	}
	return out, ""
}
