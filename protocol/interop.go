package protocol

import (
	"bytes"
	"encoding/hex"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/crypto/blake2b"
)

// Set is an unordered collection for interop-key arguments. It encodes as
// a MessagePack array whose elements are normalized, encoded, sorted by
// their encoded bytes and de-duplicated (interop-mode.md, The Interop Data
// Model).
type Set []any

// InteropKey returns the interop/v1 storage key
// "{namespace}:{operation}:{blake2b-256 hex}" for a call with the given
// positional arguments (interop-mode.md). namespace and operation must
// match ^[a-z0-9][a-z0-9._-]{0,63}$, contain no "..", and namespace must not
// be "ns" or "nsapi". args are hashed as one flat array under the canonical
// encoding; accepted types are nil, bool, the int and uint families,
// *big.Int within [-2^63, 2^64-1], float32/float64 (integral values collapse
// to integers, -0.0 to 0, NaN and ±Inf are errors), string (valid UTF-8),
// []byte, slices and arrays, maps with string keys, Set, time.Time (as a
// UTC Unix timestamp, floored to microseconds), uuid.UUID (lowercase
// hyphenated) and pointers to these. Anything else is an error of
// KindInvalidInput, never a silent coercion.
func InteropKey(namespace, operation string, args ...any) (string, error) {
	if err := ValidateSegment("namespace", namespace); err != nil {
		return "", err
	}
	if namespace == "ns" || namespace == "nsapi" {
		return "", invalidInput("protocol.interop_key", "namespace "+namespace+" is reserved")
	}
	if err := ValidateSegment("operation", operation); err != nil {
		return "", err
	}
	canon, err := CanonicalArgs(args...)
	if err != nil {
		return "", err
	}
	sum := blake2b.Sum256(canon)
	var b strings.Builder
	b.Grow(len(namespace) + len(operation) + 66)
	b.WriteString(namespace)
	b.WriteByte(':')
	b.WriteString(operation)
	b.WriteByte(':')
	b.WriteString(hex.EncodeToString(sum[:]))
	return b.String(), nil
}

// ValidateSegment checks an interop namespace or operation segment against
// the segment grammar ^[a-z0-9][a-z0-9._-]{0,63}$ (a full-string match) and
// the no-".." rule. what names the segment in the error.
func ValidateSegment(what, s string) error {
	bad := func(why string) error {
		return invalidInput("protocol.interop_key", what+" "+quoteSeg(s)+" "+why)
	}
	if len(s) == 0 || len(s) > 64 {
		return bad("must be 1-64 characters")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '.' || c == '_' || c == '-') && i > 0:
		default:
			return bad("must match ^[a-z0-9][a-z0-9._-]{0,63}$")
		}
	}
	if strings.Contains(s, "..") {
		return bad("must not contain \"..\"")
	}
	return nil
}

// quoteSeg quotes a segment for an error message as a Go string literal,
// so that control characters and invalid UTF-8 in the caller's input are
// escaped (an error text never carries a raw newline into a log line);
// segments over 80 bytes are cut, and the cut marked with "…".
func quoteSeg(s string) string {
	if len(s) > 80 {
		return strconv.Quote(s[:80]) + "…"
	}
	return strconv.Quote(s)
}

// CanonicalArgs returns the canonical MessagePack encoding of args as one
// flat array: the bytes InteropKey hashes.
func CanonicalArgs(args ...any) ([]byte, error) {
	k := keyEncoder{}
	k.b = appendArrayHeader(k.b, len(args))
	for _, a := range args {
		if err := k.encode(reflect.ValueOf(a)); err != nil {
			return nil, err
		}
	}
	return k.b, nil
}

type keyEncoder struct {
	b     []byte
	depth int
}

var (
	uuidType   = reflect.TypeFor[uuid.UUID]()
	bigIntType = reflect.TypeFor[big.Int]()
	setType    = reflect.TypeFor[Set]()
)

func keyErr(msg string) error { return invalidInput("protocol.interop_key", msg) }

var (
	minInt64  = big.NewInt(math.MinInt64)
	maxUint64 = new(big.Int).SetUint64(math.MaxUint64)
)

func (k *keyEncoder) number(f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return keyErr("NaN and ±Inf are not in the interop data model")
	}
	if isIntegralInRange(f) {
		if f < 0 {
			k.b = appendInt(k.b, int64(f))
		} else {
			k.b = appendUint(k.b, uint64(f))
		}
		return nil
	}
	k.b = appendFloat64(k.b, f)
	return nil
}

func (k *keyEncoder) encode(rv reflect.Value) error {
	if !rv.IsValid() {
		k.b = append(k.b, 0xc0)
		return nil
	}
	t := rv.Type()
	switch t {
	case timeType:
		if !rv.CanInterface() {
			return keyErr("unexported time.Time")
		}
		tm := rv.Interface().(time.Time)
		sec := tm.Unix()
		if sec > math.MaxInt64/1_000_000-1 || sec < math.MinInt64/1_000_000+1 {
			return keyErr("datetime out of range")
		}
		micros := sec*1_000_000 + int64(tm.Nanosecond()/1000) // Nanosecond is >= 0: this floors
		return k.number(float64(micros) / 1e6)
	case uuidType:
		if !rv.CanInterface() {
			return keyErr("unexported uuid.UUID")
		}
		k.b = appendStr(k.b, rv.Interface().(uuid.UUID).String())
		return nil
	case bigIntType:
		if !rv.CanInterface() {
			return keyErr("unexported big.Int")
		}
		bi := rv.Interface().(big.Int)
		return k.bigInt(&bi)
	case setType:
		return k.set(rv)
	}
	switch rv.Kind() {
	case reflect.Bool:
		k.b = appendBool(k.b, rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		k.b = appendInt(k.b, rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		k.b = appendUint(k.b, rv.Uint())
	case reflect.Float32, reflect.Float64:
		return k.number(rv.Float())
	case reflect.String:
		s := rv.String()
		if !utf8.ValidString(s) {
			return keyErr("string is not valid UTF-8")
		}
		k.b = appendStr(k.b, s)
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			k.b = append(k.b, 0xc0)
			return nil
		}
		if t.Kind() == reflect.Pointer && t.Elem() == bigIntType {
			return k.bigInt(rv.Interface().(*big.Int))
		}
		k.depth++
		if k.depth > MaxDepth {
			return keyErr("argument nests too deep (or is cyclic)")
		}
		err := k.encode(rv.Elem())
		k.depth--
		return err
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() && t.Elem().Kind() != reflect.Uint8 {
			k.b = append(k.b, 0xc0)
			return nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			if rv.Kind() == reflect.Slice {
				if rv.IsNil() {
					k.b = append(k.b, 0xc0)
					return nil
				}
				k.b = appendBin(k.b, rv.Bytes())
				return nil
			}
			k.b = appendBinHeader(k.b, rv.Len())
			for i := range rv.Len() {
				k.b = append(k.b, byte(rv.Index(i).Uint()))
			}
			return nil
		}
		if err := k.enter(); err != nil {
			return err
		}
		k.b = appendArrayHeader(k.b, rv.Len())
		for i := range rv.Len() {
			if err := k.encode(rv.Index(i)); err != nil {
				return err
			}
		}
		k.depth--
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return keyErr("map keys must be strings, not " + t.Key().String())
		}
		if rv.IsNil() {
			k.b = append(k.b, 0xc0)
			return nil
		}
		if err := k.enter(); err != nil {
			return err
		}
		keys := rv.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		k.b = appendMapHeader(k.b, len(keys))
		for _, key := range keys {
			if !utf8.ValidString(key.String()) {
				return keyErr("map key is not valid UTF-8")
			}
			k.b = appendStr(k.b, key.String())
			if err := k.encode(rv.MapIndex(key)); err != nil {
				return err
			}
		}
		k.depth--
	default:
		return keyErr("type " + t.String() + " is not in the interop data model")
	}
	return nil
}

func (k *keyEncoder) enter() error {
	k.depth++
	if k.depth > MaxDepth {
		return keyErr("argument nests too deep (or is cyclic)")
	}
	return nil
}

func (k *keyEncoder) bigInt(v *big.Int) error {
	if v.Cmp(minInt64) < 0 || v.Cmp(maxUint64) > 0 {
		return keyErr("integer outside [-2^63, 2^64-1]")
	}
	if v.IsInt64() {
		k.b = appendInt(k.b, v.Int64())
	} else {
		k.b = appendUint(k.b, v.Uint64())
	}
	return nil
}

func (k *keyEncoder) set(rv reflect.Value) error {
	if rv.IsNil() {
		k.b = append(k.b, 0xc0)
		return nil
	}
	if err := k.enter(); err != nil {
		return err
	}
	elems := make([][]byte, 0, rv.Len())
	for i := range rv.Len() {
		sub := keyEncoder{depth: k.depth}
		if err := sub.encode(rv.Index(i)); err != nil {
			return err
		}
		elems = append(elems, sub.b)
	}
	slices.SortFunc(elems, bytes.Compare)
	elems = slices.CompactFunc(elems, bytes.Equal)
	k.b = appendArrayHeader(k.b, len(elems))
	for _, e := range elems {
		k.b = append(k.b, e...)
	}
	k.depth--
	return nil
}
