package cachekitio

import (
	"strconv"
	"strings"

	"github.com/cachekit-io/cachekit-go/core"
)

// MaxKeyLength is the longest key the CacheKit API accepts, in bytes (every
// accepted character is ASCII, so bytes and characters agree).
const MaxKeyLength = 400

// maxNamespaceLength bounds the {namespace} of an ns: or nsapi: key.
const maxNamespaceLength = 64

// reservedKeys are the keys spec rule 2 reserves (API-8/9): they encode to
// themselves and would be routed elsewhere (dot segments, route tokens).
var reservedKeys = map[string]bool{"": true, ".": true, "..": true, "health": true, "ttl": true, "lock": true}

const reservedMsg = `the keys "", ".", "..", "health", "ttl" and "lock" cannot be sent to the CacheKit API`

// ValidateKey reports whether the CacheKit API accepts key, as the backend
// checks it before sending any request: nil, or a *core.Error of
// core.KindInvalidInput naming the rule the key breaks. The rules are the
// service's (cache-key-format.md, Server-Side Requirements) plus the
// reserved keys of the path encoding (saas-api.md, API-9):
//
//   - not "", ".", "..", "health", "ttl" or "lock";
//   - 1 to MaxKeyLength characters, each of [A-Za-z0-9_.:-];
//   - no ".." anywhere;
//   - a key starting "ns:" or "nsapi:" is {prefix}:{namespace}:{rest}, with
//     a namespace of 1–64 characters of [A-Za-z0-9_-] and a non-empty rest.
//
// core.Client keys built with a namespace take the ns: form.
func ValidateKey(key string) error {
	return checkKey("cachekitio.validate_key", key, true)
}

// checkKey checks key before a request for op is built.
func (b *Backend) checkKey(op, key string) error { return checkKey(op, key, !b.anyKey) }

// checkKey rejects, before any URL is built, the reserved keys (API-9) and,
// when format is set, every key the service would answer 400.
func checkKey(op, key string, format bool) error {
	if reservedKeys[key] {
		return &core.Error{Kind: core.KindInvalidInput, Op: op, Key: key, Msg: reservedMsg}
	}
	if !format {
		return nil
	}
	if msg := keyFormatError(key); msg != "" {
		return &core.Error{Kind: core.KindInvalidInput, Op: op, Key: key, Msg: msg}
	}
	return nil
}

// keyFormatError returns why the service would reject key, or "". The checks
// run in the service's order: length, charset, traversal, namespace.
func keyFormatError(key string) string {
	if len(key) == 0 || len(key) > MaxKeyLength {
		return "the CacheKit API accepts keys of 1 to 400 characters; this one has " + strconv.Itoa(len(key)) + " bytes"
	}
	for i := 0; i < len(key); i++ {
		if !keyByte(key[i]) {
			return "the CacheKit API accepts only the characters [A-Za-z0-9_.:-] in keys; byte " +
				strconv.Itoa(i) + " is " + byteName(key[i])
		}
	}
	if key == "." || strings.Contains(key, "..") {
		return `the CacheKit API rejects keys that contain ".." (path traversal)`
	}
	for _, prefix := range [...]string{"ns:", "nsapi:"} {
		rest, ok := strings.CutPrefix(key, prefix)
		if !ok {
			continue
		}
		ns, tail, found := strings.Cut(rest, ":")
		if !found || !validNamespace(ns) || tail == "" {
			p := prefix[:len(prefix)-1]
			return "a key starting " + strconv.Quote(prefix) + " must be " + p + ":{namespace}:{rest}, " +
				"with a namespace of 1 to 64 characters of [A-Za-z0-9_-] and a non-empty rest"
		}
	}
	return ""
}

// byteName describes a byte outside the key charset without printing it raw
// (it may be a control character).
func byteName(c byte) string {
	if c >= 0x21 && c < 0x7f {
		return strconv.Quote(string(rune(c)))
	}
	return "0x" + string([]byte{upperHex[c>>4], upperHex[c&15]})
}

// keyByte reports the characters of the service's key charset.
func keyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '.' || c == ':' || c == '-'
}

// validNamespace reports a namespace name: 1–64 characters of [A-Za-z0-9_-].
func validNamespace(s string) bool {
	if len(s) == 0 || len(s) > maxNamespaceLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

const upperHex = "0123456789ABCDEF"

// unreserved reports RFC 3986 §2.3 unreserved characters.
func unreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// encodeKey percent-encodes key as one path segment: unreserved characters
// raw (API-5/6), every other byte of its UTF-8 form as %HH with uppercase hex
// (API-7). url.PathEscape is not used: it leaves ':' '@' '&' '=' '+' '$' and
// others raw.
func encodeKey(key string) string {
	n := 0
	for i := 0; i < len(key); i++ {
		if !unreserved(key[i]) {
			n++
		}
	}
	if n == 0 {
		return key
	}
	buf := make([]byte, 0, len(key)+2*n)
	for i := 0; i < len(key); i++ {
		c := key[i]
		if unreserved(c) {
			buf = append(buf, c)
		} else {
			buf = append(buf, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return string(buf)
}
