// Package protocol makes cachekit-go byte-compatible with the other CacheKit
// SDKs: the MessagePack value codecs, the ByteStorage envelope, the
// interop/v2 container, interop and auto-mode cache keys, and the
// hostile-MessagePack guard every untrusted decode runs first. It is proven
// by the official protocol test vectors, vendored unchanged in testdata/.
//
// # Codecs
//
// Three core.Codec implementations, all with the format token "msgpack":
//
//   - Msgpack: plain MessagePack, the interop/v1 value format
//     (Compressed() == false).
//   - Envelope: the MessagePack value inside the ByteStorage envelope, LZ4
//     block plus xxHash3-64 (Compressed() == true), what cachekit-ts stores.
//   - InteropV2: the interop/v2 container (a DRAFT profile), an explicit
//     opt-in (Compressed() == true for every entry).
//
// A fourth, JSON, is for debugging (format token "orjson", plain JSON from
// encoding/json). IsInterop tells the two interop codecs (Msgpack,
// InteropV2) from the others, so that a codec which would change their
// bytes (codec/zstd) can refuse to be combined with them.
//
// All four implement core.MaxSizer, so a client's payload limit also bounds
// the bytes a decode reads. What a typed decode allocates for the elements
// a document declares is bounded by MaxDecodeAlloc: a few bytes of nils
// read into a slice of large arrays or structs would otherwise allocate the
// element's size for each byte.
//
// # Type mapping
//
// Marshal writes shortest-form MessagePack: nil as nil; bool; the int and
// uint families as int/uint; float32 and float64 as float64; string as str;
// []byte and byte arrays as bin; slices and arrays as arrays; maps as maps
// with keys sorted (strings by UTF-8 bytes); structs as maps in field
// declaration order, with `msgpack:"name,omitempty"` and `msgpack:"-"` tags
// as github.com/shamaton/msgpack/v2 reads them; time.Time as
// {"__datetime__": true, "value": ISO-8601} at microsecond precision, Date
// as {"__date__": true, ...} and TimeOfDay as {"__time__": true, ...}.
//
// Unmarshal decodes with shamaton/msgpack into typed targets, and with this
// package's own decoder into *any, *map[string]any, *[]any, *[]byte and
// *string. Into interface{} values a document decodes to nil, bool, int64
// (uint64 above math.MaxInt64), float64, string, []byte, []any,
// map[string]any (map[any]any when a key is not a string), Ext, and the
// temporal sentinel maps revive as time.Time, Date and TimeOfDay, in typed
// fields too; a sentinel map whose value does not parse is a decode error.
// Dates and times outside what the other SDKs read (years 1 to 9999, zone
// offsets under a day) are rejected by Marshal. A decoded value may share
// memory with the bytes it was decoded from: callers hand those bytes over.
//
// Numbers decode into a narrower or different numeric Go type by
// conversion, as shamaton/msgpack does (300 read as int8 is 44, 1.5 read as
// int is 1, -1 read as uint wraps): read a value into the type it was
// stored as.
//
// # Untrusted input
//
// Every decode of stored bytes first runs the pre-scan (ScanMsgpack,
// CheckMsgpack): depth at most MaxDepth, declared lengths bounded by the
// input, complete documents, exactly one document. Container readers
// (OpenEnvelope, OpenV2) check every size, ratio and shape rule before they
// allocate any output. Nothing panics on any input. Rejections are
// *core.Error values (KindSerialization, or KindPayloadTooLarge for a
// configured limit) wrapping a *GuardError, a *FormatError or a
// *ForeignFrameError that names the rule broken; RuleOf extracts it. A
// value starting with the cachekit-py CK frame magic is never decoded.
//
// # Keys
//
// InteropKey builds the cross-SDK key "{namespace}:{operation}:{hash}" from
// a canonical encoding of the arguments (interop-mode.md). AutoKey builds
// the SDK-internal auto-mode key of cache-key-format.md from a function
// identity (FuncIdentity) and its arguments.
package protocol
