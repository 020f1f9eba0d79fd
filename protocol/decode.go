package protocol

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/shamaton/msgpack/v2"

	"github.com/cachekit-io/cachekit-go/core"
)

// Ext is an application-defined MessagePack extension value, as decoded
// into an interface{} target. CacheKit writers never emit ext types, but a
// reader accepts them (interop-mode.md, reader_accept_vectors).
type Ext struct {
	Type int8
	Data []byte
}

// unmarshalValue decodes one untrusted plain-MessagePack document into v.
// The guard runs first; it also enforces exactly-one-document and diagnoses
// CK frames. Decoded []byte values may share memory with data.
func unmarshalValue(op string, data []byte, v any) (err error) {
	sentinel, elems, err := checkOne(data, op)
	if err != nil {
		return err
	}
	if err := checkAllocation(op, elems, v); err != nil {
		return err
	}
	return decodeChecked(op, data, v, sentinel)
}

// binOrStr returns the payload of a document that is a single bin or str
// value (the fast path for []byte and string targets); ok is false when the
// document is something else.
func binOrStr(op string, data []byte) (b []byte, ok bool, err error) {
	r := reader{b: data}
	m, _ := r.byte()
	n, is, _ := r.binLen(m)
	if !is {
		n, is, _ = r.strLen(m)
	}
	if !is {
		return nil, false, nil
	}
	if b, ok = r.take(n); !ok {
		return nil, false, guardErr(op, RuleIncomplete, r.pos)
	}
	return b, true, nil
}

// decodeChecked decodes a document the guard has already accepted; sentinel
// is what the guard found (checkOne): whether the document may hold a
// temporal sentinel map.
func decodeChecked(op string, data []byte, v any, sentinel bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = formatErr(op, "msgpack", RuleType, fmt.Sprint("decoder failure: ", r))
		}
	}()
	switch p := v.(type) {
	case nil:
		return invalidInput(op, "Unmarshal needs a non-nil pointer")
	case *[]byte:
		if p == nil {
			return invalidInput(op, "Unmarshal needs a non-nil pointer")
		}
		if len(data) > 0 && data[0] == 0xc0 {
			*p = nil
			return nil
		}
		if b, ok, err := binOrStr(op, data); ok || err != nil {
			if ok {
				*p = b[:len(b):len(b)]
			}
			return err
		}
	case *string:
		if p == nil {
			return invalidInput(op, "Unmarshal needs a non-nil pointer")
		}
		if b, ok, err := binOrStr(op, data); ok || err != nil {
			if ok {
				*p = string(b)
			}
			return err
		}
	case *any:
		if p == nil {
			return invalidInput(op, "Unmarshal needs a non-nil pointer")
		}
		d := genDecoder{b: data, op: op}
		x, err := d.value()
		if err != nil {
			return err
		}
		*p = x
		return nil
	case *map[string]any:
		return decodeTree(op, data, p, "map[string]any")
	case *[]any:
		return decodeTree(op, data, p, "[]any")
	}
	if sentinel {
		// Temporal sentinel maps: decode generically (reviving them), then
		// let shamaton/msgpack place the tree, whose temporal values it
		// now sees as its native timestamp ext, into the typed target.
		d := genDecoder{b: data, op: op}
		x, err := d.value()
		if err != nil {
			return err
		}
		tmp, err := msgpack.Marshal(x)
		if err != nil {
			return formatErr(op, "msgpack", RuleType, err.Error())
		}
		data = tmp
	}
	if err := msgpack.Unmarshal(data, v); err != nil {
		return &core.Error{Kind: core.KindSerialization, Op: op, Err: &FormatError{Container: "msgpack", Rule: RuleType, Detail: err.Error()}}
	}
	return nil
}

// decodeTree decodes data with the generic decoder into *p, whose type
// (named by name in errors) the decoded tree must have; nil decodes to the
// zero value.
func decodeTree[T any](op string, data []byte, p *T, name string) error {
	if p == nil {
		return invalidInput(op, "Unmarshal needs a non-nil pointer")
	}
	d := genDecoder{b: data, op: op}
	x, err := d.value()
	if err != nil {
		return err
	}
	switch m := x.(type) {
	case nil:
		var zero T
		*p = zero
		return nil
	case T:
		*p = m
		return nil
	}
	return formatErr(op, "msgpack", RuleType, fmt.Sprintf("cannot decode %T into %s", x, name))
}

// genDecoder decodes a guard-checked document into interface{} values:
// nil, bool, int64 (uint64 above MaxInt64), float64, string, []byte (a view
// of the input), []any, map[string]any (map[any]any when a key is not a
// string), Ext, and the revived temporal types time.Time, Date, TimeOfDay.
// It still bounds-checks every read, so it never panics on bad input.
type genDecoder struct {
	b   []byte
	pos int
	op  string
}

func (d *genDecoder) short() error { return guardErr(d.op, RuleIncomplete, d.pos) }

func (d *genDecoder) n(w int) (uint64, error) {
	if len(d.b)-d.pos < w {
		return 0, d.short()
	}
	var v uint64
	switch w {
	case 1:
		v = uint64(d.b[d.pos])
	case 2:
		v = uint64(binary.BigEndian.Uint16(d.b[d.pos:]))
	case 4:
		v = uint64(binary.BigEndian.Uint32(d.b[d.pos:]))
	case 8:
		v = binary.BigEndian.Uint64(d.b[d.pos:])
	}
	d.pos += w
	return v, nil
}

func (d *genDecoder) bytes(n uint64) ([]byte, error) {
	if n > uint64(len(d.b)-d.pos) {
		return nil, d.short()
	}
	p := d.b[d.pos : d.pos+int(n) : d.pos+int(n)]
	d.pos += int(n)
	return p, nil
}

func (d *genDecoder) value() (any, error) {
	if d.pos >= len(d.b) {
		return nil, d.short()
	}
	m := d.b[d.pos]
	d.pos++
	switch {
	case m <= 0x7f:
		return int64(m), nil
	case m >= 0xe0:
		return int64(int8(m)), nil
	case m >= 0xa0 && m <= 0xbf:
		s, err := d.bytes(uint64(m & 0x1f))
		return string(s), err
	case m >= 0x90 && m <= 0x9f:
		return d.array(uint64(m & 0x0f))
	case m >= 0x80 && m <= 0x8f:
		return d.mapN(uint64(m & 0x0f))
	}
	switch m {
	case 0xc0:
		return nil, nil
	case 0xc2:
		return false, nil
	case 0xc3:
		return true, nil
	case 0xcc, 0xcd, 0xce, 0xcf:
		v, err := d.n(1 << (m - 0xcc))
		if v > math.MaxInt64 {
			return v, err
		}
		return int64(v), err
	case 0xd0, 0xd1, 0xd2, 0xd3:
		w := 1 << (m - 0xd0)
		v, err := d.n(w)
		shift := uint(64 - 8*w)
		return int64(v<<shift) >> shift, err
	case 0xca:
		v, err := d.n(4)
		return float64(math.Float32frombits(uint32(v))), err
	case 0xcb:
		v, err := d.n(8)
		return math.Float64frombits(v), err
	case 0xc4, 0xc5, 0xc6:
		l, err := d.n(1 << (m - 0xc4))
		if err != nil {
			return nil, err
		}
		return d.bytes(l)
	case 0xd9, 0xda, 0xdb:
		l, err := d.n(1 << (m - 0xd9))
		if err != nil {
			return nil, err
		}
		s, err := d.bytes(l)
		return string(s), err
	case 0xdc, 0xdd:
		l, err := d.n(2 << (m - 0xdc))
		if err != nil {
			return nil, err
		}
		return d.array(l)
	case 0xde, 0xdf:
		l, err := d.n(2 << (m - 0xde))
		if err != nil {
			return nil, err
		}
		return d.mapN(l)
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return d.ext(uint64(1) << (m - 0xd4))
	case 0xc7, 0xc8, 0xc9:
		l, err := d.n(1 << (m - 0xc7))
		if err != nil {
			return nil, err
		}
		return d.ext(l)
	}
	return nil, guardErr(d.op, RuleReservedMarker, d.pos-1)
}

func (d *genDecoder) ext(n uint64) (any, error) {
	t, err := d.n(1)
	if err != nil {
		return nil, err
	}
	p, err := d.bytes(n)
	if err != nil {
		return nil, err
	}
	return Ext{Type: int8(t), Data: p}, nil
}

func (d *genDecoder) array(n uint64) (any, error) {
	if n > uint64(len(d.b)-d.pos) { // every element needs a byte
		return nil, d.short()
	}
	out := make([]any, n)
	for i := range out {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (d *genDecoder) mapN(n uint64) (any, error) {
	if n > uint64(len(d.b)-d.pos)/2 {
		return nil, d.short()
	}
	m := make(map[string]any, n)
	var mk map[any]any
	for i := uint64(0); i < n; i++ {
		k, err := d.value()
		if err != nil {
			return nil, err
		}
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		if ks, ok := k.(string); ok && mk == nil {
			m[ks] = v
			continue
		}
		if mk == nil {
			mk = make(map[any]any, n)
			for ks, vv := range m {
				mk[ks] = vv
			}
		}
		switch kk := k.(type) {
		case []any, map[string]any, map[any]any:
			return nil, formatErr(d.op, "msgpack", RuleType, "a map key is a collection")
		case []byte:
			k = string(kk)
		case Ext:
			k = fmt.Sprintf("ext(%d):%x", kk.Type, kk.Data)
		}
		mk[k] = v
	}
	if mk != nil {
		return mk, nil
	}
	if len(m) == 2 {
		t, ok, malformed := reviveSentinel(m)
		if ok {
			return t, nil
		}
		if malformed {
			return nil, formatErr(d.op, "msgpack", RuleType, "a temporal sentinel map holds a value that is not a valid date or time")
		}
	}
	return m, nil
}
