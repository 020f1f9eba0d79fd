package protocol

import (
	"bytes"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
)

// The value encoder: plain MessagePack as interop-mode.md's value profile
// and wire-format.md's payload format describe it. Shortest-form headers;
// []byte and byte arrays as bin; float32 widened to float64 (canonical
// writers never emit float32); map keys sorted (strings by UTF-8 bytes,
// other keys by their encoded bytes); structs as maps in field declaration
// order, honouring `msgpack:"name,omitempty"` and `msgpack:"-"` tags the
// way shamaton/msgpack does; time.Time, Date and TimeOfDay as the temporal
// sentinel maps. No number canonicalization: 2.0 stays a float.

type encoder struct {
	b     []byte
	depth int
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	dateType      = reflect.TypeFor[Date]()
	timeOfDayType = reflect.TypeFor[TimeOfDay]()
)

var encPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// marshalValue encodes v and returns a freshly allocated slice.
func marshalValue(v any) ([]byte, error) {
	bp := encPool.Get().(*[]byte)
	e := encoder{b: (*bp)[:0]}
	err := e.encode(v)
	var out []byte
	if err == nil {
		out = bytes.Clone(e.b)
		if out == nil {
			out = []byte{}
		}
	}
	if cap(e.b) <= 1<<20 {
		*bp = e.b[:0]
		encPool.Put(bp)
	}
	return out, err
}

func (e *encoder) encode(v any) error {
	switch x := v.(type) {
	case nil:
		e.b = append(e.b, 0xc0)
	case bool:
		e.b = appendBool(e.b, x)
	case string:
		e.b = appendStr(e.b, x)
	case []byte:
		if x == nil {
			e.b = append(e.b, 0xc0)
		} else {
			e.b = appendBin(e.b, x)
		}
	case int:
		e.b = appendInt(e.b, int64(x))
	case int64:
		e.b = appendInt(e.b, x)
	case int32:
		e.b = appendInt(e.b, int64(x))
	case uint64:
		e.b = appendUint(e.b, x)
	case uint:
		e.b = appendUint(e.b, uint64(x))
	case float64:
		e.b = appendFloat64(e.b, x)
	case float32:
		e.b = appendFloat64(e.b, float64(x))
	case time.Time:
		return e.encodeTime(x)
	case Date:
		return e.encodeTemporal(sentinelDate, x)
	case TimeOfDay:
		return e.encodeTemporal(sentinelTime, x)
	case []any:
		if x == nil {
			e.b = append(e.b, 0xc0)
			return nil
		}
		if err := e.enter(); err != nil {
			return err
		}
		e.b = appendArrayHeader(e.b, len(x))
		for _, el := range x {
			if err := e.encode(el); err != nil {
				return err
			}
		}
		e.depth--
	case map[string]any:
		if x == nil {
			e.b = append(e.b, 0xc0)
			return nil
		}
		if err := checkSentinelMap(x); err != nil {
			return err
		}
		if err := e.enter(); err != nil {
			return err
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		e.b = appendMapHeader(e.b, len(x))
		for _, k := range keys {
			e.b = appendStr(e.b, k)
			if err := e.encode(x[k]); err != nil {
				return err
			}
		}
		e.depth--
	default:
		return e.encodeValue(reflect.ValueOf(v))
	}
	return nil
}

func (e *encoder) enter() error {
	e.depth++
	if e.depth > MaxDepth {
		return invalidInput("protocol.marshal", "value nests deeper than the protocol's depth bound (or is cyclic)")
	}
	return nil
}

// checkSentinelMap rejects a map shaped as a temporal sentinel whose value
// does not parse: every SDK reads such a map as a date or time (the
// protocol's vectors encode one as a plain map), and one that cannot be
// read back must not be stored.
func checkSentinelMap(m map[string]any) error {
	if _, _, malformed := reviveSentinel(m); malformed {
		return invalidInput("protocol.marshal", `a map shaped as a temporal sentinel ({"__datetime__"|"__date__"|"__time__": true, "value": string}) holds a value that is not a valid date or time`)
	}
	return nil
}

// encodeTemporal encodes a Date or TimeOfDay as its sentinel map.
func (e *encoder) encodeTemporal(key string, v interface{ String() string }) error {
	if why := checkTemporal(v); why != "" {
		return invalidInput("protocol.marshal", why)
	}
	e.encodeSentinel(key, v.String())
	return nil
}

func (e *encoder) encodeTime(t time.Time) error {
	if why := checkDateTime(t.Truncate(time.Microsecond)); why != "" {
		return invalidInput("protocol.marshal", why)
	}
	e.b = append(e.b, 0x82)
	e.b = appendStr(e.b, sentinelDateTime)
	e.b = append(e.b, 0xc3)
	e.b = appendStr(e.b, "value")
	var buf [48]byte
	e.b = appendStr(e.b, string(formatDateTime(buf[:0], t)))
	return nil
}

func (e *encoder) encodeSentinel(key, value string) {
	e.b = append(e.b, 0x82)
	e.b = appendStr(e.b, key)
	e.b = append(e.b, 0xc3)
	e.b = appendStr(e.b, "value")
	e.b = appendStr(e.b, value)
}

func (e *encoder) encodeValue(rv reflect.Value) error {
	switch rv.Kind() {
	case reflect.Invalid:
		e.b = append(e.b, 0xc0)
	case reflect.Bool:
		e.b = appendBool(e.b, rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.b = appendInt(e.b, rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.b = appendUint(e.b, rv.Uint())
	case reflect.Float32, reflect.Float64:
		e.b = appendFloat64(e.b, rv.Float())
	case reflect.String:
		e.b = appendStr(e.b, rv.String())
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			e.b = append(e.b, 0xc0)
			return nil
		}
		if err := e.enter(); err != nil {
			return err
		}
		var err error
		if el := rv.Elem(); rv.Kind() == reflect.Interface && el.CanInterface() {
			err = e.encode(el.Interface())
		} else {
			err = e.encodeValue(el)
		}
		e.depth--
		return err
	case reflect.Slice:
		if rv.IsNil() {
			e.b = append(e.b, 0xc0)
			return nil
		}
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			e.b = appendBin(e.b, rv.Bytes())
			return nil
		}
		return e.encodeList(rv)
	case reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			n := rv.Len()
			e.b = appendBinHeader(e.b, n)
			for i := range n {
				e.b = append(e.b, byte(rv.Index(i).Uint()))
			}
			return nil
		}
		return e.encodeList(rv)
	case reflect.Map:
		if rv.IsNil() {
			e.b = append(e.b, 0xc0)
			return nil
		}
		return e.encodeMap(rv)
	case reflect.Struct:
		switch t := rv.Type(); {
		case (t == timeType || t == dateType || t == timeOfDayType) && !rv.CanInterface():
			return invalidInput("protocol.marshal", "cannot encode an unexported "+t.String())
		case t == timeType:
			return e.encodeTime(rv.Interface().(time.Time))
		case t == dateType:
			return e.encodeTemporal(sentinelDate, rv.Interface().(Date))
		case t == timeOfDayType:
			return e.encodeTemporal(sentinelTime, rv.Interface().(TimeOfDay))
		}
		return e.encodeStruct(rv)
	default:
		return invalidInput("protocol.marshal", "cannot encode a value of type "+rv.Type().String())
	}
	return nil
}

func (e *encoder) encodeList(rv reflect.Value) error {
	if err := e.enter(); err != nil {
		return err
	}
	n := rv.Len()
	e.b = appendArrayHeader(e.b, n)
	for i := range n {
		if err := e.encodeValue(rv.Index(i)); err != nil {
			return err
		}
	}
	e.depth--
	return nil
}

func (e *encoder) encodeMap(rv reflect.Value) error {
	if err := e.enter(); err != nil {
		return err
	}
	n := rv.Len()
	if rv.Type().Key().Kind() == reflect.String && n == 2 {
		// The two entries as the wire will carry them: bools and strings
		// of any named type, through interfaces.
		m := make(map[string]any, 2)
		for it := rv.MapRange(); it.Next(); {
			v := it.Value()
			for v.Kind() == reflect.Interface && !v.IsNil() {
				v = v.Elem()
			}
			switch v.Kind() {
			case reflect.Bool:
				m[it.Key().String()] = v.Bool()
			case reflect.String:
				m[it.Key().String()] = v.String()
			default:
				m[it.Key().String()] = nil
			}
		}
		if err := checkSentinelMap(m); err != nil {
			return err
		}
	}
	e.b = appendMapHeader(e.b, n)
	if rv.Type().Key().Kind() == reflect.String {
		keys := make([]reflect.Value, 0, n)
		it := rv.MapRange()
		for it.Next() {
			keys = append(keys, it.Key())
		}
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			e.b = appendStr(e.b, k.String())
			if err := e.encodeValue(rv.MapIndex(k)); err != nil {
				return err
			}
		}
		e.depth--
		return nil
	}
	// Other keys: sort the entries by the encoded bytes of their keys.
	type entry struct {
		key []byte
		val reflect.Value
	}
	entries := make([]entry, 0, n)
	it := rv.MapRange()
	for it.Next() {
		sub := encoder{depth: e.depth}
		if err := sub.encodeValue(it.Key()); err != nil {
			return err
		}
		entries = append(entries, entry{sub.b, it.Value()})
	}
	slices.SortFunc(entries, func(a, b entry) int { return bytes.Compare(a.key, b.key) })
	for _, en := range entries {
		e.b = append(e.b, en.key...)
		if err := e.encodeValue(en.val); err != nil {
			return err
		}
	}
	e.depth--
	return nil
}

type structField struct {
	index     int
	key       []byte // the field name, pre-encoded as a msgpack str
	omitEmpty bool
}

type structInfo struct {
	fields   []structField
	anyOmits bool
}

var structCache sync.Map // reflect.Type -> *structInfo

func structInfoOf(t reflect.Type) *structInfo {
	if si, ok := structCache.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == "" || f.Name[0] < 'A' || f.Name[0] > 'Z' { // shamaton's rule: exported ASCII names
			continue
		}
		name, omit := f.Name, false
		if tag, ok := f.Tag.Lookup("msgpack"); ok && tag != "" {
			parts := strings.Split(tag, ",")
			if parts[0] == "-" {
				continue
			}
			if parts[0] != "" {
				name = parts[0]
			}
			omit = slices.Contains(parts[1:], "omitempty")
		}
		si.fields = append(si.fields, structField{index: i, key: appendStr(nil, name), omitEmpty: omit})
		si.anyOmits = si.anyOmits || omit
	}
	v, _ := structCache.LoadOrStore(t, si)
	return v.(*structInfo)
}

func (e *encoder) encodeStruct(rv reflect.Value) error {
	if err := e.enter(); err != nil {
		return err
	}
	si := structInfoOf(rv.Type())
	n := len(si.fields)
	if si.anyOmits {
		for _, f := range si.fields {
			if f.omitEmpty && rv.Field(f.index).IsZero() {
				n--
			}
		}
	}
	e.b = appendMapHeader(e.b, n)
	for _, f := range si.fields {
		fv := rv.Field(f.index)
		if f.omitEmpty && fv.IsZero() {
			continue
		}
		e.b = append(e.b, f.key...)
		if err := e.encodeValue(fv); err != nil {
			return err
		}
	}
	e.depth--
	return nil
}

// isIntegralInRange reports whether f is integral and inside the interop
// collapse range [-2^63, 2^64).
func isIntegralInRange(f float64) bool {
	return f == math.Trunc(f) && f >= -9223372036854775808.0 && f < 18446744073709551616.0
}
