package memcached

import (
	"math"
	"time"
)

// maxRelative is the longest lifetime memcached takes as a number of
// seconds from now: a larger expiration time is read as a Unix timestamp.
const maxRelative = 30 * 24 * 60 * 60

// expiration converts a TTL into memcached's expiration time: 0 for no
// expiry (ttl == 0, core.NoExpiry); the whole number of seconds, rounded up,
// for a TTL of up to 30 days; the Unix time of the expiry, rounded up, for
// a longer one, which memcached requires (it would read a larger relative
// value as a date in 1970 and drop the entry at once). An absolute time
// assumes the server's clock agrees with ours. A negative TTL, or one ending
// after 2038 (memcached's 32-bit times), is an error.
func expiration(op, key string, ttl time.Duration, now time.Time) (int32, error) {
	if ttl < 0 {
		return 0, invalid(op, key, "TTL "+ttl.String()+" is negative")
	}
	if ttl == 0 {
		return 0, nil
	}
	secs := int64(ttl / time.Second)
	if ttl%time.Second != 0 {
		secs++
	}
	if secs <= maxRelative {
		return int32(secs), nil
	}
	var unix int64 = math.MaxInt64
	if secs <= math.MaxInt32 {
		at := now.Add(ttl)
		unix = at.Unix()
		if at.Nanosecond() > 0 {
			unix++
		}
	}
	if unix > math.MaxInt32 {
		return 0, invalid(op, key, "TTL "+ttl.String()+" ends after memcached's last expiration time (2038)")
	}
	return int32(unix), nil
}
