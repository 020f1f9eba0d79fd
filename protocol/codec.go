package protocol

import (
	"sync"

	"github.com/cachekit-io/cachekit-go/core"
)

// Format is the serialization-format token every codec of this package
// reports: the AES-GCM plaintext is MessagePack-family bytes.
const Format = "msgpack"

// Msgpack returns the plain MessagePack codec: the interop/v1 value format,
// and the "minimal" preset's container. Compressed() is false, so an
// encrypted entry's AAD carries the "False" token, as interop mode requires.
//
// Marshal writes canonical MessagePack (see the package documentation for
// the type mapping). Unmarshal is a strict interop reader: it runs the
// hostile-MessagePack guard first, consumes exactly one document, rejects
// trailing bytes, and reports bytes that start with the cachekit-py CK
// magic (0x43 0x4B) as a *ForeignFrameError. Decoded []byte values may
// share memory with the input, which the caller hands over.
func Msgpack() core.Codec { return msgpackCodec{} }

// Envelope returns the ByteStorage-envelope codec: the MessagePack value,
// LZ4-block-compressed and xxHash3-64-checked inside the envelope of
// wire-format.md (what cachekit-ts writes by default). Compressed() is
// true: encryption.md's vectors seal the envelope with the "True" token
// (standard_serializer_default) and plain MessagePack with "False".
//
// Unmarshal accepts both the bin and the legacy array-of-integers
// envelope, enforces every limit before allocating, then guards and
// decodes the payload like Msgpack's Unmarshal. Decoded []byte values may
// share memory with the input, as with Msgpack.
func Envelope() core.Codec { return envelopeCodec{} }

// V2Option configures InteropV2.
type V2Option func(*v2Codec)

// V2Uncompressed makes the codec write method 0 (no compression) only.
// Use it when a value interleaves secrets with attacker-influenced content
// (see InteropV2).
func V2Uncompressed() V2Option { return func(c *v2Codec) { c.compress = false } }

// InteropV2 returns the interop/v2 codec (spec/interop-v2.md, a DRAFT no
// other SDK implements yet): the interop/v1 value bytes inside the
// 0xC1 0x02 container, LZ4-compressed (method 1) when that makes them
// strictly smaller. It is an explicit opt-in, selected per namespace by
// configuration; it never sniffs bytes. Compressed() is true for every
// entry, method 0 included: the token authenticates the container kind.
//
// Threat model: with encryption, compressing a value leaks, through the
// ciphertext length the backend sees, how well it compresses. Values that
// mix secrets with attacker-influenced content in one entry must not be
// written compressed: use V2Uncompressed, or interop/v1 (Msgpack).
//
// nil options are skipped.
func InteropV2(opts ...V2Option) core.Codec {
	c := v2Codec{compress: true}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

type msgpackCodec struct{ max int }

func (msgpackCodec) Format() string   { return Format }
func (msgpackCodec) Compressed() bool { return false }

func (c msgpackCodec) Marshal(v any) ([]byte, error) {
	b, err := marshalValue(v)
	if err != nil {
		return nil, err
	}
	if c.max > 0 && len(b) > c.max {
		return nil, tooLarge("protocol.msgpack.marshal", "encoded value exceeds the configured max size")
	}
	return b, nil
}

func (c msgpackCodec) Unmarshal(data []byte, v any) error {
	const op = "protocol.msgpack.unmarshal"
	if c.max > 0 && len(data) > c.max {
		return formatErr(op, "msgpack", RuleMaxSize, "value exceeds the configured max size")
	}
	return unmarshalValue(op, data, v)
}

// WithMaxSize implements core.MaxSizer: values over n bytes are refused on
// both sides with KindPayloadTooLarge. n <= 0 removes the limit.
func (c msgpackCodec) WithMaxSize(n int) core.Codec { c.max = n; return c }

// The marks of the codecs' Check (core.CheckingCodec): the guard accepted
// the bytes' value document as exactly one document declaring at most
// uncheckedElems elements (so checkAllocation has nothing to check either),
// and markSentinel says it holds a string spelled like a temporal sentinel
// key. Each codec has a tag of its own in the upper bits, so that a mark
// one codec made is never taken by another (the same bytes may be a valid
// document for one and an envelope for the other).
const (
	markMsgpack  core.GuardMark = 0xa4
	markEnvelope core.GuardMark = 0xb4
	markV2       core.GuardMark = 0xc4
	markSentinel core.GuardMark = 0x01
)

// checkValue runs the guard over a value document as unmarshalValue does
// and returns tag, with markSentinel when the guard saw a sentinel key, or
// 0 when the document fails or declares more than uncheckedElems elements
// (its decode then checks the target type's allocation bound, which
// depends on the target).
func checkValue(op string, data []byte, tag core.GuardMark) core.GuardMark {
	sentinel, elems, err := checkOne(data, op)
	if err != nil || elems > uncheckedElems {
		return 0
	}
	if sentinel {
		return tag | markSentinel
	}
	return tag
}

// decodeMarked decodes a value document whose container mark m says the
// guard accepted it, with the sentinel bit m carries.
func decodeMarked(op string, data []byte, v any, m core.GuardMark) error {
	return decodeChecked(op, data, v, m&markSentinel != 0)
}

// hasTag reports whether m is a mark with tag.
func hasTag(m, tag core.GuardMark) bool { return m&^markSentinel == tag }

// Check implements core.CheckingCodec: it runs the size bound and the
// guard over data as Unmarshal would, and returns a mark for
// UnmarshalChecked when both pass; 0 otherwise (see checkValue).
func (c msgpackCodec) Check(data []byte) core.GuardMark {
	if c.max > 0 && len(data) > c.max {
		return 0
	}
	return checkValue("protocol.msgpack.check", data, markMsgpack)
}

// UnmarshalChecked implements core.CheckingCodec: data that Check marked
// is decoded without walking the guard again (the size bound still
// applies); with any other mark it is Unmarshal.
func (c msgpackCodec) UnmarshalChecked(data []byte, v any, m core.GuardMark) error {
	if !hasTag(m, markMsgpack) {
		return c.Unmarshal(data, v)
	}
	const op = "protocol.msgpack.unmarshal"
	if c.max > 0 && len(data) > c.max {
		return formatErr(op, "msgpack", RuleMaxSize, "value exceeds the configured max size")
	}
	return decodeMarked(op, data, v, m)
}

type envelopeCodec struct{ max int }

func (envelopeCodec) Format() string   { return Format }
func (envelopeCodec) Compressed() bool { return true }

var rawPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// encodeSealed encodes v into a pooled buffer, enforces max (when > 0) on
// the encoded size, and returns what seal makes of it; seal must not retain
// its argument.
func encodeSealed(op string, v any, max int, seal func([]byte) ([]byte, error)) ([]byte, error) {
	bp := rawPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 1<<20 {
			rawPool.Put(bp)
		}
	}()
	e := encoder{b: (*bp)[:0]}
	err := e.encode(v)
	*bp = e.b[:0]
	if err != nil {
		return nil, err
	}
	if max > 0 && len(e.b) > max {
		return nil, tooLarge(op, "encoded value exceeds the configured max size")
	}
	return seal(e.b)
}

// decodeLimit is the decoded-size bound of a codec configured with max
// (0: the protocol's own cap).
func decodeLimit(max int) int {
	if max > 0 {
		return max
	}
	return MaxUncompressedSize
}

func (c envelopeCodec) Marshal(v any) ([]byte, error) {
	return encodeSealed("protocol.envelope.marshal", v, c.max, func(raw []byte) ([]byte, error) {
		return sealEnvelope(nil, raw)
	})
}

func (c envelopeCodec) Unmarshal(data []byte, v any) error {
	const op = "protocol.envelope.unmarshal"
	payload, format, err := openEnvelope(op, data, decodeLimit(c.max))
	if err != nil {
		return err
	}
	if format != Format {
		return formatErr(op, "envelope", RuleFormat, "format is not \"msgpack\"")
	}
	return unmarshalValue(op, payload, v)
}

// WithMaxSize implements core.MaxSizer: an envelope that declares an
// original size over n bytes is refused before anything is decompressed
// (KindPayloadTooLarge), and Marshal refuses values over n bytes. n <= 0
// restores the protocol's 512 MiB cap.
func (c envelopeCodec) WithMaxSize(n int) core.Codec { c.max = n; return c }

// Check implements core.CheckingCodec: it opens the envelope (limits,
// decompression, checksum) and runs the guard over the value inside, as
// Unmarshal would; see msgpackCodec.Check.
func (c envelopeCodec) Check(data []byte) core.GuardMark {
	const op = "protocol.envelope.check"
	payload, format, err := openEnvelope(op, data, decodeLimit(c.max))
	if err != nil || format != Format {
		return 0
	}
	return checkValue(op, payload, markEnvelope)
}

// UnmarshalChecked implements core.CheckingCodec: an envelope that Check
// marked is still opened (the value is inside it), and the value decoded
// without walking the guard again; with any other mark it is Unmarshal.
func (c envelopeCodec) UnmarshalChecked(data []byte, v any, m core.GuardMark) error {
	if !hasTag(m, markEnvelope) {
		return c.Unmarshal(data, v)
	}
	const op = "protocol.envelope.unmarshal"
	payload, format, err := openEnvelope(op, data, decodeLimit(c.max))
	if err != nil {
		return err
	}
	if format != Format {
		return formatErr(op, "envelope", RuleFormat, "format is not \"msgpack\"")
	}
	return decodeMarked(op, payload, v, m)
}

type v2Codec struct {
	compress bool
	max      int
}

func (v2Codec) Format() string   { return Format }
func (v2Codec) Compressed() bool { return true }

func (c v2Codec) Marshal(v any) ([]byte, error) {
	return encodeSealed("protocol.v2.marshal", v, c.max, func(raw []byte) ([]byte, error) {
		return SealV2(raw, c.compress)
	})
}

func (c v2Codec) Unmarshal(data []byte, v any) error {
	const op = "protocol.v2.unmarshal"
	value, err := openV2(op, data, decodeLimit(c.max))
	if err != nil {
		return err
	}
	return unmarshalValue(op, value, v)
}

// WithMaxSize implements core.MaxSizer, as for Envelope.
func (c v2Codec) WithMaxSize(n int) core.Codec { c.max = n; return c }

// Check implements core.CheckingCodec: it opens the container and runs the
// guard over the value inside, as Unmarshal would; see msgpackCodec.Check.
func (c v2Codec) Check(data []byte) core.GuardMark {
	const op = "protocol.v2.check"
	value, err := openV2(op, data, decodeLimit(c.max))
	if err != nil {
		return 0
	}
	return checkValue(op, value, markV2)
}

// UnmarshalChecked implements core.CheckingCodec, as for Envelope.
func (c v2Codec) UnmarshalChecked(data []byte, v any, m core.GuardMark) error {
	if !hasTag(m, markV2) {
		return c.Unmarshal(data, v)
	}
	const op = "protocol.v2.unmarshal"
	value, err := openV2(op, data, decodeLimit(c.max))
	if err != nil {
		return err
	}
	return decodeMarked(op, value, v, m)
}

// Interface checks.
var (
	_ core.MaxSizer = msgpackCodec{}
	_ core.MaxSizer = envelopeCodec{}
	_ core.MaxSizer = v2Codec{}

	_ core.CheckingCodec = msgpackCodec{}
	_ core.CheckingCodec = envelopeCodec{}
	_ core.CheckingCodec = v2Codec{}
)
