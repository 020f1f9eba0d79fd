package server

import (
	"context"
	"math"
	"sync"
	"time"
)

// DefaultUploadBytesPerSecond is each tenant's default upload rate: the
// bytes of PUT bodies a second one tenant may send (32 MiB/s), beyond a
// burst of one second's worth.
const DefaultUploadBytesPerSecond = 32 << 20

// uploadRate paces each tenant's PUT bodies to a byte rate, with a token
// bucket per tenant holding at most one second's bytes. A body takes its
// bytes before it is read; the bucket may go into debt, and the request
// then waits until the debt is paid, so that a tenant sending large values
// back to back gets its rate and no more, and the server's reading of
// those bodies (a copy of every byte, and the zeroing of its buffer) takes
// no more of the CPU than that rate costs. A request that would wait
// longer than its bound takes nothing and is answered 429.
type uploadRate struct {
	mu      sync.Mutex
	rate    float64 // bytes a second
	burst   float64
	now     func() time.Time
	buckets map[string]*bucket
}

// newUploadRate returns a limiter of bytesPerSecond per tenant, or nil
// (no limit) when bytesPerSecond is not positive.
func newUploadRate(bytesPerSecond int64, now func() time.Time) *uploadRate {
	if bytesPerSecond <= 0 {
		return nil
	}
	r := float64(bytesPerSecond)
	return &uploadRate{rate: r, burst: r, now: now, buckets: make(map[string]*bucket)}
}

// reserve takes n bytes from tenant's bucket if the wait for them is at
// most maxWait, and returns that wait (0 when the bucket holds them).
// Otherwise it takes nothing, returns false and the whole seconds (at
// least 1) until the bytes could be had without waiting.
func (u *uploadRate) reserve(tenant string, n int64, maxWait time.Duration) (time.Duration, int64, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	b := refilled(u.buckets, tenant, u.now(), u.rate, u.burst)
	left := b.tokens - float64(n)
	if left >= 0 {
		b.tokens = left
		return 0, 0, true
	}
	wait := time.Duration(-left / u.rate * float64(time.Second))
	if wait > maxWait {
		return 0, max(1, int64(math.Ceil(wait.Seconds()))), false
	}
	b.tokens = left
	return wait, 0, true
}

// charge takes n bytes from tenant's bucket without waiting, into debt if
// need be: the bytes of a body whose size was not known before it was read.
func (u *uploadRate) charge(tenant string, n int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if b, ok := u.buckets[tenant]; ok {
		b.tokens -= float64(n)
	}
}

// sleepCtx waits d, or until ctx ends; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
