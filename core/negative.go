package core

import (
	"bytes"
	"context"
	"errors"
	"time"
)

// Negative caching: a loader that finds nothing (a missing row) returns
// ErrAbsent; with negative caching on, the client stores a negative entry
// for a short TTL, so that repeated lookups of the missing row answer
// ErrAbsent from the cache instead of asking the database again.
//
// Wire encoding of a negative entry (interoperable, documented in the
// README): the 8 bytes
//
//	C1 00 41 42 53 45 4E 54   (0xC1 0x00 "ABSENT")
//
// stored as the value, sealed like any value when the client encrypts.
// 0xC1 is the MessagePack marker that no MessagePack value starts with, and
// the CacheKit interop-v2 container starts 0xC1 0x02: version 0x00 is no
// container, so a reader that does not know negative entries fails to
// decode it (a serialization error, never a wrong value), and no codec's
// output can be mistaken for it.

// ErrAbsent says that a key has no value. A loader returns it (or an error
// wrapping it) to say "no such row"; GetOrLoad, Cached and GetOrLoadMany
// then cache that answer when negative caching is on (WithNegativeCache,
// CacheAbsent). Reads of a negative entry return it: GetOrLoad and Cached
// return ErrAbsent, Get returns found == false with ErrAbsent, GetMany and
// GetOrLoadMany leave the key out of their result. Its kind is KindAbsent.
var ErrAbsent error = &Error{Kind: KindAbsent, Op: "load", Msg: "the key has no value"}

// absentEntry is the stored form of a negative entry (before encryption).
var absentEntry = []byte{0xC1, 0x00, 'A', 'B', 'S', 'E', 'N', 'T'}

func isAbsentEntry(data []byte) bool { return bytes.Equal(data, absentEntry) }

// absentMarker is a loaded "absent" on its way to the backend: encode
// stores it as absentEntry, for ttl.
type absentMarker struct{ ttl time.Duration }

// marshal encodes value with the codec, or a negative entry as absentEntry.
func (c *Client) marshal(value any) ([]byte, error) {
	if _, ok := value.(absentMarker); ok {
		return bytes.Clone(absentEntry), nil
	}
	return c.codec.Marshal(value)
}

// absentTTL is the TTL to store v for: a negative entry's own, else ttl.
func absentTTL(v any, ttl time.Duration) time.Duration {
	if m, ok := v.(absentMarker); ok {
		return m.ttl
	}
	return ttl
}

// absentAware turns a loader's ErrAbsent into a negative entry to store,
// when the call caches absence.
func absentAware(ls callSettings, load func(context.Context) (any, error)) func(context.Context) (any, error) {
	if ls.absentTTL <= 0 {
		return load
	}
	return func(ctx context.Context) (any, error) {
		v, err := load(ctx)
		if err != nil && errors.Is(err, ErrAbsent) {
			return absentMarker{ttl: ls.absentTTL}, nil
		}
		return v, err
	}
}

// MaxNegativeTTL bounds the TTL of negative entries: an hour. Keep it
// short: a row inserted meanwhile is invisible through the cache until the
// negative entry expires (or is overwritten by a Set or deleted).
const MaxNegativeTTL = time.Hour

func checkNegativeTTL(ttl time.Duration) (time.Duration, error) {
	if ttl > MaxNegativeTTL {
		return 0, &Error{Kind: KindInvalidInput, Op: "negativecache", Msg: "negative TTL " + ttl.String() + " is above " + MaxNegativeTTL.String()}
	}
	return NormalizeTTL(ttl)
}

// WithNegativeCache turns negative caching on for GetOrLoad, Cached and
// GetOrLoadMany: when the loader returns ErrAbsent (GetOrLoadMany: leaves a
// key out of its map), a negative entry is stored for ttl and later reads
// answer ErrAbsent without calling the loader. Off by default in every
// preset. 0 < ttl ≤ MaxNegativeTTL (a sub-second TTL rounds up to one
// second); another is a KindConfig error.
func WithNegativeCache(ttl time.Duration) Option {
	return func(s *settings) error {
		n, err := checkNegativeTTL(ttl)
		if err != nil {
			return configCause("WithNegativeCache", err)
		}
		s.absentTTL = n
		return nil
	}
}

// CacheAbsent turns negative caching on for one GetOrLoad, Cached or
// GetOrLoadMany call, with ttl (see WithNegativeCache); CacheAbsent(0)
// turns it off for the call. It is read-through only; a ttl above
// MaxNegativeTTL or negative fails the call with KindInvalidInput.
func CacheAbsent(ttl time.Duration) CallOption { return CallOption{kind: callCacheAbsent, ttl: ttl} }
