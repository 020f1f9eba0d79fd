package core

import (
	"strconv"
	"time"
)

// TTL limits.
const (
	// MaxTTL is the longest TTL the protocol allows: 30 days (2,592,000 s).
	MaxTTL = 30 * 24 * time.Hour
	// MinTTL is the shortest TTL: a positive sub-second TTL is rounded up to it.
	MinTTL = time.Second
)

// NormalizeTTL applies the protocol's TTL rules to a caller's TTL: zero,
// negative and > MaxTTL are rejected with KindInvalidInput; a positive TTL
// under one second is rounded up to one second. "Never expire" is not a TTL:
// it is the explicit NeverExpire option.
func NormalizeTTL(ttl time.Duration) (time.Duration, error) {
	switch {
	case ttl == 0:
		return 0, invalid("ttl", "", "TTL is zero; pass a positive TTL, or NeverExpire to opt in to no expiry")
	case ttl < 0:
		return 0, invalid("ttl", "", "TTL "+ttl.String()+" is negative")
	case ttl > MaxTTL:
		return 0, invalid("ttl", "", "TTL "+ttl.String()+" exceeds the 30-day limit ("+strconv.Itoa(int(MaxTTL/time.Second))+" s)")
	case ttl < MinTTL:
		return MinTTL, nil
	}
	return ttl, nil
}
