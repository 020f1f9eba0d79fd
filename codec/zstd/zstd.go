package zstd

import (
	"errors"
	"strconv"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/protocol"
	kzstd "github.com/klauspost/compress/zstd"
)

// The header every value starts with: Magic, then a method byte.
const (
	// Magic is the two bytes a value of this codec starts with.
	Magic = "\xc1Z"
	// MethodNone marks a payload stored as the inner codec wrote it.
	MethodNone = 0
	// MethodZstd marks a payload that is one zstd frame.
	MethodZstd = 1
	headerLen  = 3
)

// Defaults of the options.
const (
	// DefaultThreshold is the inner encoding's size from which values are
	// compressed: 1 KiB.
	DefaultThreshold = 1 << 10
	// DefaultLevel is the zstd level used: 3, zstd's own default.
	DefaultLevel = 3
)

// Option configures New.
type Option func(*settings) error

type settings struct {
	threshold int
	level     int
}

// WithThreshold sets the size of the inner codec's encoding from which a
// value is compressed (default DefaultThreshold); smaller values are
// stored as they are. 0 compresses every value. A negative n is a
// core.KindConfig error.
func WithThreshold(n int) Option {
	return func(s *settings) error {
		if n < 0 {
			return configErr("threshold " + strconv.Itoa(n) + " must not be negative")
		}
		s.threshold = n
		return nil
	}
}

// WithLevel sets the zstd compression level, 1 (fastest) to 22 (smallest),
// mapped to the compressor's nearest level (default DefaultLevel). Another
// value is a core.KindConfig error.
func WithLevel(level int) Option {
	return func(s *settings) error {
		if level < 1 || level > 22 {
			return configErr("level " + strconv.Itoa(level) + " is not between 1 and 22")
		}
		s.level = level
		return nil
	}
}

// codec is the value New returns. The encoder is shared by every copy
// WithMaxSize makes; each copy has a decoder bounded by its own limit.
type codec struct {
	inner     core.Codec
	enc       *kzstd.Encoder
	dec       *kzstd.Decoder
	threshold int
	max       int
}

// New returns a codec that encodes values with inner (protocol's plain
// MessagePack encoder when inner is nil) and compresses the encoding with
// zstd when it is at least the threshold long and compression makes it
// smaller. An interop codec (protocol.IsInterop: protocol.Msgpack,
// protocol.InteropV2) as inner is a core.KindConfig error, as is a bad
// option: interop mode's wire stays MessagePack.
//
// The codec implements core.MaxSizer: the client's payload limit bounds
// both the encoded value and what Unmarshal decompresses. It is safe for
// concurrent use.
func New(inner core.Codec, opts ...Option) (core.Codec, error) {
	if inner != nil && protocol.IsInterop(inner) {
		return nil, configErr("interop mode (protocol.Msgpack, protocol.InteropV2) keeps the wire plain MessagePack: it cannot be compressed with zstd (pass nil for MessagePack values in this package's format)")
	}
	if inner == nil {
		inner = protocol.Msgpack()
	}
	s := settings{threshold: DefaultThreshold, level: DefaultLevel}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&s); err != nil {
			return nil, err
		}
	}
	enc, err := kzstd.NewWriter(nil, kzstd.WithEncoderLevel(kzstd.EncoderLevelFromZstd(s.level)),
		kzstd.WithZeroFrames(true)) // EncodeAll runs up to GOMAXPROCS encodes at once
	if err != nil {
		return nil, configErr("the zstd encoder refused its settings")
	}
	c := &codec{inner: inner, enc: enc, threshold: s.threshold}
	if err := c.setMax(0); err != nil {
		return nil, err
	}
	return c, nil
}

// setMax bounds c (0: protocol.MaxUncompressedSize) and builds its decoder.
func (c *codec) setMax(n int) error {
	limit := n
	if limit <= 0 {
		limit = protocol.MaxUncompressedSize
	}
	window := uint64(max(limit, kzstd.MinWindowSize))
	window = min(window, kzstd.MaxWindowSize)
	dec, err := kzstd.NewReader(nil, kzstd.WithDecoderMaxMemory(uint64(limit)), kzstd.WithDecoderMaxWindow(window))
	if err != nil {
		return configErr("the zstd decoder refused its settings")
	}
	c.dec, c.max = dec, n
	return nil
}

// Format is the inner codec's format token.
func (c *codec) Format() string { return c.inner.Format() }

// Compressed is true: the container may hold a compressed payload.
func (c *codec) Compressed() bool { return true }

// Marshal encodes v with the inner codec and compresses the result when it
// is at least the threshold long and zstd makes it smaller.
func (c *codec) Marshal(v any) ([]byte, error) {
	const op = "zstd.marshal"
	raw, err := c.inner.Marshal(v)
	if err != nil {
		return nil, err
	}
	if c.max > 0 && len(raw) > c.max {
		return nil, &core.Error{Kind: core.KindPayloadTooLarge, Op: op, Msg: "encoded value exceeds the configured max size"}
	}
	if len(raw) >= c.threshold {
		out := make([]byte, headerLen, headerLen+len(raw)/2+64)
		out[0], out[1], out[2] = Magic[0], Magic[1], MethodZstd
		out = c.enc.EncodeAll(raw, out)
		if len(out)-headerLen < len(raw) {
			return out, nil
		}
	}
	out := make([]byte, headerLen+len(raw))
	out[0], out[1], out[2] = Magic[0], Magic[1], MethodNone
	copy(out[headerLen:], raw)
	return out, nil
}

// Unmarshal checks the header, decompresses the payload within the codec's
// limit, and decodes it with the inner codec.
func (c *codec) Unmarshal(data []byte, v any) error {
	const op = "zstd.unmarshal"
	if len(data) < headerLen || string(data[:2]) != Magic {
		return serErr(op, "not a zstd-codec value (header 0xC1 'Z' missing)", nil)
	}
	payload := data[headerLen:]
	switch data[2] {
	case MethodNone:
		return c.inner.Unmarshal(payload, v)
	case MethodZstd:
		if len(payload) == 0 {
			return serErr(op, "empty zstd payload", nil)
		}
		raw, err := c.dec.DecodeAll(payload, nil)
		if err != nil {
			if errors.Is(err, kzstd.ErrDecoderSizeExceeded) || errors.Is(err, kzstd.ErrWindowSizeExceeded) {
				return &core.Error{Kind: core.KindPayloadTooLarge, Op: op, Msg: "the value decompresses past the limit of " + strconv.Itoa(c.limit()) + " bytes"}
			}
			return serErr(op, "corrupt zstd payload", err)
		}
		return c.inner.Unmarshal(raw, v)
	default:
		return serErr(op, "unknown method "+strconv.Itoa(int(data[2])), nil)
	}
}

func (c *codec) limit() int {
	if c.max > 0 {
		return c.max
	}
	return protocol.MaxUncompressedSize
}

// WithMaxSize implements core.MaxSizer: values whose inner encoding exceeds
// n bytes are refused by Marshal, and Unmarshal never decompresses more
// than n bytes (KindPayloadTooLarge). The inner codec gets the same limit
// when it implements core.MaxSizer. n <= 0 restores the default bound,
// protocol.MaxUncompressedSize for decompression.
func (c *codec) WithMaxSize(n int) core.Codec {
	cp := *c
	if ms, ok := c.inner.(core.MaxSizer); ok {
		cp.inner = ms.WithMaxSize(n)
	}
	if err := cp.setMax(n); err != nil {
		// NewReader fails only on invalid options, and these are valid
		// for every n; keep the old bound rather than none.
		return c
	}
	return &cp
}

func configErr(msg string) error {
	return &core.Error{Kind: core.KindConfig, Op: "zstd.new", Msg: msg}
}

func serErr(op, msg string, cause error) error {
	return &core.Error{Kind: core.KindSerialization, Op: op, Msg: msg, Err: cause}
}

var _ core.MaxSizer = (*codec)(nil)
