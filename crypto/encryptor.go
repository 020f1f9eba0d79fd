package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/cachekit-io/cachekit-go/core"
)

// The environment variables NewFromEnv reads.
const (
	// EnvMasterKey holds the current master key: 64 hex digits.
	EnvMasterKey = "CACHEKIT_MASTER_KEY"
	// EnvPreviousMasterKeys holds the decrypt-only master keys: up to
	// MaxPreviousKeys keys of 64 hex digits, separated by commas (no spaces),
	// tried in the order listed after the current key.
	EnvPreviousMasterKeys = "CACHEKIT_PREVIOUS_MASTER_KEYS"
)

// MaxPreviousKeys is the largest number of decrypt-only keys a keyring holds
// besides its current key.
const MaxPreviousKeys = 3

// maxPlaintext is the largest plaintext AES-GCM can seal under one nonce.
const maxPlaintext = (1<<32 - 2) * aes.BlockSize

// keyEntry is one key of the keyring: the AES-256-GCM state of its derived
// encryption key (the derived key bytes themselves are zeroed as soon as the
// cipher is built) and the key's fingerprint.
type keyEntry struct {
	aead cipher.AEAD
	fp   [FingerprintSize]byte
}

func (k *keyEntry) String() string   { return "crypto.keyEntry([REDACTED])" }
func (k *keyEntry) GoString() string { return k.String() }

// Format implements fmt.Formatter so that no verb prints key state.
func (k *keyEntry) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// newEntry derives the tenant's encryption key from masterKey, builds its
// cipher and zeroes the derived key bytes.
func newEntry(masterKey []byte, tenant string) (*keyEntry, error) {
	k := deriveKey(masterKey, DomainEncryption, tenant)
	defer clear(k)
	return newEntryFromDerived(k)
}

// newEntryFromDerived builds the cipher of a derived encryption key and
// zeroes the key bytes.
func newEntryFromDerived(k []byte) (*keyEntry, error) {
	defer clear(k)
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, newError(ReasonInvalidKey, "new", "aes: "+err.Error())
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, newError(ReasonInvalidKey, "new", "gcm: "+err.Error())
	}
	return &keyEntry{aead: aead, fp: KeyFingerprint(k)}, nil
}

// Encryptor seals and opens cache values with AES-256-GCM under keys derived
// per tenant from a keyring of master keys. It satisfies core.Encryptor.
//
// Encrypt always uses the current key and a counter nonce; Decrypt tries the
// current key, then each decrypt-only key in order, moving on only when
// authentication fails, always with the same AAD. Both bind the value to the
// Encryptor's tenant, the full storage key, the format token and the
// compression flag (AAD v0x03), so a sealed value cannot be moved to another
// key, namespace or tenant.
//
// An Encryptor is safe for concurrent use. Close it when done. It never
// prints key material: every fmt verb shows a redaction.
type Encryptor struct {
	tenant string
	// fps are the fingerprints of the derived encryption keys, current first.
	fps []string

	// ring is the keyring, current key first; nil once closed.
	ring     atomic.Pointer[keyring]
	instance uint64
	counter  atomic.Uint64 // next per-instance nonce counter; never wraps
}

// keyring is the keys of an Encryptor, current first, then the decrypt-only
// keys in trial order.
type keyring struct {
	keys []*keyEntry
}

// config collects what the options set.
type config struct {
	tenant   string
	previous [][]byte // decoded copies owned by the constructor; zeroed after use
	err      error
}

func (c *config) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// zero clears every key copy the config holds.
func (c *config) zero() {
	for _, k := range c.previous {
		clear(k)
	}
	c.previous = nil
}

// Option configures an Encryptor at construction. An Option may carry key
// material; it never prints it.
type Option func(*config)

// String implements fmt.Stringer with a redaction.
func (o Option) String() string { return "crypto.Option([REDACTED])" }

// GoString implements fmt.GoStringer with a redaction.
func (o Option) GoString() string { return o.String() }

// Format implements fmt.Formatter so that no verb prints what the option
// holds.
func (o Option) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(o.String())) }

// WithTenant sets the tenant id that both the key derivation and the AAD use;
// without it the tenant is DefaultTenant ("default"). The id must be 1 to
// MaxTenantLen bytes of valid UTF-8.
func WithTenant(tenant string) Option {
	return func(c *config) { c.tenant = tenant }
}

// WithPreviousKeys adds decrypt-only master keys as raw bytes, exactly
// KeySize bytes each, tried in the order given after the current key. The
// keys are copied when the Encryptor is built; the caller may zero its slices
// once the constructor returns. Options accumulate; at most MaxPreviousKeys
// keys in all.
func WithPreviousKeys(keys ...[]byte) Option {
	return func(c *config) {
		for _, k := range keys {
			n := len(c.previous) + 1
			if len(k) != KeySize {
				c.fail(newError(ReasonInvalidKey, "new", "previous key "+strconv.Itoa(n)+" is "+strconv.Itoa(len(k))+" bytes, it must be exactly 32"))
				return
			}
			c.previous = append(c.previous, append(make([]byte, 0, KeySize), k...))
		}
	}
}

// WithPreviousKeysHex adds decrypt-only master keys in hex (64 hex digits
// each, the same rules as NewFromHex), tried in the order given after the
// current key. Options accumulate; at most MaxPreviousKeys keys in all.
func WithPreviousKeysHex(keys ...string) Option {
	return func(c *config) {
		for _, s := range keys {
			n := len(c.previous) + 1
			k, err := decodeMasterKeyHex("new", "previous key "+strconv.Itoa(n), s)
			if err != nil {
				c.fail(err)
				return
			}
			c.previous = append(c.previous, k)
		}
	}
}

// New returns an Encryptor whose current master key is masterKey: raw bytes,
// exactly KeySize (32). A 64-character hex string passed as bytes is refused
// (it is 64 bytes); use NewFromHex for hex. masterKey is only read; the
// caller may zero it once New returns.
func New(masterKey []byte, opts ...Option) (*Encryptor, error) {
	if len(masterKey) != KeySize {
		return nil, newError(ReasonInvalidKey, "new", "master key is "+strconv.Itoa(len(masterKey))+" bytes, it must be exactly 32")
	}
	return build(masterKey, opts)
}

// NewFromHex returns an Encryptor whose current master key is the hex string
// masterKeyHex: exactly 64 hex digits (upper or lower case), decoding to 32
// bytes. Anything else — odd length, white space, a 0x prefix, a sign, any
// other character, a shorter or longer key — is refused with ErrInvalidKey.
func NewFromHex(masterKeyHex string, opts ...Option) (*Encryptor, error) {
	k, err := decodeMasterKeyHex("new", "master key", masterKeyHex)
	if err != nil {
		return nil, err
	}
	defer clear(k)
	return build(k, opts)
}

// NewFromEnv returns an Encryptor whose current master key is
// CACHEKIT_MASTER_KEY (hex, as NewFromHex) and whose decrypt-only keys are
// CACHEKIT_PREVIOUS_MASTER_KEYS (comma-separated hex; unset or empty means
// none), followed by any added with options. It reads the two variables
// with core.ConfigFromLookup, the one parser of the CACHEKIT_* environment:
// keys are taken verbatim, so white space around a key or a comma, or an
// empty entry, is refused with ErrInvalidKey. With CACHEKIT_MASTER_KEY unset
// or empty it returns ErrMissingKey. The other CACHEKIT_* variables are not
// read.
//
// The environment is a key source, never a switch: building an Encryptor does
// not turn encryption on anywhere. The client decides whether to encrypt
// (the secure preset or an explicit option) and only then calls this.
func NewFromEnv(opts ...Option) (*Encryptor, error) {
	return newFromLookup(os.LookupEnv, opts)
}

// newFromLookup is NewFromEnv reading the environment through lookup.
func newFromLookup(lookup func(string) (string, bool), opts []Option) (*Encryptor, error) {
	cfg, err := core.ConfigFromLookup(func(name string) (string, bool) {
		if name != EnvMasterKey && name != EnvPreviousMasterKeys {
			return "", false
		}
		return lookup(name)
	})
	if err != nil {
		return nil, err
	}
	if !cfg.MasterKey.IsSet() {
		return nil, newError(ReasonMissingKey, "new", EnvMasterKey+" is not set")
	}
	if len(cfg.PreviousMasterKeys) > 0 {
		prev := make([]string, len(cfg.PreviousMasterKeys))
		for i, k := range cfg.PreviousMasterKeys {
			prev[i] = k.Reveal()
		}
		opts = append([]Option{WithPreviousKeysHex(prev...)}, opts...)
	}
	return NewFromHex(cfg.MasterKey.Reveal(), opts...)
}

// build checks the keyring and derives every key. master is only read.
func build(master []byte, opts []Option) (*Encryptor, error) {
	const op = "new"
	cfg := config{tenant: DefaultTenant}
	defer cfg.zero()
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	if err := validTenant(op, cfg.tenant); err != nil {
		return nil, err
	}
	if len(cfg.previous) > MaxPreviousKeys {
		return nil, newError(ReasonInvalidKeyring, op, strconv.Itoa(len(cfg.previous))+" decrypt-only keys, at most 3 are allowed")
	}
	for i, p := range cfg.previous {
		if subtle.ConstantTimeCompare(p, master) == 1 {
			return nil, newError(ReasonInvalidKeyring, op, "previous key "+strconv.Itoa(i+1)+" repeats the current key")
		}
		for j := range i {
			if subtle.ConstantTimeCompare(p, cfg.previous[j]) == 1 {
				return nil, newError(ReasonInvalidKeyring, op, "previous key "+strconv.Itoa(i+1)+" repeats previous key "+strconv.Itoa(j+1))
			}
		}
	}
	e := &Encryptor{tenant: cfg.tenant}
	ring := &keyring{}
	for _, m := range append([][]byte{master}, cfg.previous...) {
		k, err := newEntry(m, cfg.tenant)
		if err != nil {
			return nil, err
		}
		ring.keys = append(ring.keys, k)
		e.fps = append(e.fps, hex.EncodeToString(k.fp[:]))
	}
	e.ring.Store(ring)
	e.instance = nextInstanceID()
	return e, nil
}

// Tenant returns the tenant id the Encryptor derives its keys for and binds
// into every AAD.
func (e *Encryptor) Tenant() string { return e.tenant }

// Fingerprint returns, in hex, the fingerprint of the current key's derived
// encryption key (see KeyFingerprint). It identifies the key without
// revealing it and is safe to log.
func (e *Encryptor) Fingerprint() string { return e.fps[0] }

// Fingerprints returns the fingerprints of every key of the keyring, current
// first, then the decrypt-only keys in trial order.
func (e *Encryptor) Fingerprints() []string { return append([]string(nil), e.fps...) }

// aadPool recycles AAD buffers so that Encrypt and Decrypt allocate only
// their result.
var aadPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

const maxPooledAAD = 4096

func getAAD(tenant, storageKey, format string, compressed bool) *[]byte {
	p := aadPool.Get().(*[]byte)
	*p = appendAAD((*p)[:0], tenant, storageKey, format, compressed, "", false)
	return p
}

func putAAD(p *[]byte) {
	if cap(*p) <= maxPooledAAD {
		aadPool.Put(p)
	}
}

// Encrypt seals plaintext with the current key, bound to the tenant,
// storageKey (the full storage key, namespace prefix included), format (a
// registry token: "msgpack", "orjson" or "arrow") and compressed. The result
// is nonce(12) || ciphertext || tag(16), a new slice; plaintext is only read.
//
// Errors: ErrInvalidInput for a format outside the registry, ErrClosed after
// Close, ErrNonceExhausted once the current key's 2^32 nonces of this
// instance are used up.
func (e *Encryptor) Encrypt(plaintext []byte, storageKey, format string, compressed bool) ([]byte, error) {
	const op = "encrypt"
	if err := checkAADInputs(op, storageKey, format); err != nil {
		return nil, err
	}
	if uint64(len(plaintext)) > maxPlaintext {
		return nil, newError(ReasonInvalidInput, op, "plaintext exceeds the AES-GCM limit")
	}
	ring := e.ring.Load()
	if ring == nil {
		return nil, newError(ReasonClosed, op, "")
	}
	n := e.counter.Add(1) - 1
	if n > maxNonceCounter {
		return nil, newError(ReasonNonceExhausted, op, "2^32 values sealed by this instance; build a new Encryptor or rotate the key")
	}
	aad := getAAD(e.tenant, storageKey, format, compressed)
	out := make([]byte, NonceSize, NonceSize+len(plaintext)+TagSize)
	putNonce(out, e.instance, uint32(n))
	out = ring.keys[0].aead.Seal(out, out[:NonceSize], plaintext, *aad)
	putAAD(aad)
	return out, nil
}

// Decrypt opens ciphertext (nonce(12) || ciphertext || tag(16), any nonce)
// sealed with the same tenant, storageKey, format and compressed. It tries
// the current key, then each decrypt-only key in order; only an
// authentication failure moves it on, and every attempt uses the same AAD.
// The result is a new slice; ciphertext is only read.
//
// Errors: ErrAuthentication when the value is shorter than Overhead bytes or
// authenticates under no key (tampered, another key, another binding) — no
// plaintext is ever returned then; ErrInvalidInput for a format outside the
// registry; ErrClosed after Close.
func (e *Encryptor) Decrypt(ciphertext []byte, storageKey, format string, compressed bool) ([]byte, error) {
	return e.decrypt(ciphertext, storageKey, format, compressed, false)
}

// DecryptInPlace is Decrypt for a caller that owns ciphertext and will not
// read it again: the plaintext is written over ciphertext's own storage and
// the result aliases it, so that opening a value allocates nothing. It
// implements core.InPlaceDecrypter, which the client uses when the bytes a
// tier returned are its alone (a tier's Get returns a slice the caller
// owns); the tier's stored copy is never touched.
//
// Only a keyring of one key opens in place: when a key does not
// authenticate a value, AES-GCM wipes what it wrote, and with decrypt-only
// keys still to try the sealed bytes must survive, so a keyring with
// previous keys opens into a new slice as Decrypt does. After an error,
// ciphertext's contents are unspecified (no plaintext is ever left in it).
// Errors are Decrypt's.
func (e *Encryptor) DecryptInPlace(ciphertext []byte, storageKey, format string, compressed bool) ([]byte, error) {
	return e.decrypt(ciphertext, storageKey, format, compressed, true)
}

// decrypt is Decrypt, and DecryptInPlace with inPlace.
func (e *Encryptor) decrypt(ciphertext []byte, storageKey, format string, compressed, inPlace bool) ([]byte, error) {
	const op = "decrypt"
	if err := checkAADInputs(op, storageKey, format); err != nil {
		return nil, err
	}
	ring := e.ring.Load()
	if ring == nil {
		return nil, newError(ReasonClosed, op, "")
	}
	if len(ciphertext) < Overhead {
		return nil, newError(ReasonAuthentication, op, "sealed value is shorter than 28 bytes")
	}
	aad := getAAD(e.tenant, storageKey, format, compressed)
	defer putAAD(aad)
	if !inPlace || len(ring.keys) > 1 {
		return ring.open(ciphertext, *aad)
	}
	nonce, body := ciphertext[:NonceSize], ciphertext[NonceSize:]
	pt, err := ring.keys[0].aead.Open(body[:0], nonce, body, *aad)
	if err != nil {
		return nil, errNoKey()
	}
	return pt, nil
}

// errNoKey is the error of a value that authenticates under no key.
func errNoKey() error {
	return newError(ReasonAuthentication, "decrypt", "the value does not authenticate under any key of the keyring")
}

// open tries every key in order with one AAD. The caller has checked the
// length.
func (r *keyring) open(ciphertext, aad []byte) ([]byte, error) {
	nonce, body := ciphertext[:NonceSize], ciphertext[NonceSize:]
	out := make([]byte, 0, len(body)-TagSize)
	for _, k := range r.keys {
		// On failure Open clears what it wrote, so out can be reused.
		if pt, err := k.aead.Open(out, nonce, body, aad); err == nil {
			return pt, nil
		}
	}
	return nil, errNoKey()
}

// Close releases the keyring: Encrypt and Decrypt calls that start after it
// fail with ErrClosed (calls already running finish normally). Derived key
// bytes never outlive the constructor (they are zeroed as soon as the cipher
// is built); Close drops the ciphers' expanded key schedules, which the
// standard library gives no way to wipe, so that the garbage collector
// reclaims them. Close is idempotent and always returns nil.
func (e *Encryptor) Close() error {
	e.ring.Store(nil)
	return nil
}

// String implements fmt.Stringer with a redaction: the tenant and the number
// of keys, never key material.
func (e *Encryptor) String() string {
	if e == nil {
		return "crypto.Encryptor(nil)"
	}
	state := ""
	if e.ring.Load() == nil {
		state = ", closed"
	}
	return "crypto.Encryptor(tenant=" + strconv.Quote(e.tenant) + ", keys=" + strconv.Itoa(len(e.fps)) + state + ", [REDACTED])"
}

// GoString implements fmt.GoStringer with a redaction.
func (e *Encryptor) GoString() string { return e.String() }

// Format implements fmt.Formatter so that every verb (%v, %+v, %#v, %s, %q,
// %x, ...) prints the redacted String.
func (e *Encryptor) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(e.String())) }
