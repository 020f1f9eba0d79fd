package core

import (
	"context"
	"errors"
	"strings"
)

// Kind classifies an error so that callers (and the client itself) can decide
// what to do — retry, fail open, surface — without parsing messages. It plays
// the role of gocloud.dev/gcerrors.ErrorCode.
type Kind uint8

// The error kinds. A miss is never an error.
const (
	// KindUnknown is an error that was not classified.
	KindUnknown Kind = iota
	// KindInvalidInput: the caller passed a bad key, namespace, TTL or value.
	KindInvalidInput
	// KindTransient: a temporary failure (connection, I/O, 5xx); retrying may help.
	KindTransient
	// KindPermanent: the backend refused the request; retrying will not help.
	KindPermanent
	// KindTimeout: the operation ran out of time (deadline or backend timeout).
	KindTimeout
	// KindAuth: credentials were missing, wrong or not allowed to do this.
	KindAuth
	// KindCircuitOpen: a circuit breaker is open; the backend was not called.
	KindCircuitOpen
	// KindBackpressure: a bound on concurrent or queued work was reached.
	KindBackpressure
	// KindPayloadTooLarge: a value exceeds the configured or backend limit.
	KindPayloadTooLarge
	// KindSerialization: a value could not be encoded, or stored bytes could
	// not be decoded (including foreign or hostile containers).
	KindSerialization
	// KindEncryption: encryption failed, or stored bytes failed to
	// authenticate (tampered, wrong key, wrong key binding). Fail closed.
	KindEncryption
	// KindConfig: the client or an adapter is misconfigured.
	KindConfig
	// KindNotSupported: the backend lacks an optional capability.
	KindNotSupported
	// KindCanceled: the caller's context was canceled.
	KindCanceled
	// KindAbsent: the key is known to be absent: the loader said so
	// (ErrAbsent), or a negative-cache entry records it.
	KindAbsent
)

var kindNames = [...]string{
	KindUnknown:         "unknown",
	KindInvalidInput:    "invalid input",
	KindTransient:       "transient",
	KindPermanent:       "permanent",
	KindTimeout:         "timeout",
	KindAuth:            "auth",
	KindCircuitOpen:     "circuit open",
	KindBackpressure:    "backpressure",
	KindPayloadTooLarge: "payload too large",
	KindSerialization:   "serialization",
	KindEncryption:      "encryption",
	KindConfig:          "config",
	KindNotSupported:    "not supported",
	KindCanceled:        "canceled",
	KindAbsent:          "absent",
}

// String returns the kind's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Retryable reports whether an operation that failed with this kind may
// succeed if tried again.
func (k Kind) Retryable() bool {
	return k == KindTransient || k == KindTimeout || k == KindBackpressure
}

// Error is the one error type of cachekit-go. Every error the client or an
// adapter returns is an *Error or wraps one.
//
// Match kinds with errors.Is against the sentinels (errors.Is(err,
// core.ErrTransient)) or read them with KindOf. Messages never contain secrets:
// adapters redact credentials before building an Error.
type Error struct {
	// Kind classifies the failure.
	Kind Kind
	// Op is the operation that failed ("get", "set", "redis.get", ...).
	Op string
	// Key is the storage key involved, if any.
	Key string
	// Msg is a human-readable description (no secrets).
	Msg string
	// Err is the underlying cause, if any.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("cachekit")
	if e.Op != "" {
		b.WriteString(": ")
		b.WriteString(e.Op)
	}
	if e.Key != "" {
		b.WriteString(" ")
		b.WriteString(quoteKey(e.Key))
	}
	b.WriteString(": ")
	b.WriteString(e.Kind.String())
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// quoteKey shows a key in an error without letting it run on forever.
func quoteKey(k string) string {
	const max = 128
	if len(k) > max {
		k = k[:max] + "…"
	}
	return "\"" + k + "\""
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrTransient) (and the other kind sentinels) true
// for every *Error of that kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*kindSentinel)
	return ok && t.kind == e.Kind
}

type kindSentinel struct{ kind Kind }

func (s *kindSentinel) Error() string { return "cachekit: " + s.kind.String() }

// Sentinels for errors.Is: errors.Is(err, core.ErrTimeout) is true for every
// *Error of KindTimeout anywhere in err's chain.
var (
	ErrInvalidInput    error = &kindSentinel{KindInvalidInput}
	ErrTransient       error = &kindSentinel{KindTransient}
	ErrPermanent       error = &kindSentinel{KindPermanent}
	ErrTimeout         error = &kindSentinel{KindTimeout}
	ErrAuth            error = &kindSentinel{KindAuth}
	ErrCircuitOpen     error = &kindSentinel{KindCircuitOpen}
	ErrBackpressure    error = &kindSentinel{KindBackpressure}
	ErrPayloadTooLarge error = &kindSentinel{KindPayloadTooLarge}
	ErrSerialization   error = &kindSentinel{KindSerialization}
	ErrEncryption      error = &kindSentinel{KindEncryption}
	ErrConfig          error = &kindSentinel{KindConfig}
	ErrNotSupported    error = &kindSentinel{KindNotSupported}
	ErrCanceled        error = &kindSentinel{KindCanceled}
)

// NewError returns an *Error; a convenience for adapters.
func NewError(kind Kind, op, msg string, cause error) *Error {
	return &Error{Kind: kind, Op: op, Msg: msg, Err: cause}
}

// KindOf returns the Kind of the first *Error in err's chain. A context error
// with no *Error around it maps to KindCanceled or KindTimeout; nil maps to
// KindUnknown, as does any other unclassified error.
func KindOf(err error) Kind {
	if err == nil {
		return KindUnknown
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ContextKind(err)
}

// ContextKind maps context.Canceled to KindCanceled and
// context.DeadlineExceeded to KindTimeout; anything else to KindUnknown.
func ContextKind(err error) Kind {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.Is(err, context.Canceled):
		return KindCanceled
	}
	return KindUnknown
}

// Wrap returns err as an *Error of kind for op, unless it already carries a
// kind, in which case it is returned unchanged. Context errors are classified
// as KindCanceled/KindTimeout whatever kind is passed. Wrap(nil, ...) is nil.
func Wrap(err error, kind Kind, op string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if k := ContextKind(err); k != KindUnknown {
		kind = k
	}
	return &Error{Kind: kind, Op: op, Err: err}
}
