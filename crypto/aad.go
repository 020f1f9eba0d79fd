package crypto

import (
	"encoding/binary"
	"math"
)

// AADVersion is the first byte of every AAD this package builds.
const AADVersion = 0x03

// The format tokens of the protocol's registry (encryption.md, "format
// tokens"). Encrypt and Decrypt refuse any other token.
const (
	// FormatMsgpack is the token of every CacheKit MessagePack container.
	FormatMsgpack = "msgpack"
	// FormatOrjson is cachekit-py's orjson serializer's token.
	FormatOrjson = "orjson"
	// FormatArrow is cachekit-py's Arrow serializer's token.
	FormatArrow = "arrow"
)

// knownFormat reports whether format is a registry token.
func knownFormat(format string) bool {
	return format == FormatMsgpack || format == FormatOrjson || format == FormatArrow
}

// compressedToken is the frozen ASCII token of the compression flag.
func compressedToken(compressed bool) string {
	if compressed {
		return "True"
	}
	return "False"
}

// aadLen is the length of the AAD appendAAD builds.
func aadLen(tenant, storageKey, format string, compressed bool, originalType string, withOriginalType bool) int {
	n := 1 + 4 + len(tenant) + 4 + len(storageKey) + 4 + len(format) + 4 + len(compressedToken(compressed))
	if withOriginalType {
		n += 4 + len(originalType)
	}
	return n
}

// checkAADInputs refuses components whose length does not fit a uint32 and
// format tokens outside the registry.
func checkAADInputs(op, storageKey, format string) error {
	if !knownFormat(format) {
		return newError(ReasonInvalidInput, op, "format token is not one of msgpack, orjson, arrow")
	}
	if uint64(len(storageKey)) > math.MaxUint32 {
		return newError(ReasonInvalidInput, op, "storage key is longer than 2^32-1 bytes")
	}
	return nil
}

// appendAAD appends the AAD v0x03 to dst: the version byte, then the tenant,
// the storage key, the format token, the compressed token and, when
// withOriginalType, the original type, each preceded by its length as a
// big-endian uint32.
func appendAAD(dst []byte, tenant, storageKey, format string, compressed bool, originalType string, withOriginalType bool) []byte {
	dst = append(dst, AADVersion)
	dst = appendComponent(dst, tenant)
	dst = appendComponent(dst, storageKey)
	dst = appendComponent(dst, format)
	dst = appendComponent(dst, compressedToken(compressed))
	if withOriginalType {
		dst = appendComponent(dst, originalType)
	}
	return dst
}

func appendComponent(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}

// AAD returns the four-component AAD v0x03 that Encrypt and Decrypt bind a
// value to: 0x03, then tenant, storage key, format token and compressed token
// ("True" or "False"), each preceded by its length as a big-endian uint32.
// This is the shape of cachekit-ts, cachekit-rs and interop mode; the optional
// fifth component (original_type, written only by cachekit-py) is never
// produced. It is exported for diagnostics and tests; Encrypt and Decrypt
// build it themselves.
func AAD(tenant, storageKey, format string, compressed bool) []byte {
	return appendAAD(make([]byte, 0, aadLen(tenant, storageKey, format, compressed, "", false)),
		tenant, storageKey, format, compressed, "", false)
}
