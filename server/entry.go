package server

import (
	"encoding/binary"
	"errors"
	"time"
)

// The server stores its own metadata in a small header in front of the value
// bytes, so that any core.Backend can hold an entry without knowing about
// freshness windows:
//
//	magic "CKS" | version 0x01 | flags (1 byte) | fresh_until (int64 BE, unix s) | stale_ttl (uint32 BE, s) | value
//
// flags bit 0 set means the entry is bounded (it has a fresh_until); when it is
// clear the entry has no expiry and fresh_until/stale_ttl are zero.
const (
	entryMagic      = "CKS\x01"
	entryHeaderSize = 4 + 1 + 8 + 4
	flagBounded     = 0x01
)

var errCorruptEntry = errors.New("stored entry has no valid server header")

// entryMeta is the server's view of a stored entry's timing.
type entryMeta struct {
	bounded    bool
	freshUntil int64 // unix seconds, whole; only when bounded
	staleTTL   int64 // seconds; only when bounded
}

// evictAt is the whole second from which the entry must not be served.
func (m entryMeta) evictAt() int64 { return m.freshUntil + m.staleTTL }

// expired reports whether now is at or past evict_at.
func (m entryMeta) expired(now time.Time) bool {
	return m.bounded && now.Unix() >= m.evictAt()
}

// stale reports whether now is inside the stale window.
func (m entryMeta) stale(now time.Time) bool {
	return m.bounded && now.Unix() >= m.freshUntil
}

// freshFor is max(0, floor(fresh_until − now)) in whole seconds.
func (m entryMeta) freshFor(now time.Time) int64 {
	d := time.Unix(m.freshUntil, 0).Sub(now)
	if d <= 0 {
		return 0
	}
	return int64(d / time.Second)
}

// storageTTL is how long the backing store should keep the entry: until
// evict_at plus a second of slack (the server itself enforces evict_at from
// the header). Unbounded entries are stored without expiry.
func (m entryMeta) storageTTL(now time.Time) time.Duration {
	if !m.bounded {
		return 0
	}
	d := time.Unix(m.evictAt(), 0).Sub(now) + time.Second
	if d < time.Second {
		d = time.Second
	}
	return d
}

// encodeEntry returns header ‖ value in one new slice.
func encodeEntry(m entryMeta, value []byte) []byte {
	buf := make([]byte, entryHeaderSize+len(value))
	copy(buf[entryHeaderSize:], value)
	return putEntryHeader(m, buf)
}

// putEntryHeader writes m's header into the first entryHeaderSize bytes of
// buf, which hold room for it before the value, and returns buf.
func putEntryHeader(m entryMeta, buf []byte) []byte {
	copy(buf, entryMagic)
	buf[4] = 0
	if m.bounded {
		buf[4] = flagBounded
		binary.BigEndian.PutUint64(buf[5:13], uint64(m.freshUntil))
		binary.BigEndian.PutUint32(buf[13:17], uint32(m.staleTTL))
	} else {
		clear(buf[5:entryHeaderSize])
	}
	return buf
}

// decodeEntry splits stored bytes into metadata and value (value aliases b).
func decodeEntry(b []byte) (entryMeta, []byte, error) {
	if len(b) < entryHeaderSize || string(b[:4]) != entryMagic || b[4]&^flagBounded != 0 {
		return entryMeta{}, nil, errCorruptEntry
	}
	var m entryMeta
	if b[4]&flagBounded != 0 {
		m.bounded = true
		m.freshUntil = int64(binary.BigEndian.Uint64(b[5:13]))
		m.staleTTL = int64(binary.BigEndian.Uint32(b[13:17]))
	}
	return m, b[entryHeaderSize:], nil
}
