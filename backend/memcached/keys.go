package memcached

import (
	"encoding/hex"
	"unicode/utf8"

	"golang.org/x/crypto/blake2b"
)

// MaxKeyLength is the longest key, in bytes, memcached stores as it is.
const MaxKeyLength = 250

// hashedHead is how many characters of a key its hashed form keeps.
const hashedHead = 50

// legalKey reports whether memcached's text protocol can carry key as it is:
// 1 to 250 bytes, none of them a space, a control character or DEL. A key
// with a space or a line break would let its bytes be read as a second
// command (CWE-93), so such a key is never sent.
func legalKey(key string) bool {
	if key == "" || len(key) > MaxKeyLength {
		return false
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// storageKey returns the key memcached stores key under: key itself when
// memcached can carry it, else the protocol's shortened form (see
// cache-key-format.md, "Key Length Limits") — the first 50 characters of
// key, ":", and the first 32 hexadecimal characters of the Blake2b-256
// hash of the whole key — with every space, control character and DEL of
// those 50 characters replaced by "_". The result is at most 233 bytes and
// always legal. key must not be empty.
func storageKey(key string) string {
	if legalKey(key) {
		return key
	}
	sum := blake2b.Sum256([]byte(key))
	b := make([]byte, 0, hashedHead*utf8.UTFMax+1+32)
	n := 0
	for _, r := range key { // invalid UTF-8 bytes become U+FFFD
		if n == hashedHead {
			break
		}
		if r <= ' ' || r == 0x7f {
			r = '_'
		}
		b = utf8.AppendRune(b, r)
		n++
	}
	b = append(b, ':')
	b = hex.AppendEncode(b, sum[:16])
	return string(b)
}
