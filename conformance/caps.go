package conformance

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"reflect"
	"sync"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
)

// capability returns a new backend and the same backend as the optional
// capability C; when the backend does not implement C, it skips the calling
// check (saying so) and ok is false.
func capability[C any](s *suite, t tester) (b core.Backend, x C, ok bool) {
	t.Helper()
	b = s.newBackend(t)
	if x, ok = b.(C); !ok {
		t.Skipf("backend does not implement %s", reflect.TypeFor[C]())
	}
	return b, x, ok
}

func (s *suite) testLocalGetter(t tester) {
	b, x, ok := capability[tier.LocalGetter](s, t)
	if !ok {
		return
	}
	check := func(key string, want []byte, present bool) {
		t.Helper()
		e, found, err := x.GetLocal(t.Context(), key)
		if !noErr(t, err, fmt.Sprintf("GetLocal(%q)", key)) || !found {
			return // a local miss is always allowed
		}
		switch {
		case !present:
			t.Errorf("GetLocal(%q) answered %q for a key that is not stored", key, e.Value)
		case !bytes.Equal(e.Value, want):
			t.Errorf("GetLocal(%q) = %q, want %q", key, e.Value, want)
		case e.Freshness.Stale:
			t.Errorf("GetLocal(%q) answered a stale value", key)
		}
	}
	k := s.key(t, "k")
	check(k, nil, false)
	if !set(t, b, k, []byte("v1"), s.long) {
		return
	}
	check(k, []byte("v1"), true)
	if set(t, b, k, []byte("v2"), s.long) {
		check(k, []byte("v2"), true)
	}
	if noErr(t, b.Delete(t.Context(), k), "Delete") {
		check(k, nil, false)
	}
}

func (s *suite) testValueGetter(t tester) {
	b, x, ok := capability[core.ValueGetter](s, t)
	if !ok {
		return
	}
	k := s.key(t, "k")
	_, found, err := x.GetValue(t.Context(), k)
	if !supported(t, err, "core.ValueGetter") || !noErr(t, err, "GetValue(never stored)") {
		return
	}
	if found {
		t.Errorf("GetValue(%q): found a key that was never stored", k)
	}
	for _, v := range [][]byte{[]byte("v1"), {}, []byte("v2")} {
		if set(t, b, k, v, s.long) {
			checkGet(t, b, k, v) // checks GetValue too
		}
	}
	// The slice is the caller's: changing it changes nothing stored.
	if !set(t, b, k, []byte("owned"), s.long) {
		return
	}
	v, found, err := x.GetValue(t.Context(), k)
	if noErr(t, err, "GetValue") && found && len(v) > 0 {
		v[0] ^= 0xff
		checkGet(t, b, k, []byte("owned"))
	}
	if noErr(t, b.Delete(t.Context(), k), "Delete") {
		checkMissing(t, b, k, "after Delete") // checks GetValue too
	}
}

func (s *suite) testTTLInspector(t tester) {
	b, x, ok := capability[core.TTLInspector](s, t)
	if !ok {
		return
	}
	missing := s.key(t, "missing")
	ttl, found, err := x.TTL(t.Context(), missing)
	if !supported(t, err, "core.TTLInspector") {
		return
	}
	if noErr(t, err, "TTL(missing)") && found {
		t.Errorf("TTL(missing) = %v, found; want not found", ttl)
	}
	k := s.key(t, "k")
	w, ok := timedSet(t, b, k, []byte("v"), s.long)
	if !ok {
		return
	}
	r := window{start: time.Now()}
	ttl, found, err = x.TTL(t.Context(), k)
	r.end = time.Now()
	if noErr(t, err, "TTL") {
		if !found {
			t.Errorf("TTL(%q): not found after Set", k)
		} else {
			s.checkFreshness(t, "TTL", core.FreshFor(ttl), s.long, w, r)
			if ttl == core.NoExpiry {
				t.Errorf("TTL(%q) = NoExpiry for an entry stored with TTL %v", k, s.long)
			}
		}
	}
	checkGet(t, b, k, []byte("v"))
	if !s.h.NoExpiryUnsupported {
		kf := s.key(t, "forever")
		if set(t, b, kf, []byte("v"), core.NoExpiry) {
			t.Cleanup(func() { _ = b.Delete(context.Background(), kf) })
			ttl, found, err = x.TTL(t.Context(), kf)
			if noErr(t, err, "TTL(no expiry)") && (!found || ttl != core.NoExpiry) {
				t.Errorf("TTL of an entry without expiry = (%v, found %v), want (NoExpiry, true)", ttl, found)
			}
		}
	}
	ks := s.key(t, "short")
	w, ok = timedSet(t, b, ks, []byte("v"), s.short)
	if ok {
		s.sleepPast(w, s.short)
		ttl, found, err = x.TTL(t.Context(), ks)
		if noErr(t, err, "TTL(expired)") && found {
			t.Errorf("TTL of an expired entry = %v, found; want not found", ttl)
		}
	}
}

func (s *suite) testCopySetter(t tester) {
	b, x, ok := capability[tier.CopySetter](s, t)
	if !ok {
		return
	}
	setCopy := func(k string, v []byte, keep time.Duration, f core.Freshness) (window, bool) {
		t.Helper()
		w := window{start: time.Now()}
		err := x.SetCopy(t.Context(), k, v, keep, f)
		w.end = time.Now()
		return w, noErr(t, err, fmt.Sprintf("SetCopy(%q, keep %v, %+v)", k, keep, f))
	}
	// A copy kept briefly reports its value's longer freshness, and expires
	// with its own lifetime.
	k := s.key(t, "copy")
	w, ok := setCopy(k, []byte("v"), s.short, core.FreshFor(s.long))
	if !ok {
		return
	}
	if e, r, ok := s.checkGetAlive(t, b, k, []byte("v"), w, s.short); ok && !s.h.NoFreshness {
		s.checkFreshness(t, "Get of a copy", e.Freshness, s.long, w, r)
	}
	// An unknown freshness stays unknown; NoExpiry stays NoExpiry.
	ku := s.key(t, "unknown")
	if _, ok := setCopy(ku, []byte("u"), s.long, core.UnknownFreshness); ok {
		if e, ok := checkGet(t, b, ku, []byte("u")); ok && e.Freshness.Known {
			t.Errorf("Get of a copy stored with an unknown freshness reports %+v", e.Freshness)
		}
		// A later Set replaces what SetCopy recorded.
		if set(t, b, ku, []byte("u2"), s.long) {
			if e, ok := checkGet(t, b, ku, []byte("u2")); ok && !e.Freshness.Known && !s.h.NoFreshness {
				t.Errorf("Get after Set over a copy still reports an unknown freshness")
			}
		}
	}
	kn := s.key(t, "forever")
	if _, ok := setCopy(kn, []byte("n"), s.long, core.ForeverFresh()); ok {
		if e, ok := checkGet(t, b, kn, []byte("n")); ok && !s.h.NoFreshness && !e.Freshness.NoExpiry {
			t.Errorf("Get of a copy of a value without expiry reports %+v, want NoExpiry", e.Freshness)
		}
	}
	// A value fresh for less than the copy is kept reports at least the
	// copy's own remaining lifetime.
	kl := s.key(t, "longer")
	if w, ok := setCopy(kl, []byte("l"), s.long, core.FreshFor(time.Nanosecond)); ok {
		r := window{start: time.Now()}
		e, ok := checkGet(t, b, kl, []byte("l"))
		r.end = time.Now()
		if ok && !s.h.NoFreshness {
			s.checkFreshness(t, "Get of a copy kept longer than its value's freshness", e.Freshness, s.long, w, r)
		}
	}
	// Expire turns a copy into an entry fresh for the new TTL.
	if xr, ok := b.(core.TTLRefresher); ok {
		ke := s.key(t, "expire")
		if _, ok := setCopy(ke, []byte("e"), s.long, core.UnknownFreshness); ok {
			w := window{start: time.Now()}
			found, err := xr.Expire(t.Context(), ke, s.long)
			w.end = time.Now()
			if noErr(t, err, "Expire(copy)") && found {
				r := window{start: time.Now()}
				e, ok := checkGet(t, b, ke, []byte("e"))
				r.end = time.Now()
				if ok && !s.h.NoFreshness {
					s.checkFreshness(t, "Get of a copy after Expire", e.Freshness, s.long, w, r)
				}
			}
		}
	}
	// Invalid calls are rejected and store nothing.
	ki := s.key(t, "invalid")
	for _, keep := range []time.Duration{0, -time.Second} {
		wantKind(t, x.SetCopy(t.Context(), ki, []byte("i"), keep, core.FreshFor(s.long)), core.KindInvalidInput, fmt.Sprintf("SetCopy(keep %v)", keep))
	}
	wantKind(t, x.SetCopy(t.Context(), ki, []byte("i"), s.long, core.Freshness{Known: true, FreshFor: s.long, Stale: true}), core.KindInvalidInput, "SetCopy(stale)")
	checkMissing(t, b, ki, "after rejected SetCopy calls")
	// The copy expires after keep, however long its value stays fresh.
	s.sleepPast(w, s.short)
	s.checkGoneEverywhere(t, b, k)
}

func (s *suite) testTTLRefresher(t tester) {
	b, x, ok := capability[core.TTLRefresher](s, t)
	if !ok {
		return
	}
	missing := s.key(t, "missing")
	found, err := x.Expire(t.Context(), missing, s.long)
	if !supported(t, err, "core.TTLRefresher") {
		return
	}
	if noErr(t, err, "Expire(missing)") && found {
		t.Errorf("Expire(missing) = true, want false")
	}
	checkMissing(t, b, missing, "after Expire on a missing key")

	// Extend: a short-lived entry outlives its first TTL.
	ext := s.key(t, "extend")
	// Shorten: a long-lived entry expires with the new TTL.
	shr := s.key(t, "shorten")
	// Invalid TTLs are rejected and change nothing.
	inv := s.key(t, "invalid")
	if !set(t, b, ext, []byte("ext"), s.short) || !set(t, b, shr, []byte("shr"), s.long) || !set(t, b, inv, []byte("inv"), s.long) {
		return
	}
	found, err = x.Expire(t.Context(), ext, s.long)
	if noErr(t, err, "Expire(extend)") && !found {
		t.Errorf("Expire(%q, %v) = false for a live key", ext, s.long)
	}
	w := window{start: time.Now()}
	found, err = x.Expire(t.Context(), shr, s.short)
	w.end = time.Now()
	if noErr(t, err, "Expire(shorten)") && !found {
		t.Errorf("Expire(%q, %v) = false for a live key", shr, s.short)
	}
	for _, bad := range []time.Duration{0, -1, -time.Second} {
		_, err := x.Expire(t.Context(), inv, bad)
		wantKind(t, err, core.KindInvalidInput, fmt.Sprintf("Expire(ttl %v)", bad))
	}
	// The value is unchanged and the new TTL is reported.
	if e, r, ok := s.checkGetAlive(t, b, shr, []byte("shr"), w, s.short); ok {
		s.checkFreshness(t, "Get after Expire(shorten)", e.Freshness, s.short, w, r)
	}
	s.sleepPast(w, s.short)
	checkGet(t, b, ext, []byte("ext"))
	s.checkGoneEverywhere(t, b, shr)
	e, ok := checkGet(t, b, inv, []byte("inv"))
	if f := e.Freshness; ok && f.Known && !f.NoExpiry && f.FreshFor <= s.short {
		t.Errorf("a rejected Expire changed the entry's freshness to %v", f.FreshFor)
	}
	if !s.h.NoExpiryUnsupported {
		// Expire gives an entry without expiry a TTL.
		kf := s.key(t, "forever")
		if set(t, b, kf, []byte("v"), core.NoExpiry) {
			t.Cleanup(func() { _ = b.Delete(context.Background(), kf) })
			w := window{start: time.Now()}
			found, err := x.Expire(t.Context(), kf, s.short)
			w.end = time.Now()
			if noErr(t, err, "Expire(no expiry)") && !found {
				t.Errorf("Expire of an entry without expiry = false")
			}
			s.sleepPast(w, s.short)
			s.checkGoneEverywhere(t, b, kf)
		}
	}
}

func (s *suite) testLocker(t tester) {
	b, x, ok := capability[core.Locker](s, t)
	if !ok {
		return
	}
	ctx := t.Context()
	k := s.key(t, "k")
	tok, got, err := x.Lock(ctx, k, s.long)
	if !supported(t, err, "core.Locker") || !noErr(t, err, "Lock") {
		return
	}
	if !got {
		t.Errorf("Lock(%q) on a free key: not acquired", k)
		return
	}
	if tok == "" {
		t.Errorf("Lock(%q): empty token", k)
	}
	// Exclusive.
	tok2, got2, err := x.Lock(ctx, k, s.long)
	if noErr(t, err, "Lock(held)") && got2 {
		t.Errorf("Lock(%q) while held: acquired (token %q); locks must be exclusive", k, tok2)
	}
	// A lock is not a value.
	checkMissing(t, b, k, "while only its lock is held")
	if set(t, b, k, []byte("v"), s.long) {
		checkGet(t, b, k, []byte("v"))
		noErr(t, b.Delete(ctx, k), "Delete(locked key's value)")
		if _, again, err := x.Lock(ctx, k, s.long); err == nil && again {
			t.Errorf("Lock(%q) acquired after writing and deleting the key's value; the lock must be independent of the value", k)
		}
	}
	// Released only by the holder.
	for _, wrong := range []string{"", "not-the-token", tok + "x"} {
		released, err := x.Unlock(ctx, k, wrong)
		if noErr(t, err, "Unlock(wrong token)") && released {
			t.Errorf("Unlock(%q, %q) with a wrong token: released", k, wrong)
		}
	}
	if _, again, err := x.Lock(ctx, k, s.long); err == nil && again {
		t.Errorf("Lock(%q) acquired after an Unlock with a wrong token", k)
	}
	released, err := x.Unlock(ctx, k, tok)
	if noErr(t, err, "Unlock(holder)") && !released {
		t.Errorf("Unlock(%q) by the holder: not released", k)
	}
	released, err = x.Unlock(ctx, k, tok)
	if noErr(t, err, "Unlock twice") && released {
		t.Errorf("Unlock(%q) twice: released again", k)
	}
	tok3, got3, err := x.Lock(ctx, k, s.long)
	if noErr(t, err, "Lock after Unlock") {
		if !got3 {
			t.Errorf("Lock(%q) after Unlock: not acquired", k)
		} else if tok3 == tok {
			t.Errorf("Lock(%q): a new acquisition reused the previous token %q", k, tok)
		}
	}
	if got3 {
		_, _ = x.Unlock(ctx, k, tok3)
	}
	// Independent keys.
	a, c := s.key(t, "a"), s.key(t, "c")
	ta, ga, err1 := x.Lock(ctx, a, s.long)
	tc, gc, err2 := x.Lock(ctx, c, s.long)
	if noErr(t, err1, "Lock(a)") && noErr(t, err2, "Lock(c)") && (!ga || !gc) {
		t.Errorf("locks on two different keys: acquired %v and %v, want both", ga, gc)
	}
	if ga && gc {
		if rel, err := x.Unlock(ctx, a, tc); err == nil && rel {
			t.Errorf("Unlock(a) with c's token: released")
		}
	}
	_, _ = x.Unlock(ctx, a, ta)
	_, _ = x.Unlock(ctx, c, tc)
	// Never-locked key.
	if rel, err := x.Unlock(ctx, s.key(t, "never"), "token"); noErr(t, err, "Unlock(never locked)") && rel {
		t.Errorf("Unlock of a key never locked: released")
	}
	// Invalid leases.
	for _, bad := range []time.Duration{0, -time.Second} {
		kb := s.key(t, fmt.Sprintf("bad-lease-%d", bad))
		_, got, err := x.Lock(ctx, kb, bad)
		wantKind(t, err, core.KindInvalidInput, fmt.Sprintf("Lock(lease %v)", bad))
		if got {
			t.Errorf("Lock(lease %v): acquired", bad)
		}
	}
	// Concurrent acquisition: exactly one winner, distinct tokens.
	kc := s.key(t, "contended")
	const n = 8
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		wins   []string
		errs   []error
		starts = make(chan struct{})
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-starts
			tk, g, err := x.Lock(ctx, kc, s.long)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if g {
				wins = append(wins, tk)
			}
		}()
	}
	close(starts)
	wg.Wait()
	for _, err := range errs {
		t.Errorf("concurrent Lock: %v", err)
	}
	if len(wins) != 1 {
		t.Errorf("%d concurrent Locks of one key: %d acquired, want exactly 1", n, len(wins))
	}
	for _, tk := range wins {
		_, _ = x.Unlock(ctx, kc, tk)
	}
	// Leases expire; the old holder cannot release the new holder's lock.
	kl := s.key(t, "lease")
	w := window{start: time.Now()}
	old, got, err := x.Lock(ctx, kl, s.short)
	w.end = time.Now()
	if !noErr(t, err, "Lock(short lease)") || !got {
		if err == nil {
			t.Errorf("Lock(%q) on a free key: not acquired", kl)
		}
		return
	}
	if w.end.Sub(w.start) < s.short/2 {
		if _, again, err := x.Lock(ctx, kl, s.long); err == nil && again {
			t.Errorf("Lock(%q) acquired before the lease passed", kl)
		}
	}
	s.sleepPast(w, s.short)
	nt, got, err := x.Lock(ctx, kl, s.long)
	if noErr(t, err, "Lock after the lease passed") && !got {
		t.Errorf("Lock(%q) after the previous lease (%v) passed: not acquired", kl, s.short)
	}
	if got {
		if nt == old {
			t.Errorf("Lock(%q): the new holder got the expired holder's token", kl)
		}
		if rel, err := x.Unlock(ctx, kl, old); err == nil && rel {
			t.Errorf("Unlock(%q) by the holder of an expired lease: released the new holder's lock", kl)
		}
		if _, again, err := x.Lock(ctx, kl, s.long); err == nil && again {
			t.Errorf("Lock(%q) acquired while the new holder holds it (the expired holder's Unlock released it?)", kl)
		}
		if rel, err := x.Unlock(ctx, kl, nt); noErr(t, err, "Unlock(new holder)") && !rel {
			t.Errorf("Unlock(%q) by the new holder: not released", kl)
		}
	}
}

func (s *suite) testBatchGetter(t tester) {
	b, x, ok := capability[core.BatchGetter](s, t)
	if !ok {
		return
	}
	s.checkBatchRead(t, b, "GetMany", "core.BatchGetter", x.GetMany, true)
}

func (s *suite) testBatchSetter(t tester) {
	b, x, ok := capability[core.BatchSetter](s, t)
	if !ok {
		return
	}
	ctx := t.Context()
	err := x.SetMany(ctx, nil)
	if !supported(t, err, "core.BatchSetter") {
		return
	}
	noErr(t, err, "SetMany(no items)")
	const n = 100
	items := make([]core.BatchItem, n)
	orig := make([][]byte, n)
	for i := range items {
		ttl := s.long
		switch {
		case i%10 == 0:
			ttl = s.short
		case i%10 == 5 && !s.h.NoExpiryUnsupported:
			ttl = core.NoExpiry
		}
		orig[i] = []byte(fmt.Sprintf("batch value %d", i))
		items[i] = core.BatchItem{Key: s.key(t, fmt.Sprintf("k%03d", i)), Value: bytes.Clone(orig[i]), TTL: ttl}
		if ttl == core.NoExpiry {
			k := items[i].Key
			t.Cleanup(func() { _ = b.Delete(context.Background(), k) })
		}
	}
	w := window{start: time.Now()}
	if !noErr(t, x.SetMany(ctx, items), "SetMany") {
		return
	}
	w.end = time.Now()
	// SetMany does not retain the values.
	for i := range items {
		for j := range items[i].Value {
			items[i].Value[j] = '!'
		}
	}
	r := window{start: time.Now()}
	bad := 0
	for i, it := range items {
		e, found, err := b.Get(ctx, it.Key)
		if err == nil && !found && it.TTL == s.short && time.Since(w.start) >= s.short {
			// A short-TTL item may already have expired on a slow machine;
			// that it expires is checked below.
			continue
		}
		if err != nil || !found || !bytes.Equal(e.Value, orig[i]) {
			if bad++; bad <= 5 {
				t.Errorf("Get(%q) after SetMany: found=%v err=%v value %s; want %s", it.Key, found, err, describe(e.Value), describe(orig[i]))
			}
			continue
		}
		if it.TTL == s.long || it.TTL == core.NoExpiry {
			s.checkFreshness(t, fmt.Sprintf("Get of SetMany item %d", i), e.Freshness, it.TTL, w, window{r.start, time.Now()})
		}
	}
	// Overwrite through SetMany.
	if noErr(t, x.SetMany(ctx, []core.BatchItem{{Key: items[1].Key, Value: []byte("over"), TTL: s.long}}), "SetMany(overwrite)") {
		checkGet(t, b, items[1].Key, []byte("over"))
	}
	// Invalid TTLs are rejected.
	kb := s.key(t, "bad")
	err = x.SetMany(ctx, []core.BatchItem{{Key: kb, Value: []byte("v"), TTL: -time.Second}})
	wantKind(t, err, core.KindInvalidInput, "SetMany(negative TTL)")
	checkMissing(t, b, kb, "after SetMany with a negative TTL")
	// Short TTLs expire, the others stay.
	s.sleepPast(w, s.short)
	for i, it := range items {
		if i%10 == 0 {
			s.checkGoneEverywhere(t, b, it.Key)
		} else if i != 1 && i%7 == 0 {
			checkGet(t, b, it.Key, orig[i])
		}
	}
}

func (s *suite) testStats(t tester) {
	b, x, ok := capability[core.StatsReporter](s, t)
	if !ok {
		return
	}
	sum := func(st []core.TierStats) (hits, misses uint64) {
		for _, ts := range st {
			hits += ts.Hits
			misses += ts.Misses
		}
		return
	}
	before := x.Stats()
	if len(before) == 0 {
		t.Errorf("Stats() returned no tiers")
	}
	for i, ts := range before {
		if ts.Name == "" {
			t.Errorf("Stats()[%d] has an empty Name", i)
		}
		if ts.Entries < 0 || ts.SizeBytes < 0 {
			t.Errorf("Stats()[%d] = %+v: negative Entries or SizeBytes", i, ts)
		}
	}
	k := s.key(t, "k")
	set(t, b, k, []byte("v"), s.long)
	// Stats is safe to call concurrently with the backend's operations.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 20 {
			_ = x.Stats()
		}
	}()
	for range 5 {
		get(t, b, k)
		get(t, b, s.key(t, "missing"))
	}
	wg.Wait()
	after := x.Stats()
	h0, m0 := sum(before)
	h1, m1 := sum(after)
	if h1 < h0 || m1 < m0 {
		t.Errorf("Stats counters went down: hits %d → %d, misses %d → %d", h0, h1, m0, m1)
	}
	if len(after) != len(before) {
		t.Errorf("Stats() returned %d tiers, then %d", len(before), len(after))
	}
}

func (s *suite) testCloser(t tester) {
	b, x, ok := capability[io.Closer](s, t)
	if !ok {
		return
	}
	k := s.key(t, "k")
	set(t, b, k, []byte("v"), s.long)
	noErr(t, x.Close(), "Close")
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Errorf("a call after Close panicked: %v", p)
			}
		}()
		ctx := t.Context()
		_, _, _ = b.Get(ctx, k)
		_ = b.Set(ctx, k, []byte("w"), s.long)
		_, _ = b.Exists(ctx, k)
		_ = b.Delete(ctx, k)
		_ = b.Health(ctx)
		if err := x.Close(); err != nil && !isCoreError(err) {
			t.Errorf("second Close: error %v is not a *core.Error", err)
		}
	}()
}
