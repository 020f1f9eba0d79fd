package core

import (
	"testing"
	"time"
)

// stale draws its ±10 % jitter only for an age inside the band around the
// fresh window; outside it the answer is fixed. This pins both sides of
// the band, and the share of stale answers inside it (about half at the
// window itself), against the one-draw formula it replaced.
func TestStaleJitterBand(t *testing.T) {
	var c Client
	ttl, ratio := time.Minute, 0.5 // window 30 s, band 27–33 s
	at := func(age time.Duration) Freshness { return Freshness{Known: true, FreshFor: ttl - age} }
	for _, tc := range []struct {
		age  time.Duration
		want bool
	}{
		{0, false}, {26 * time.Second, false}, {27 * time.Second, false},
		{33*time.Second + time.Nanosecond, true}, {50 * time.Second, true}, {ttl, true},
	} {
		for range 200 {
			if got := c.stale(at(tc.age), ttl, ratio); got != tc.want {
				t.Fatalf("stale at age %v = %v, want %v", tc.age, got, tc.want)
			}
		}
	}
	n := 0
	for range 4000 {
		if c.stale(at(30*time.Second), ttl, ratio) {
			n++
		}
	}
	if n < 1600 || n > 2400 {
		t.Errorf("at the window itself %d of 4000 reads were stale, want about half", n)
	}
	if c.stale(Freshness{Known: true, NoExpiry: true}, ttl, ratio) || !c.stale(Freshness{Stale: true}, ttl, ratio) {
		t.Error("NoExpiry must be fresh and a stale report stale")
	}
}
