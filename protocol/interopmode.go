package protocol

import "github.com/cachekit-io/cachekit-go/core"

// IsInterop reports whether c is one of this package's interop codecs —
// Msgpack (interop/v1, plain MessagePack values) or InteropV2 — whatever
// limit WithMaxSize gave it, looking through wrappers that expose the codec
// they wrap with an Unwrap() core.Codec method. Choosing one of them is
// choosing interop mode, whose wire every SDK reads as MessagePack: codecs
// that change the bytes (a compressor around the value, another value
// format) refuse to be combined with them, and use this to find out.
func IsInterop(c core.Codec) bool {
	for range 16 { // a bound on wrapper chains, against a cycle
		switch x := c.(type) {
		case msgpackCodec, v2Codec:
			return true
		case interface{ Unwrap() core.Codec }:
			c = x.Unwrap()
		default:
			return false
		}
	}
	return false
}
