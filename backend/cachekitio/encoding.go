package cachekitio

import (
	"github.com/cachekit-io/cachekit-go/core"
)

// reservedKeys are the keys spec rule 2 reserves (API-8/9): they encode to
// themselves and would be routed elsewhere (dot segments, route tokens).
var reservedKeys = map[string]bool{"": true, ".": true, "..": true, "health": true, "ttl": true, "lock": true}

// checkKey rejects the reserved keys before any URL is built (API-9).
func checkKey(op, key string) error {
	if reservedKeys[key] {
		return &core.Error{Kind: core.KindInvalidInput, Op: op, Key: key,
			Msg: `the keys "", ".", "..", "health", "ttl" and "lock" cannot be sent to the CacheKit API`}
	}
	return nil
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
