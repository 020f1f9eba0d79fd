package crypto

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"unicode/utf8"
)

// Sizes fixed by the protocol.
const (
	// KeySize is the size in bytes of a master key and of every derived key.
	KeySize = 32
	// NonceSize is the size in bytes of the AES-GCM nonce that starts every
	// sealed value.
	NonceSize = 12
	// TagSize is the size in bytes of the AES-GCM authentication tag that
	// ends every sealed value.
	TagSize = 16
	// Overhead is how many bytes sealing adds to a plaintext; a sealed value
	// is never shorter.
	Overhead = NonceSize + TagSize
	// FingerprintSize is the size in bytes of a key fingerprint.
	FingerprintSize = 16
	// MaxTenantLen is the longest tenant id, in bytes, that key derivation
	// accepts.
	MaxTenantLen = 1024
	// MaxDomainLen is the longest derivation domain, in bytes.
	MaxDomainLen = 255
)

// The HKDF derivation domains. Each gives a key independent of the others.
const (
	// DomainEncryption derives the AES-256-GCM key that seals values.
	DomainEncryption = "encryption"
	// DomainAuthentication derives the authentication (MAC) key.
	DomainAuthentication = "authentication"
	// DomainCacheKeys derives the cache-key hashing salt.
	DomainCacheKeys = "cache_keys"
)

// DefaultTenant is the tenant id used when none is configured (intent-presets
// "Master Key Input" rule 5). It feeds both the key derivation and the AAD.
const DefaultTenant = "default"

const saltPrefix = "cachekit_v1_"

// validTenant checks a tenant id; the error carries no part of it.
func validTenant(op, tenant string) error {
	switch {
	case tenant == "":
		return newError(ReasonInvalidTenant, op, "tenant id is empty")
	case len(tenant) > MaxTenantLen:
		return newError(ReasonInvalidTenant, op, "tenant id is "+strconv.Itoa(len(tenant))+" bytes, the limit is 1024")
	case !utf8.ValidString(tenant):
		return newError(ReasonInvalidTenant, op, "tenant id is not valid UTF-8")
	}
	return nil
}

// deriveKey is DeriveKey without the argument checks.
func deriveKey(masterKey []byte, domain, tenant string) []byte {
	// salt = "cachekit_v1_" || u8 len(domain) || domain || u16be len(tenant) || tenant
	salt := make([]byte, 0, len(saltPrefix)+1+len(domain)+2+len(tenant))
	salt = append(salt, saltPrefix...)
	salt = append(salt, byte(len(domain)))
	salt = append(salt, domain...)
	salt = binary.BigEndian.AppendUint16(salt, uint16(len(tenant)))
	salt = append(salt, tenant...)
	k, err := hkdf.Key(sha256.New, masterKey, salt, domain, KeySize)
	if err != nil {
		// Unreachable: 32 bytes of SHA-256 output is far below HKDF's limit
		// and the master key is 32 bytes.
		panic("cachekit/crypto: hkdf: " + err.Error())
	}
	return k
}

// DeriveKey derives the 32-byte key of one domain (DomainEncryption,
// DomainAuthentication, DomainCacheKeys) for one tenant from a 32-byte master
// key with HKDF-SHA256 (RFC 5869): the salt is "cachekit_v1_", the domain's
// length as one byte, the domain, the tenant's length as a big-endian uint16
// and the tenant; the info is the domain.
//
// The caller owns the returned slice and should zero it when done with it.
// masterKey is only read.
func DeriveKey(masterKey []byte, domain, tenant string) ([]byte, error) {
	const op = "derive"
	if len(masterKey) != KeySize {
		return nil, newError(ReasonInvalidKey, op, "master key is "+strconv.Itoa(len(masterKey))+" bytes, it must be exactly 32")
	}
	if domain == "" || len(domain) > MaxDomainLen {
		return nil, newError(ReasonInvalidInput, op, "domain must be 1 to 255 bytes")
	}
	if err := validTenant(op, tenant); err != nil {
		return nil, err
	}
	return deriveKey(masterKey, domain, tenant), nil
}

// KeyFingerprint returns the first 16 bytes of SHA-256("key_fingerprint_v1" ||
// key): an identifier of a key that reveals nothing of it. For a per-entry
// fingerprint the key is the derived encryption key, never the master key.
func KeyFingerprint(key []byte) [FingerprintSize]byte {
	h := sha256.New()
	h.Write([]byte("key_fingerprint_v1"))
	h.Write(key)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	var fp [FingerprintSize]byte
	copy(fp[:], sum[:])
	return fp
}

// unhex decodes one hex digit, either case; it takes no sign, space or other
// character.
func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decodeMasterKeyHex decodes a hex master key strictly: an even number of hex
// digits (either case), nothing else — no white space, no 0x prefix, no sign
// — giving exactly 32 bytes. which names the key in errors ("master key",
// "previous key 2"); the error never holds any part of s.
func decodeMasterKeyHex(op, which, s string) ([]byte, error) {
	if s == "" {
		return nil, newError(ReasonInvalidKey, op, which+" is empty")
	}
	if len(s) != 2*KeySize {
		return nil, newError(ReasonInvalidKey, op, which+" is "+strconv.Itoa(len(s))+" characters, it must be exactly 64 hex digits (32 bytes)")
	}
	k := make([]byte, KeySize)
	ok := true
	for i := range k {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		ok = ok && ok1 && ok2
		k[i] = hi<<4 | lo
	}
	if !ok {
		clear(k)
		return nil, newError(ReasonInvalidKey, op, which+" is not hex")
	}
	return k, nil
}
