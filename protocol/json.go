package protocol

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"

	"github.com/cachekit-io/cachekit-go/core"
)

// FormatJSON is the format token of the JSON codec: the registry's token
// for JSON values (encryption.md), which cachekit-py's OrjsonSerializer
// writes.
const FormatJSON = "orjson"

// JSON returns a JSON codec, for debugging: stored values can be read with
// redis-cli or cat. It uses encoding/json (no dependency beyond the
// standard library): Marshal writes json.Marshal's output without HTML
// escaping, Unmarshal reads one JSON document with json.Unmarshal's rules
// (into interface{} values numbers decode as float64, objects as
// map[string]any). Its format token is "orjson" and Compressed() is false,
// the AAD of cachekit-py's OrjsonSerializer with integrity checking off;
// the bytes are plain JSON, with no checksum prefix and no envelope, so the
// other SDKs' default (MessagePack) readers do not read them.
//
// JSON is not an interop codec (IsInterop reports false): interop mode's
// values are plain MessagePack. It implements core.MaxSizer. What a decode
// allocates for the elements the document holds is bounded by
// MaxDecodeAlloc, as for the MessagePack codecs: "[{},{},…]" read into a
// slice of large structs is refused before it is decoded.
func JSON() core.Codec { return jsonCodec{} }

type jsonCodec struct{ max int }

func (jsonCodec) Format() string   { return FormatJSON }
func (jsonCodec) Compressed() bool { return false }

func (c jsonCodec) Marshal(v any) ([]byte, error) {
	const op = "protocol.json.marshal"
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, serErr(op, err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
	if c.max > 0 && len(b) > c.max {
		return nil, tooLarge(op, "encoded value exceeds the configured max size")
	}
	return b, nil
}

func (c jsonCodec) Unmarshal(data []byte, v any) error {
	const op = "protocol.json.unmarshal"
	if c.max > 0 && len(data) > c.max {
		return formatErr(op, "json", RuleMaxSize, "value exceeds the configured max size")
	}
	if len(data) == 0 {
		return formatErr(op, "json", RuleEmpty, "no JSON document")
	}
	if elems := jsonElems(data); elems > uncheckedElems && v != nil {
		t := reflect.TypeOf(v)
		per, ok := elemSizes.Load(t)
		if !ok {
			per, _ = elemSizes.LoadOrStore(t, perElem(t, map[reflect.Type]bool{}))
		}
		if p := per.(uint64); p > 0 && elems > MaxDecodeAlloc/p {
			return formatErr(op, "json", RuleBudget, "the document holds up to "+strconv.FormatUint(elems, 10)+
				" elements; read into "+t.String()+" (up to "+strconv.FormatUint(p, 10)+
				" bytes each) that could allocate more than the decode bound of 256 MiB")
		}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return serErr(op, err)
	}
	return nil
}

// WithMaxSize implements core.MaxSizer: values over n bytes are refused on
// both sides with KindPayloadTooLarge. n <= 0 removes the limit.
func (c jsonCodec) WithMaxSize(n int) core.Codec { c.max = n; return c }

// jsonElems is an upper bound on the array elements and object members
// data holds: a container holds at most one more than the commas directly
// inside it, so commas plus containers outside strings bound them all.
func jsonElems(data []byte) uint64 {
	var n uint64
	inString, escaped := false, false
	for _, b := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == ',' || b == '[' || b == '{':
			n++
		}
	}
	return n
}

var _ core.MaxSizer = jsonCodec{}
