package core

import (
	"fmt"
	"log/slog"
)

// Secret holds a credential (an API key, a password, a master key in hex)
// and never shows it: fmt's verbs (%v, %+v, %#v, %s, %q, %x, ...), slog,
// encoding/json and other text encoders print "[REDACTED]" (or "" for an
// unset Secret), and encoding/gob refuses it. Only Reveal returns the value.
//
// The value sits behind a *string, so a struct that holds a Secret in an
// unexported field — which fmt prints through reflection, without calling
// the Secret's methods — shows an address, never the value. (fmt prints
// what a pointer to a struct, slice, array or map points to, even in an
// unexported field when the verb does not fit; it never follows a
// *string.)
//
// The zero Secret is unset. Secrets are comparable: two are equal when they
// are copies of one NewSecret's result, or both unset.
type Secret struct {
	p *string
}

// NewSecret wraps a credential. NewSecret("") is the unset Secret.
func NewSecret(value string) Secret {
	if value == "" {
		return Secret{}
	}
	return Secret{p: &value}
}

// redacted is what every printing of a set Secret shows.
const redacted = "[REDACTED]"

// Reveal returns the credential. Call it only where the value is used (an
// Authorization header, a key derivation, a redaction pass over a
// message), never to log it; grep for Reveal to audit every use.
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// IsSet reports whether the secret holds a non-empty value.
func (s Secret) IsSet() bool { return s.p != nil && *s.p != "" }

// String implements fmt.Stringer with a redaction: "[REDACTED]", or "" when
// unset.
func (s Secret) String() string {
	if !s.IsSet() {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer with a redaction.
func (s Secret) GoString() string { return "core.Secret(" + s.String() + ")" }

// Format implements fmt.Formatter so that no verb prints the value: %#v
// prints GoString, every other verb String.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(s.GoString()))
		return
	}
	_, _ = f.Write([]byte(s.String()))
}

// LogValue implements slog.LogValuer with a redaction.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler with a redaction, so that
// text encoders (and JSON map keys) never see the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalJSON implements json.Marshaler: a JSON string holding the
// redaction.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// GobEncode implements gob.GobEncoder by refusing: a Secret is not
// serialized, and a redaction decoded later would pose as a credential. The
// error is an *Error of KindInvalidInput.
func (s Secret) GobEncode() ([]byte, error) {
	return nil, &Error{Kind: KindInvalidInput, Op: "secret", Msg: "a Secret is never serialized"}
}
