package core

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// TTL jitter: keys written together (a batch, a warm-up, a deploy) expire
// together and reload in the same second. With jitter, each write stores
// for ttl × (1 − p·u), u uniform in [0, 1): up to p percent SHORTER than
// asked, never longer, so a TTL that bounds how long a revoked value may be
// served (PROTOCOL's revocation rule) still holds.

// MaxTTLJitter bounds the jitter percentage.
const MaxTTLJitter = 50.0

func checkJitter(p float64) bool { return p >= 0 && p <= MaxTTLJitter }

// WithTTLJitter shortens the TTL of every value the client stores by a
// random share of up to percent (0 ≤ percent ≤ MaxTTLJitter; 0, the
// default, is off): Set, SetMany, and the write-back of GetOrLoad, Cached
// and GetOrLoadMany (SetMany and GetOrLoadMany draw per key). A stored TTL
// is never longer than asked and never below one second. Another value is a
// KindConfig error.
func WithTTLJitter(percent float64) Option {
	return func(s *settings) error {
		if !checkJitter(percent) {
			return configErr("WithTTLJitter: percent must be in [0, 50], got " + strconv.FormatFloat(percent, 'g', -1, 64))
		}
		s.ttlJitter = percent
		return nil
	}
}

// TTLJitter sets the TTL jitter (see WithTTLJitter) for one call that
// stores values; 0 turns it off for the call. A percentage outside
// [0, MaxTTLJitter] fails the call with KindInvalidInput.
func TTLJitter(percent float64) CallOption { return CallOption{kind: callTTLJitter, ratio: percent} }

// jitterTTL returns ttl shortened by a random share of up to percent,
// at least one second; 0 (no expiry) stays 0.
func jitterTTL(ttl time.Duration, percent float64) time.Duration {
	if ttl <= 0 || percent <= 0 {
		return ttl
	}
	j := ttl - time.Duration(float64(ttl)*percent/100*rand.Float64())
	return max(j, min(ttl, time.Second))
}

// storeTTL is the TTL to store one value of the call with: the call's TTL
// with its jitter drawn anew.
func (s callSettings) storeTTL() time.Duration { return jitterTTL(s.ttl, s.jitter) }
