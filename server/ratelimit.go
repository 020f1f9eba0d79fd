package server

import (
	"math"
	"sync"
	"time"
)

// rateLimiter is a token bucket per tenant: rate tokens a second, at most
// burst banked. Each authenticated request takes one; without one it is
// answered 429 with Retry-After (saas-api.md, Error Handling: 429 is
// transient, and SDKs retry it with backoff).
type rateLimiter struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	now     func() time.Time
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst int, now func() time.Time) *rateLimiter {
	if rate <= 0 {
		return nil
	}
	b := float64(burst)
	if burst <= 0 {
		b = math.Max(1, math.Ceil(rate))
	}
	return &rateLimiter{rate: rate, burst: b, now: now, buckets: make(map[string]*bucket)}
}

// allow takes a token from tenant's bucket. When there is none it returns
// false and the whole seconds (at least 1) until there will be one.
func (l *rateLimiter) allow(tenant string) (bool, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := refilled(l.buckets, tenant, l.now(), l.rate, l.burst)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := int64(math.Ceil((1 - b.tokens) / l.rate))
	if wait < 1 {
		wait = 1
	}
	return false, wait
}

// refilled returns tenant's bucket in buckets, made full on first use, and
// refilled at rate tokens a second, up to burst, for the time since its
// last use. The caller holds the lock that guards buckets.
func refilled(buckets map[string]*bucket, tenant string, now time.Time, rate, burst float64) *bucket {
	b, ok := buckets[tenant]
	if !ok {
		b = &bucket{tokens: burst, last: now}
		buckets[tenant] = b
	}
	if d := now.Sub(b.last); d > 0 {
		b.tokens = math.Min(burst, b.tokens+d.Seconds()*rate)
	}
	b.last = now
	return b
}
