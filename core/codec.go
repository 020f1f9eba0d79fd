package core

// Codec is the port that turns a Go value into the bytes that are stored (or
// encrypted) and back. The protocol module provides the CacheKit codecs
// (plain MessagePack, the ByteStorage envelope, interop-v2); core itself
// ships none, so that it needs nothing outside the standard library.
//
// A Codec must be safe for concurrent use.
type Codec interface {
	// Format is the serialization-format token bound into the encryption AAD
	// ("msgpack" for every CacheKit codec).
	Format() string
	// Compressed is the container's compression flag bound into the
	// encryption AAD (true for the ByteStorage envelope).
	Compressed() bool
	// Marshal encodes v. Errors should be *Error of KindSerialization.
	Marshal(v any) ([]byte, error)
	// Unmarshal decodes data into the value pointed to by v. It must never
	// panic on hostile input; errors should be *Error of KindSerialization.
	Unmarshal(data []byte, v any) error
}

// MaxSizer is an optional Codec capability: a codec that expands data while
// decoding (a compressing container) implements it so that the client's
// payload limit also bounds the decoded size. The client calls it once, at
// construction, with its MaxPayload.
type MaxSizer interface {
	WithMaxSize(n int) Codec
}

// Encryptor is the port for value encryption. The crypto module implements it
// (AES-256-GCM, HKDF tenant keys, AAD v0x03, key rotation) without importing
// core — the signature uses only built-in types so that crypto stays
// standard-library only. When a client has an Encryptor, every value is sealed
// before it reaches any tier — the L1 included — so tiers only ever hold
// ciphertext.
//
// The AAD binds the tenant (the Encryptor's own), the full storage key
// (namespace prefix included), the codec's format token and its compression
// flag. An Encryptor must be safe for concurrent use. The client treats every
// Decrypt failure as KindEncryption and fails closed: it never turns one into
// a miss and never returns the stored bytes.
type Encryptor interface {
	// Encrypt seals plaintext, bound to storageKey, format and compressed.
	Encrypt(plaintext []byte, storageKey, format string, compressed bool) ([]byte, error)
	// Decrypt opens ciphertext sealed with the same binding.
	Decrypt(ciphertext []byte, storageKey, format string, compressed bool) ([]byte, error)
}

// InPlaceDecrypter is an optional capability of an Encryptor, found by type
// assertion: DecryptInPlace is Decrypt that may write the plaintext over
// ciphertext's own storage and return a slice aliasing it, which saves a
// value-sized allocation per read. The client calls it only with bytes that
// are its alone and that nothing reads afterwards: the value a tier's Get
// returned to one Get call or to a GetOrLoad flight with one caller (a
// Backend's Get returns a slice the caller owns, so no tier's stored copy
// is touched), or each caller's own copy of a read its flight shares.
// After an error, ciphertext's contents are unspecified. The crypto
// module's Encryptor implements it.
type InPlaceDecrypter interface {
	DecryptInPlace(ciphertext []byte, storageKey, format string, compressed bool) ([]byte, error)
}
