package server

import (
	"testing"
	"time"
)

// The upload rate's bucket: one second's bytes banked, debt paid by
// waiting up to the bound, nothing taken beyond it, charges after the
// fact, tenants apart.
func TestUploadRateBucket(t *testing.T) {
	now := time.Unix(1000, 0)
	u := newUploadRate(1000, func() time.Time { return now })
	if u := newUploadRate(0, time.Now); u != nil {
		t.Fatal("a rate of 0 made a limiter")
	}
	check := func(n int64, maxWait, wantWait time.Duration, wantRetry int64, wantOK bool) {
		t.Helper()
		wait, retry, ok := u.reserve("a", n, maxWait)
		if wait != wantWait || retry != wantRetry || ok != wantOK {
			t.Fatalf("reserve(%d, %v) = %v, %d, %v; want %v, %d, %v", n, maxWait, wait, retry, ok, wantWait, wantRetry, wantOK)
		}
	}
	check(600, 0, 0, 0, true)                                       // from the burst of 1000
	check(600, 100*time.Millisecond, 0, 1, false)                   // 200 short: 200 ms > 100 ms
	check(600, 300*time.Millisecond, 200*time.Millisecond, 0, true) // into debt of 200
	check(1, time.Second, 201*time.Millisecond, 0, true)
	if _, _, ok := u.reserve("b", 1000, 0); !ok {
		t.Fatal("another tenant's burst was taken")
	}
	now = now.Add(10 * time.Second) // refills to the burst, not beyond
	check(1000, 0, 0, 0, true)
	u.charge("a", 3000) // a body of unknown length, counted once read
	check(0, time.Second, 0, 3, false)
	check(0, 3*time.Second, 3*time.Second, 0, true)
}
