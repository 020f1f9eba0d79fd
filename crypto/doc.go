// Package crypto is CacheKit's zero-knowledge value encryption: AES-256-GCM
// under per-tenant keys derived with HKDF-SHA256, bound to each value's
// storage key by AAD v0x03, with a keyring for master-key rotation. It uses
// the standard library and core only: *Encryptor implements core.Encryptor,
// so the client plugs it in above every tier and tiers only ever hold
// ciphertext. Every error is a *core.Error (KindConfig for keys, keyring and
// tenant, KindInvalidInput for a bad argument, KindEncryption for a value
// that does not authenticate) around an *Error whose Reason the sentinels
// (ErrInvalidKey, ErrAuthentication, ...) match.
//
// # Keys
//
// A master key is 32 bytes: 64 hex digits for NewFromHex and NewFromEnv
// (CACHEKIT_MASTER_KEY), raw bytes for New. Exactly 32 bytes, nothing else:
// odd lengths, non-hex characters, white space, 0x prefixes, signs, shorter
// and longer keys are refused with ErrInvalidKey. From it, HKDF-SHA256 derives
// one key per domain ("encryption", "authentication", "cache_keys") and
// tenant, with the salt "cachekit_v1_" || u8 len(domain) || domain ||
// u16be len(tenant) || tenant and the domain as info (DeriveKey). The tenant
// is "default" unless WithTenant says otherwise; the same resolved tenant goes
// into the derivation and the AAD. KeyFingerprint identifies a derived key
// without revealing it.
//
// # Sealed values
//
// Encrypt returns nonce(12) || ciphertext || tag(16). Nonces are counters:
// an 8-byte instance id, taken per Encryptor from a process-wide counter that
// starts at a random value in its upper 32 bits, then a 4-byte counter that
// starts at 0; after 2^32 values an Encryptor refuses with ErrNonceExhausted
// and never wraps. Decrypt accepts any nonce, so values sealed by other SDKs
// (random or counter nonces) open. Decrypt returns a new slice;
// DecryptInPlace (core.InPlaceDecrypter) writes the plaintext over the
// caller's sealed bytes instead, which the client uses for the bytes a
// single read returned to it: an encrypted read then allocates no second
// value-sized buffer.
//
// The AAD is 0x03 followed by the tenant, the full storage key (namespace
// prefix included), the format token and the compression token ("True" or
// "False"), each preceded by its length as a big-endian uint32 (AAD). A value
// moved to another key, namespace or tenant, or read with another format or
// compression flag, fails with ErrAuthentication; Decrypt never retries with
// another AAD. Interop keys carry no extra namespace, so interop entries stay
// byte-compatible with the other SDKs.
//
// # Rotation
//
// Besides its current key an Encryptor holds up to MaxPreviousKeys (3)
// decrypt-only keys (WithPreviousKeys, WithPreviousKeysHex, or
// CACHEKIT_PREVIOUS_MASTER_KEYS as comma-separated hex). Encrypt always uses
// the current key; Decrypt tries the current key, then each previous key in
// order, moving on only on an authentication failure. A fourth previous key,
// the current key repeated among the previous ones, or a previous key
// repeated, is refused at construction with ErrInvalidKeyring.
//
// # Activation
//
// CACHEKIT_MASTER_KEY is a key source, never a switch: this package encrypts
// only what it is handed. The client decides to encrypt (the secure preset or
// an explicit option) and then builds an Encryptor, for example with
// NewFromEnv.
//
// # Errors
//
// Every error is a *core.Error whose cause is an *Error with a Reason;
// match it with core.KindOf, or with errors.Is against this package's
// sentinels. Configuration errors (core.KindConfig; IsConfig reports them):
// ErrMissingKey, ErrInvalidKey, ErrInvalidKeyring, ErrInvalidTenant.
// Encryption errors (core.KindEncryption; fail closed): ErrAuthentication —
// shorter than Overhead (28) bytes, any tampering, a wrong key or binding, or
// a plaintext entry —, ErrNonceExhausted and ErrClosed. ErrInvalidInput (a
// format token outside the registry "msgpack", "orjson", "arrow", a bad
// DeriveKey domain) is core.KindInvalidInput. No error holds key material or
// any part of a rejected key.
//
// # Key hygiene
//
// Decoded master keys and derived key bytes live only for the duration of the
// constructor and are zeroed before it returns; the Encryptor keeps the AES
// cipher state and the keys' fingerprints. Close drops the cipher state (the
// standard library gives no way to wipe an expanded AES key schedule, so the
// garbage collector reclaims it) and makes later calls fail with ErrClosed.
// Keys passed as Go strings (hex, environment variables) cannot be wiped.
// Encryptor and Option print a redaction under every fmt verb.
package crypto
