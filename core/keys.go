package core

import (
	"strconv"
	"unicode/utf8"
)

// Key and namespace limits.
const (
	// MaxKeyLen is the longest key the client accepts, in bytes.
	MaxKeyLen = 1024
	// MaxNamespaceLen is the longest namespace, in bytes.
	MaxNamespaceLen = 64
	// NamespacePrefix starts every namespaced storage key:
	// "ns:{namespace}:{key}".
	NamespacePrefix = "ns:"
)

// ValidateKey checks a caller's key: 1–MaxKeyLen bytes of valid UTF-8 with no
// control characters (C0, DEL or C1). The error is an *Error of
// KindInvalidInput that says which rule was broken.
func ValidateKey(key string) error {
	if key == "" {
		return invalid("key", key, "key is empty")
	}
	if len(key) > MaxKeyLen {
		return invalid("key", "", "key is "+strconv.Itoa(len(key))+" bytes; the limit is "+strconv.Itoa(MaxKeyLen))
	}
	for i := 0; i < len(key); {
		c := key[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return invalid("key", "", "key contains control character "+strconv.QuoteRune(rune(c))+" at byte "+strconv.Itoa(i))
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(key[i:])
		if r == utf8.RuneError && size == 1 {
			return invalid("key", "", "key is not valid UTF-8 at byte "+strconv.Itoa(i))
		}
		if r >= 0x80 && r <= 0x9f {
			return invalid("key", "", "key contains control character "+strconv.QuoteRune(r)+" at byte "+strconv.Itoa(i))
		}
		i += size
	}
	return nil
}

// ValidateNamespace checks a namespace: 1–64 bytes of [A-Za-z0-9_-] (the
// CacheKit server's namespace grammar).
func ValidateNamespace(ns string) error {
	if ns == "" {
		return invalid("namespace", "", "namespace is empty")
	}
	if len(ns) > MaxNamespaceLen {
		return invalid("namespace", "", "namespace is "+strconv.Itoa(len(ns))+" bytes; the limit is "+strconv.Itoa(MaxNamespaceLen))
	}
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return invalid("namespace", "", "namespace "+strconv.Quote(ns)+" has "+strconv.QuoteRune(rune(c))+" at byte "+strconv.Itoa(i)+"; only [A-Za-z0-9_-] are allowed")
		}
	}
	return nil
}

// StorageKey returns the key under which a namespaced entry is stored:
// "ns:{namespace}:{key}", or key itself when namespace is empty. It validates
// both.
func StorageKey(namespace, key string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if namespace == "" {
		return key, nil
	}
	if err := ValidateNamespace(namespace); err != nil {
		return "", err
	}
	return NamespacePrefix + namespace + ":" + key, nil
}

func invalid(op, key, msg string) *Error {
	return &Error{Kind: KindInvalidInput, Op: op, Key: key, Msg: msg}
}
