package core

import (
	"fmt"
	"log/slog"
)

// Secret holds a credential (an API key, a master key in hex). Every way of
// printing it — fmt's verbs (%v, %+v, %#v, %s, %q, %x), slog, JSON — shows
// "[REDACTED]" instead; only Reveal returns the value.
type Secret struct {
	value string
}

// NewSecret wraps a credential.
func NewSecret(value string) Secret { return Secret{value: value} }

const redacted = "[REDACTED]"

// Reveal returns the credential. Call it only where the value is used (an
// Authorization header, a key derivation), never to log it.
func (s Secret) Reveal() string { return s.value }

// IsSet reports whether the secret holds a non-empty value.
func (s Secret) IsSet() bool { return s.value != "" }

// String implements fmt.Stringer with a redaction.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer with a redaction.
func (s Secret) GoString() string { return "core.Secret(" + s.String() + ")" }

// Format implements fmt.Formatter so that no verb prints the value.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(s.GoString()))
		return
	}
	_, _ = f.Write([]byte(s.String()))
}

// LogValue implements slog.LogValuer with a redaction.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler with a redaction, so JSON and
// other text encoders never see the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
