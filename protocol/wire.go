package protocol

import (
	"encoding/binary"
	"math"
)

// Shortest-form MessagePack writers shared by the value encoder, the
// canonical key encoder and the containers.

func appendUint(b []byte, v uint64) []byte {
	switch {
	case v <= 0x7f:
		return append(b, byte(v))
	case v <= math.MaxUint8:
		return append(b, 0xcc, byte(v))
	case v <= math.MaxUint16:
		return append(b, 0xcd, byte(v>>8), byte(v))
	case v <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xcf), v)
}

func appendInt(b []byte, v int64) []byte {
	if v >= 0 {
		return appendUint(b, uint64(v))
	}
	switch {
	case v >= -32:
		return append(b, byte(v))
	case v >= math.MinInt8:
		return append(b, 0xd0, byte(v))
	case v >= math.MinInt16:
		return append(b, 0xd1, byte(v>>8), byte(v))
	case v >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(v))
}

func appendFloat64(b []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(append(b, 0xcb), math.Float64bits(f))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 0xc3)
	}
	return append(b, 0xc2)
}

func appendStrHeader(b []byte, n int) []byte {
	switch {
	case n <= 31:
		return append(b, 0xa0|byte(n))
	case n <= math.MaxUint8:
		return append(b, 0xd9, byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xda, byte(n>>8), byte(n))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
}

func appendStr(b []byte, s string) []byte {
	return append(appendStrHeader(b, len(s)), s...)
}

func appendBinHeader(b []byte, n int) []byte {
	switch {
	case n <= math.MaxUint8:
		return append(b, 0xc4, byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xc5, byte(n>>8), byte(n))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xc6), uint32(n))
}

func appendBin(b []byte, p []byte) []byte {
	return append(appendBinHeader(b, len(p)), p...)
}

func appendArrayHeader(b []byte, n int) []byte {
	switch {
	case n <= 15:
		return append(b, 0x90|byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xdc, byte(n>>8), byte(n))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xdd), uint32(n))
}

func appendMapHeader(b []byte, n int) []byte {
	switch {
	case n <= 15:
		return append(b, 0x80|byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xde, byte(n>>8), byte(n))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xdf), uint32(n))
}

// reader is a bounds-checked cursor over MessagePack bytes, used by the
// containers' hand parsers. Every read checks the bytes are present.
type reader struct {
	b   []byte
	pos int
}

func (r *reader) remaining() int { return len(r.b) - r.pos }

func (r *reader) byte() (byte, bool) {
	if r.pos >= len(r.b) {
		return 0, false
	}
	c := r.b[r.pos]
	r.pos++
	return c, true
}

func (r *reader) uintN(n int) (uint64, bool) {
	if r.remaining() < n {
		return 0, false
	}
	var v uint64
	for _, c := range r.b[r.pos : r.pos+n] {
		v = v<<8 | uint64(c)
	}
	r.pos += n
	return v, true
}

// intBody reads the value of an integer whose marker m was just read.
// It returns ok=false when the bytes end early; isInt=false when m is not
// an integer marker. neg reports a negative value (v then holds its
// two's-complement bits).
func (r *reader) intBody(m byte) (v uint64, neg, isInt, ok bool) {
	switch {
	case m <= 0x7f:
		return uint64(m), false, true, true
	case m >= 0xe0:
		return uint64(int64(int8(m))), true, true, true
	}
	switch m {
	case 0xcc, 0xcd, 0xce, 0xcf:
		v, ok = r.uintN(1 << (m - 0xcc))
		return v, false, true, ok
	case 0xd0, 0xd1, 0xd2, 0xd3:
		n := 1 << (m - 0xd0)
		v, ok = r.uintN(n)
		if !ok {
			return 0, false, true, false
		}
		shift := uint(64 - 8*n)
		s := int64(v<<shift) >> shift
		return uint64(s), s < 0, true, true
	}
	return 0, false, false, true
}

// arrayLen reads an array header; isArr=false if the marker is not one.
func (r *reader) arrayLen(m byte) (n uint64, isArr, ok bool) {
	switch {
	case m >= 0x90 && m <= 0x9f:
		return uint64(m & 0x0f), true, true
	case m == 0xdc:
		n, ok = r.uintN(2)
		return n, true, ok
	case m == 0xdd:
		n, ok = r.uintN(4)
		return n, true, ok
	}
	return 0, false, true
}

// binLen reads a bin header; isBin=false if the marker is not one.
func (r *reader) binLen(m byte) (n uint64, isBin, ok bool) {
	switch m {
	case 0xc4, 0xc5, 0xc6:
		w := 1 << (m - 0xc4)
		n, ok = r.uintN(w)
		return n, true, ok
	}
	return 0, false, true
}

// strLen reads a str header; isStr=false if the marker is not one.
func (r *reader) strLen(m byte) (n uint64, isStr, ok bool) {
	switch {
	case m >= 0xa0 && m <= 0xbf:
		return uint64(m & 0x1f), true, true
	case m == 0xd9:
		n, ok = r.uintN(1)
		return n, true, ok
	case m == 0xda:
		n, ok = r.uintN(2)
		return n, true, ok
	case m == 0xdb:
		n, ok = r.uintN(4)
		return n, true, ok
	}
	return 0, false, true
}

// take returns the next n bytes (a view, no copy).
func (r *reader) take(n uint64) ([]byte, bool) {
	if n > uint64(r.remaining()) {
		return nil, false
	}
	p := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return p, true
}
