package file

import (
	"encoding/binary"
	"encoding/hex"

	"golang.org/x/crypto/blake2b"
)

// HeaderSize is the length of the container header in front of every
// entry's payload (file-backend-format.md, "Entry layout").
const HeaderSize = 14

// Header fields of format version 1.
const (
	magic0        = 'C'
	magic1        = 'K'
	formatVersion = 1
)

// FileName returns the name of the file that holds key in a cache
// directory: the lowercase hexadecimal BLAKE2b-128 digest of the key's
// bytes, 32 characters. Every CacheKit SDK derives the same name, which is
// what lets them share one directory; the name never contains a path
// separator or a dot, whatever the key.
func FileName(key string) string {
	h, _ := blake2b.New(16, nil) // size 16 without a key never fails
	h.Write([]byte(key))
	var sum [16]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// isEntryName reports whether name is one FileName can return: 32
// lowercase hexadecimal characters. Only such files count as entries (and
// are ever evicted); anything else in the directory is left alone.
func isEntryName(name string) bool {
	if len(name) != 32 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// headerStatus is what a reader makes of an entry's first bytes.
type headerStatus uint8

const (
	// headerOK: a version-1 header with no transform; the payload may be
	// returned (if not expired).
	headerOK headerStatus = iota
	// headerCorrupt: truncated, or the wrong magic or version. The entry
	// is a miss and may be removed.
	headerCorrupt
	// headerUnsupported: a nonzero reserved byte or flags, which announce
	// a transform this reader does not implement. The entry is a miss and
	// must be left exactly as it is (FILE-2, FILE-3).
	headerUnsupported
)

// header is a parsed entry header.
type header struct {
	reserved uint8
	flags    uint16
	expiry   uint64 // Unix seconds; 0 means no expiry
}

// parseHeader reads the header at the start of b, which holds the bytes of
// one read of the file (FILE-6). It never panics, whatever b holds.
func parseHeader(b []byte) (header, headerStatus) {
	if len(b) < HeaderSize || b[0] != magic0 || b[1] != magic1 || b[2] != formatVersion {
		return header{}, headerCorrupt
	}
	h := header{
		reserved: b[3],
		flags:    binary.BigEndian.Uint16(b[4:6]),
		expiry:   binary.BigEndian.Uint64(b[6:14]),
	}
	if h.reserved != 0 || h.flags != 0 {
		return h, headerUnsupported
	}
	return h, headerOK
}

// appendHeader appends a version-1 header with the given expiry to dst.
// Reserved byte and flags are always zero: this writer implements no
// transform (FILE-1, FILE-4).
func appendHeader(dst []byte, expiry uint64) []byte {
	dst = append(dst, magic0, magic1, formatVersion, 0, 0, 0)
	return binary.BigEndian.AppendUint64(dst, expiry)
}

// expired reports whether an entry with this expiry is expired at Unix
// second now: a nonzero expiry is reached when the clock reaches it.
func expired(expiry uint64, now int64) bool {
	return expiry != 0 && now >= 0 && uint64(now) >= expiry
}
