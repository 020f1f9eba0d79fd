package crypto

import (
	"errors"

	"github.com/cachekit-io/cachekit-go/core"
)

// Reason classifies an *Error. Each reason has a sentinel (ErrInvalidKey,
// ErrAuthentication, ...) for use with errors.Is.
type Reason uint8

// The reasons an operation of this package fails.
const (
	// ReasonUnknown is the zero Reason; no error of this package carries it.
	ReasonUnknown Reason = iota
	// ReasonMissingKey: no master key was supplied (CACHEKIT_MASTER_KEY unset
	// or empty). A configuration error.
	ReasonMissingKey
	// ReasonInvalidKey: a master key is not valid input: not hex, odd length,
	// not exactly 32 bytes. A configuration error.
	ReasonInvalidKey
	// ReasonInvalidKeyring: the keyring is not a valid configuration: more
	// than MaxPreviousKeys decrypt-only keys, the current key repeated among
	// them, or a decrypt-only key repeated. A configuration error.
	ReasonInvalidKeyring
	// ReasonInvalidTenant: the tenant id is empty, longer than MaxTenantLen
	// bytes or not valid UTF-8. A configuration error.
	ReasonInvalidTenant
	// ReasonInvalidInput: an argument the protocol does not allow: a format
	// token outside the registry ("msgpack", "orjson", "arrow"), a domain
	// that is empty or too long, an AAD component longer than 2^32-1 bytes.
	ReasonInvalidInput
	// ReasonAuthentication: a sealed value did not authenticate: shorter than
	// Overhead bytes, tampered, sealed under another key, or bound to another
	// tenant, storage key, format or compression flag. Fail closed.
	ReasonAuthentication
	// ReasonNonceExhausted: the current key's per-instance nonce counter has
	// reached 2^32; the Encryptor refuses to encrypt rather than wrap. Build a
	// new Encryptor (a fresh instance id) or rotate the key.
	ReasonNonceExhausted
	// ReasonClosed: the Encryptor was closed.
	ReasonClosed
)

var reasonNames = [...]string{
	ReasonUnknown:        "unknown",
	ReasonMissingKey:     "missing master key",
	ReasonInvalidKey:     "invalid master key",
	ReasonInvalidKeyring: "invalid keyring",
	ReasonInvalidTenant:  "invalid tenant",
	ReasonInvalidInput:   "invalid input",
	ReasonAuthentication: "authentication failed",
	ReasonNonceExhausted: "nonce counter exhausted",
	ReasonClosed:         "encryptor closed",
}

// String returns the reason's name.
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown"
}

// IsConfig reports whether the reason is a configuration error (missing or
// invalid key, keyring or tenant), as opposed to an encryption failure.
func (r Reason) IsConfig() bool {
	switch r {
	case ReasonMissingKey, ReasonInvalidKey, ReasonInvalidKeyring, ReasonInvalidTenant:
		return true
	}
	return false
}

// Kind is the core.Kind an error of this reason carries: KindConfig for the
// configuration reasons (IsConfig), KindInvalidInput for ReasonInvalidInput,
// and KindEncryption for the rest (a value that does not authenticate, an
// exhausted nonce counter, a closed Encryptor): fail closed.
func (r Reason) Kind() core.Kind {
	switch {
	case r.IsConfig():
		return core.KindConfig
	case r == ReasonInvalidInput:
		return core.KindInvalidInput
	}
	return core.KindEncryption
}

// Error describes a failure of this package. Every error the package returns
// is a *core.Error whose Kind is the Reason's (Reason.Kind) and whose cause
// is an *Error, so that core.KindOf and errors.Is(err, core.ErrConfig) work as
// for any other module, and errors.Is against this package's sentinels
// (errors.Is(err, crypto.ErrAuthentication)) and errors.As to an *Error keep
// working through Unwrap. Messages never contain key material: no key bytes,
// no hex, not even a part of the rejected input.
type Error struct {
	// Reason classifies the failure.
	Reason Reason
	// Op is the operation that failed: "new", "encrypt", "decrypt", "derive".
	Op string
	// Detail is a human-readable explanation without secrets (for example
	// "got 31 bytes" or "previous key 2 repeats the current key").
	Detail string
}

// Error implements error.
func (e *Error) Error() string {
	s := "cachekit/crypto"
	if e.Op != "" {
		s += ": " + e.Op
	}
	s += ": " + e.Reason.String()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Is makes errors.Is(err, ErrX) true for every *Error whose Reason is the
// sentinel's.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Op == "" && t.Detail == "" && t.Reason == e.Reason
}

// Sentinels for errors.Is, one per Reason.
var (
	// ErrMissingKey: no master key was supplied. Configuration error.
	ErrMissingKey error = &Error{Reason: ReasonMissingKey}
	// ErrInvalidKey: a master key is not exactly 32 bytes of valid input.
	// Configuration error.
	ErrInvalidKey error = &Error{Reason: ReasonInvalidKey}
	// ErrInvalidKeyring: the keyring configuration is refused. Configuration
	// error.
	ErrInvalidKeyring error = &Error{Reason: ReasonInvalidKeyring}
	// ErrInvalidTenant: the tenant id is refused. Configuration error.
	ErrInvalidTenant error = &Error{Reason: ReasonInvalidTenant}
	// ErrInvalidInput: an argument the protocol does not allow (for example
	// a format token outside the registry).
	ErrInvalidInput error = &Error{Reason: ReasonInvalidInput}
	// ErrAuthentication: a sealed value did not authenticate under any key of
	// the keyring with the given binding. Encryption error; fail closed.
	ErrAuthentication error = &Error{Reason: ReasonAuthentication}
	// ErrNonceExhausted: the nonce counter of the current key is used up.
	// Encryption error.
	ErrNonceExhausted error = &Error{Reason: ReasonNonceExhausted}
	// ErrClosed: the Encryptor was closed. Encryption error.
	ErrClosed error = &Error{Reason: ReasonClosed}
)

// IsConfig reports whether err is (or wraps) an *Error whose reason is a
// configuration error, the errors of core.KindConfig.
func IsConfig(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Reason.IsConfig()
}

// newError returns the error of reason r for op: a *core.Error of r's Kind
// around an *Error.
func newError(r Reason, op, detail string) error {
	return &core.Error{Kind: r.Kind(), Err: &Error{Reason: r, Op: op, Detail: detail}}
}
