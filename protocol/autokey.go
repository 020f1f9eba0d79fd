package protocol

import (
	"encoding/hex"
	"math/big"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/crypto/blake2b"
)

// AutoKeySpec is the input of an auto-mode key (spec/cache-key-format.md).
type AutoKeySpec struct {
	// Namespace adds the "ns:{namespace}:" prefix when not empty.
	Namespace string
	// Module and QualName identify the function: in Go, its package path
	// and its name inside the package (see FuncIdentity).
	Module, QualName string
	// Args are the positional arguments; Kwargs the named ones (Go has
	// none; the field exists for the vectors and for option structs).
	Args   []any
	Kwargs map[string]any
	// Integrity is the ic flag: true ("1") when values are stored in the
	// ByteStorage envelope, false ("0") for plain MessagePack.
	Integrity bool
	// Serializer is the configured serializer's identity ("default" for
	// this SDK's MessagePack codecs). It must not be empty.
	Serializer string
	// SerializerAliases maps alias spellings this SDK accepts to canonical
	// names. Leave it nil unless the SDK's API accepts aliases.
	SerializerAliases map[string]string
}

// MaxAutoKeyLength is the auto-mode key length limit; longer keys are
// shortened to their first 50 characters, ":" and 32 hex characters of
// their Blake2b-256 hash.
const MaxAutoKeyLength = 250

var serializerCodes = map[string]string{"default": "s", "auto": "a", "orjson": "o", "arrow": "w", "local": "l"}

// SerializerCode returns the one-character code of a serializer identity
// from the spec's table, or "x" followed by 4 hex characters of its
// 2-byte Blake2b digest. An empty identity is an error (KEY-10).
func SerializerCode(identity string, aliases map[string]string) (string, error) {
	if identity == "" {
		return "", invalidInput("protocol.auto_key", "serializer identity must not be empty")
	}
	if a, ok := aliases[identity]; ok {
		identity = a
	}
	if c, ok := serializerCodes[identity]; ok {
		return c, nil
	}
	h, err := blake2b.New(2, nil)
	if err != nil {
		return "", invalidInput("protocol.auto_key", err.Error())
	}
	h.Write([]byte(identity))
	return "x" + hex.EncodeToString(h.Sum(nil)), nil
}

// CustomSerializerIdentity returns the identity of a serializer given as
// an object rather than a name: "<custom>:" + its type name, a marker no
// table name carries, so a custom type never takes a table code.
func CustomSerializerIdentity(typeName string) string { return "<custom>:" + typeName }

// AutoKey returns the auto-mode key
// "ns:{ns}:func:{module}.{qualname}:args:{hash}:{ic}{code}", where hash is
// the Blake2b-256 of the MessagePack array [args, kwargs sorted by name]
// after the spec's normalization (floats stay float64 with -0.0 made 0.0;
// maps sorted by key; uuid.UUID as its string; time.Time as its ISO-8601
// string; sets and other types are rejected). Spaces, newlines and
// carriage returns become "_", and keys over 250 characters are shortened.
// These keys are SDK-internal: another SDK never reads them.
func AutoKey(spec AutoKeySpec) (string, error) {
	code, err := SerializerCode(spec.Serializer, spec.SerializerAliases)
	if err != nil {
		return "", err
	}
	if spec.Module == "" || spec.QualName == "" {
		return "", invalidInput("protocol.auto_key", "function module and name must not be empty")
	}
	a := autoEncoder{}
	a.b = append(a.b, 0x92)
	a.b = appendArrayHeader(a.b, len(spec.Args))
	for _, v := range spec.Args {
		if err := a.encode(reflect.ValueOf(v)); err != nil {
			return "", err
		}
	}
	if err := a.encode(reflect.ValueOf(spec.Kwargs)); err != nil {
		return "", err
	}
	sum := blake2b.Sum256(a.b)
	var sb strings.Builder
	if spec.Namespace != "" {
		sb.WriteString("ns:" + spec.Namespace + ":")
	}
	sb.WriteString("func:" + spec.Module + "." + spec.QualName + ":")
	sb.WriteString("args:" + hex.EncodeToString(sum[:]) + ":")
	if spec.Integrity {
		sb.WriteByte('1')
	} else {
		sb.WriteByte('0')
	}
	sb.WriteString(code)
	key := strings.NewReplacer(" ", "_", "\n", "_", "\r", "_").Replace(sb.String())
	if utf8.RuneCountInString(key) > MaxAutoKeyLength {
		full := blake2b.Sum256([]byte(key))
		runes := []rune(key)
		key = string(runes[:50]) + ":" + hex.EncodeToString(full[:])[:32]
	}
	return key, nil
}

// FuncIdentity returns the module (package path) and qualified name of a
// Go function value, from the runtime symbol table: for
// example.com/app/users.(*Store).Get it returns "example.com/app/users"
// and "(*Store).Get". Method values lose their "-fm" suffix.
func FuncIdentity(fn any) (module, qualname string, err error) {
	rv := reflect.ValueOf(fn)
	if rv.Kind() != reflect.Func || rv.IsNil() {
		return "", "", invalidInput("protocol.auto_key", "FuncIdentity needs a non-nil function")
	}
	f := runtime.FuncForPC(rv.Pointer())
	if f == nil {
		return "", "", invalidInput("protocol.auto_key", "function has no symbol")
	}
	name := strings.TrimSuffix(f.Name(), "-fm")
	slash := strings.LastIndexByte(name, '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot < 0 {
		return "", "", invalidInput("protocol.auto_key", "cannot split symbol "+name)
	}
	return name[:slash+1+dot], name[slash+1+dot+1:], nil
}

type autoEncoder struct {
	b     []byte
	depth int
}

func autoErr(msg string) error { return invalidInput("protocol.auto_key", msg) }

func (a *autoEncoder) encode(rv reflect.Value) error {
	if !rv.IsValid() {
		a.b = append(a.b, 0xc0)
		return nil
	}
	t := rv.Type()
	switch t {
	case timeType:
		if !rv.CanInterface() {
			return autoErr("unexported time.Time")
		}
		a.b = appendStr(a.b, string(formatDateTime(nil, rv.Interface().(time.Time))))
		return nil
	case uuidType:
		if !rv.CanInterface() {
			return autoErr("unexported uuid.UUID")
		}
		a.b = appendStr(a.b, rv.Interface().(uuid.UUID).String())
		return nil
	case setType:
		return autoErr("sets are rejected in auto-mode keys: pass a sorted slice")
	}
	switch rv.Kind() {
	case reflect.Bool:
		a.b = appendBool(a.b, rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		a.b = appendInt(a.b, rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		a.b = appendUint(a.b, rv.Uint())
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		if f == 0 {
			f = 0 // -0.0 -> 0.0
		}
		a.b = appendFloat64(a.b, f)
	case reflect.String:
		a.b = appendStr(a.b, rv.String())
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			a.b = append(a.b, 0xc0)
			return nil
		}
		if t.Kind() == reflect.Pointer && t.Elem() == bigIntType {
			v := rv.Interface().(*big.Int)
			if !v.IsInt64() && !v.IsUint64() {
				return autoErr("integer outside the MessagePack range")
			}
			if v.IsInt64() {
				a.b = appendInt(a.b, v.Int64())
			} else {
				a.b = appendUint(a.b, v.Uint64())
			}
			return nil
		}
		a.depth++
		if a.depth > MaxDepth {
			return autoErr("argument nests too deep (or is cyclic)")
		}
		err := a.encode(rv.Elem())
		a.depth--
		return err
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			if rv.Kind() == reflect.Slice {
				a.b = appendBin(a.b, rv.Bytes())
				return nil
			}
			a.b = appendBinHeader(a.b, rv.Len())
			for i := range rv.Len() {
				a.b = append(a.b, byte(rv.Index(i).Uint()))
			}
			return nil
		}
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			a.b = append(a.b, 0x90)
			return nil
		}
		a.depth++
		if a.depth > MaxDepth {
			return autoErr("argument nests too deep (or is cyclic)")
		}
		a.b = appendArrayHeader(a.b, rv.Len())
		for i := range rv.Len() {
			if err := a.encode(rv.Index(i)); err != nil {
				return err
			}
		}
		a.depth--
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return autoErr("map keys must be strings")
		}
		a.depth++
		if a.depth > MaxDepth {
			return autoErr("argument nests too deep (or is cyclic)")
		}
		keys := rv.MapKeys()
		slices.SortFunc(keys, func(x, y reflect.Value) int { return strings.Compare(x.String(), y.String()) })
		a.b = appendMapHeader(a.b, len(keys))
		for _, k := range keys {
			a.b = appendStr(a.b, k.String())
			if err := a.encode(rv.MapIndex(k)); err != nil {
				return err
			}
		}
		a.depth--
	default:
		return autoErr("type " + t.String() + " is not accepted in auto-mode keys")
	}
	return nil
}
