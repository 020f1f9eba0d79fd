package cachekitio

import (
	"strings"
)

// minRedactLen is the shortest key, or piece of a key, that redact
// removes. Shorter ones are left alone: replacing every "ab" of a message
// would mangle it while hiding nothing. Real API keys are far longer (the
// service's, and the reference server's, are a ck_sdk_, ck_api_ or ck_live_
// prefix and at least 16 characters more), so this only lets test keys of
// 1-3 characters through.
const minRedactLen = 4

// redact removes the API key from s, in any letter case (a server may
// echo it upper-cased), and a prefix of it of at least minRedactLen bytes
// that ends s (what is left of a key after a cut, the server's own or
// statusError's).
func (b *Backend) redact(s string) string {
	return redactKey(s, b.apiKey.Reveal())
}

// redactKey is redact for the key k.
func redactKey(s, k string) string {
	if len(k) < minRedactLen {
		return s
	}
	if j := indexFold(s, k); j >= 0 {
		var out strings.Builder
		for ; j >= 0; j = indexFold(s, k) {
			out.WriteString(s[:j])
			out.WriteString(redactedText)
			s = s[j+len(k):]
		}
		out.WriteString(s)
		s = out.String()
	}
	// A cut key at the end.
	for n := min(len(k)-1, len(s)); n >= minRedactLen; n-- {
		if equalFold(s[len(s)-n:], k[:n]) {
			return s[:len(s)-n] + redactedText
		}
	}
	return s
}

// indexFold is strings.Index, ignoring ASCII letter case (API keys are
// printable ASCII).
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if equalFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// equalFold reports whether a and b are equal, ignoring ASCII letter case.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// redactedError carries a transport error's message with the key removed.
// It keeps the cause reachable for errors.Is on context and timeout errors
// only when the cause's own message is clean.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

func (b *Backend) wrapCause(err error) error {
	msg := err.Error()
	red := b.redact(msg)
	if red == msg {
		return &redactedError{msg: red, cause: err}
	}
	return &redactedError{msg: red}
}
