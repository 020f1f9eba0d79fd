// Package zstd is a cachekit-go codec that compresses the values of
// another codec with Zstandard (github.com/klauspost/compress/zstd) when
// they are large enough to gain from it. It is its own module so that
// programs that do not use it never link the compressor.
//
//	codec, err := zstd.New(nil)                  // MessagePack values, zstd above 1 KiB
//	codec, err := zstd.New(protocol.JSON())      // JSON values, zstd above 1 KiB
//	cache, err := core.New(backend, core.WithCodec(codec))
//
// # Wire format
//
// Every value starts with a three-byte header, 0xC1 'Z' and a method byte,
// then the payload:
//
//   - method 0: the inner codec's bytes, verbatim (values shorter than the
//     threshold, and values that zstd does not make smaller);
//   - method 1: one zstd frame, with its content size, of the inner codec's
//     bytes.
//
// 0xC1 is the byte MessagePack never uses, so a reader configured for a
// MessagePack codec fails on these values rather than misreading them. The
// format is cachekit-go's own: no other SDK reads it. Format() is the inner
// codec's token and Compressed() is true, so that under encryption the AAD
// tells these entries from the inner codec's.
//
// # Interop mode
//
// Interop mode (protocol.Msgpack, protocol.InteropV2: the values every SDK
// reads) keeps the wire plain MessagePack, so New refuses an interop codec
// as its inner codec with a core.KindConfig error (protocol.IsInterop
// decides). New(nil) compresses MessagePack values written by protocol's
// encoder; the entries it writes are this package's format, not interop
// mode's.
//
// # Bounds
//
// Unmarshal never decompresses more than the codec's limit: the client's
// payload limit (core.WithMaxPayload, 5 MiB by default; the client sets it
// through core.MaxSizer), or protocol.MaxUncompressedSize (512 MiB) for a
// codec used on its own. A frame that declares more, or that produces more
// as it is decoded, is refused with core.KindPayloadTooLarge before the
// output grows past the limit; the decoder's window is bounded by the same
// limit. Corrupt input is core.KindSerialization; nothing panics.
//
// Threat model: with encryption, compressing leaks through the ciphertext
// length how well a value compresses. Do not compress values that mix
// secrets with attacker-influenced content (see protocol.InteropV2).
package zstd
