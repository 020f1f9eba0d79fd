package conformance

import (
	"context"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// checkGoneEverywhere checks that an expired key is absent from every view
// the backend offers.
func (s *suite) checkGoneEverywhere(t tester, b core.Backend, k string) {
	t.Helper()
	checkMissing(t, b, k, "after its TTL passed")
	if x, ok := b.(core.TTLInspector); ok {
		ttl, found, err := x.TTL(t.Context(), k)
		if err == nil && found {
			t.Errorf("TTL(%q) after its TTL passed: found, ttl %v", k, ttl)
		}
	}
	if x, ok := b.(core.BatchGetter); ok {
		res, err := x.GetMany(t.Context(), []string{k})
		if err == nil && len(res) == 1 && res[0].Found {
			t.Errorf("GetMany([%q]) after its TTL passed: found", k)
		}
	}
	if x, ok := b.(core.TTLRefresher); ok {
		found, err := x.Expire(t.Context(), k, s.long)
		if err == nil && found {
			t.Errorf("Expire(%q) after its TTL passed: true, want false (it must not revive the entry)", k)
			checkMissing(t, b, k, "after Expire on an expired key")
		}
	}
}

func (s *suite) testExpiry(t tester) {
	b := s.newBackend(t)
	k := s.key(t, "short")
	keep := s.key(t, "long")
	v := []byte("short-lived")
	w, ok := timedSet(t, b, k, v, s.short)
	if !ok {
		return
	}
	set(t, b, keep, []byte("long-lived"), s.long)
	// Only assert presence while the entry is surely alive.
	if time.Since(w.start) < s.short/2 {
		checkGet(t, b, k, v)
	} else {
		t.Logf("Set took %v; not checking presence before expiry", w.end.Sub(w.start))
	}
	s.sleepPast(w, s.short)
	s.checkGoneEverywhere(t, b, k)
	checkGet(t, b, keep, []byte("long-lived"))
	// An expired key can be written again.
	if set(t, b, k, []byte("again"), s.long) {
		checkGet(t, b, k, []byte("again"))
	}
}

func (s *suite) testFreshness(t tester) {
	b := s.newBackend(t)
	k := s.key(t, "k")
	w, ok := timedSet(t, b, k, []byte("v"), s.long)
	if !ok {
		return
	}
	r := window{start: time.Now()}
	e, ok := checkGet(t, b, k, []byte("v"))
	r.end = time.Now()
	if ok {
		s.checkFreshness(t, "Get right after Set", e.Freshness, s.long, w, r)
	}
	// Freshness counts down: after a pause the reported time left is lower.
	time.Sleep(max(2*s.res, 30*time.Millisecond))
	r = window{start: time.Now()}
	e, ok = checkGet(t, b, k, []byte("v"))
	r.end = time.Now()
	if ok {
		s.checkFreshness(t, "Get after a pause", e.Freshness, s.long, w, r)
	}
	// A short TTL is reported as such, not rounded up to some default.
	ks := s.key(t, "short")
	w, ok = timedSet(t, b, ks, []byte("v"), s.short)
	if !ok {
		return
	}
	r = window{start: time.Now()}
	e, found := get(t, b, ks)
	r.end = time.Now()
	if found && r.end.Sub(w.start) < s.short/2 {
		s.checkFreshness(t, "Get of a short-TTL entry", e.Freshness, s.short, w, r)
	}
}

func (s *suite) testNoExpiry(t tester) {
	if s.h.NoExpiryUnsupported {
		t.Skipf("Harness.NoExpiryUnsupported")
		return
	}
	b := s.newBackend(t)
	k := s.key(t, "forever")
	w, ok := timedSet(t, b, k, []byte("v"), core.NoExpiry)
	if !ok {
		return
	}
	t.Cleanup(func() { _ = b.Delete(context.Background(), k) })
	r := window{start: time.Now()}
	e, ok := checkGet(t, b, k, []byte("v"))
	r.end = time.Now()
	if ok {
		s.checkFreshness(t, "Get of an entry without expiry", e.Freshness, core.NoExpiry, w, r)
	}
	// It outlives a short TTL.
	time.Sleep(s.short + s.slack)
	checkGet(t, b, k, []byte("v"))
	checkExists(t, b, k, true)
}

func (s *suite) testOverwriteTTL(t tester) {
	b := s.newBackend(t)
	// short → long: the entry survives the first TTL.
	up := s.key(t, "short-then-long")
	// long → short: the entry expires with the second TTL.
	down := s.key(t, "long-then-short")
	// forever → short: a TTL replaces "no expiry".
	fromForever := s.key(t, "forever-then-short")
	var w window
	ok := set(t, b, up, []byte("1"), s.short) &&
		set(t, b, up, []byte("2"), s.long) &&
		set(t, b, down, []byte("1"), s.long)
	if !ok {
		return
	}
	w, ok = timedSet(t, b, down, []byte("2"), s.short)
	if !ok {
		return
	}
	if !s.h.NoExpiryUnsupported {
		ok = set(t, b, fromForever, []byte("1"), core.NoExpiry) &&
			set(t, b, fromForever, []byte("2"), s.short)
		if !ok {
			return
		}
		t.Cleanup(func() { _ = b.Delete(context.Background(), fromForever) })
	}
	e, found := get(t, b, up)
	if f := e.Freshness; found && f.Known && (f.NoExpiry || f.FreshFor <= s.short) {
		t.Errorf("Get after overwriting a short TTL with a long one: Freshness %+v, want FreshFor > %v", f, s.short)
	}
	s.sleepPast(w, s.short)
	checkGet(t, b, up, []byte("2"))
	s.checkGoneEverywhere(t, b, down)
	if !s.h.NoExpiryUnsupported {
		s.checkGoneEverywhere(t, b, fromForever)
	}
}
