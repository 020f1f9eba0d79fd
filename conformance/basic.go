package conformance

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

func (s *suite) testSetGet(t tester) {
	b := s.newBackend(t)
	k := s.key(t, "k")
	v := []byte("hello, cachekit")
	w, ok := timedSet(t, b, k, v, s.long)
	if !ok {
		return
	}
	r := window{start: time.Now()}
	e, ok := checkGet(t, b, k, v)
	r.end = time.Now()
	if ok {
		s.checkFreshness(t, "Get after Set", e.Freshness, s.long, w, r)
	}
	checkExists(t, b, k, true)
	// A second read returns the same value.
	checkGet(t, b, k, v)
}

func (s *suite) testMissing(t tester) {
	b := s.newBackend(t)
	k := s.key(t, "never-set")
	e, found, err := b.Get(t.Context(), k)
	if noErr(t, err, "Get(missing)") {
		if found {
			t.Errorf("Get(missing): found %s", describe(e.Value))
		}
		if len(e.Value) != 0 {
			t.Errorf("Get(missing): non-empty Entry.Value %s with found == false", describe(e.Value))
		}
	}
	checkExists(t, b, k, false)
	noErr(t, b.Delete(t.Context(), k), "Delete(missing)")
	noErr(t, b.Delete(t.Context(), k), "Delete(missing) twice")
	checkMissing(t, b, k, "after deleting a missing key")
}

func (s *suite) testOverwrite(t tester) {
	b := s.newBackend(t)
	k := s.key(t, "k")
	for _, v := range [][]byte{
		[]byte("first"),
		[]byte("a longer second value, to grow the entry"),
		[]byte("3rd"),
		{},
		bytes.Repeat([]byte{0xab}, 4096),
		[]byte("last"),
	} {
		if set(t, b, k, v, s.long) {
			checkGet(t, b, k, v)
		}
	}
	checkExists(t, b, k, true)
}

func (s *suite) testDelete(t tester) {
	b := s.newBackend(t)
	base := s.key(t, "a")
	keys := []string{base, base + "b", base + ":b", base + ":lock", base + " "}
	for _, k := range keys {
		set(t, b, k, []byte("v:"+k), s.long)
	}
	noErr(t, b.Delete(t.Context(), base), "Delete")
	checkMissing(t, b, base, "after Delete")
	for _, k := range keys[1:] {
		checkGet(t, b, k, []byte("v:"+k))
	}
	noErr(t, b.Delete(t.Context(), base), "Delete again")
	// The key can be written again after a delete.
	if set(t, b, base, []byte("again"), s.long) {
		checkGet(t, b, base, []byte("again"))
	}
}

// interestingValues are values whose bytes a backend might mangle.
func interestingValues() map[string][]byte {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	return map[string][]byte{
		"empty":        {},
		"nil":          nil,
		"zero-byte":    {0},
		"all-bytes":    all,
		"invalid-utf8": {0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1},
		"eight-zeros":  make([]byte, 8),
		"eight-ff":     bytes.Repeat([]byte{0xff}, 8),
		"nul-inside":   []byte("a\x00b\x00c\r\n"),
		"crlf":         []byte("\r\n\r\nHTTP/1.1 200 OK\r\n"),
		"json-like":    []byte(`{"a":1,"b":[true,null]}`),
		"1KiB":         randomBytes(1 << 10),
		"64KiB":        randomBytes(64 << 10),
	}
}

func (s *suite) testValues(t tester) {
	b := s.newBackend(t)
	values := interestingValues()
	for name, v := range values {
		k := s.key(t, name)
		if !set(t, b, k, v, s.long) {
			continue
		}
		want := v
		if want == nil {
			want = []byte{}
		}
		e, found := get(t, b, k)
		switch {
		case !found:
			t.Errorf("value %s: Get after Set: not found", name)
		case !bytes.Equal(e.Value, want):
			t.Errorf("value %s: Get: %s", name, diff(e.Value, want))
		}
		checkExists(t, b, k, true)
	}
}

func (s *suite) testLargeValue(t tester) {
	b := s.newBackend(t)
	n := s.h.maxValueSize()
	v := randomBytes(n)
	k := s.key(t, "large")
	if set(t, b, k, v, s.long) {
		checkGet(t, b, k, v)
		// Overwrite large with small and back.
		if set(t, b, k, []byte("small"), s.long) {
			checkGet(t, b, k, []byte("small"))
		}
		if set(t, b, k, v, s.long) {
			checkGet(t, b, k, v)
		}
	}
	// Several large values side by side.
	k2 := s.key(t, "large2")
	v2 := bytes.Repeat([]byte{0x5a}, n)
	if set(t, b, k2, v2, s.long) {
		checkGet(t, b, k2, v2)
		checkGet(t, b, k, v)
	}
	if s.h.EnforcesMaxValueSize {
		k3 := s.key(t, "too-large")
		err := b.Set(t.Context(), k3, make([]byte, n+1), s.long)
		wantKind(t, err, core.KindPayloadTooLarge, fmt.Sprintf("Set(%d bytes, over MaxValueSize)", n+1))
		checkMissing(t, b, k3, "after a rejected oversized Set")
	}
}

func (s *suite) testKeys(t tester) {
	b := s.newBackend(t)
	base := s.key(t, "")
	suffixes := []string{
		"plain", "with space", "a b", "a+b", "a%20b", "a%2Fb", "a/b", "a//b", "/lead", "trail/",
		"q?x=1&y=2", "frag#x", "{tag}k", "colon:sep:k", "dots/../x", ".", "..", "ünïcødé-键-🔑",
		"quote\"'`", "back\\slash", "semi;comma,eq=", "tilde~star*", "ns:{x}:y", "UPPER", "upper",
	}
	// A key of about 1 KiB in total: the client accepts keys of up to 1024
	// bytes plus a namespace prefix.
	if pad := 1024 - len(base) - 4; pad > 0 {
		suffixes = append(suffixes, "long"+strings.Repeat("k", pad))
	}
	for i, sfx := range suffixes {
		set(t, b, base+sfx, []byte(fmt.Sprintf("value %d", i)), s.long)
	}
	for i, sfx := range suffixes {
		checkGet(t, b, base+sfx, []byte(fmt.Sprintf("value %d", i)))
	}
	for i, sfx := range suffixes {
		if i%2 == 0 {
			noErr(t, b.Delete(t.Context(), base+sfx), fmt.Sprintf("Delete(%q)", base+sfx))
		}
	}
	for i, sfx := range suffixes {
		if i%2 == 0 {
			checkMissing(t, b, base+sfx, "after Delete")
		} else {
			checkGet(t, b, base+sfx, []byte(fmt.Sprintf("value %d", i)))
		}
	}
}

func (s *suite) testManyKeys(t tester) {
	b := s.newBackend(t)
	const n = 500
	key := func(i int) string { return s.key(t, fmt.Sprintf("k%04d", i)) }
	val := func(i int) []byte { return []byte(fmt.Sprintf("value-%d-%s", i, strings.Repeat("x", i%37))) }
	failed := 0
	for i := range n {
		if err := b.Set(t.Context(), key(i), val(i), s.long); err != nil {
			if failed++; failed <= 3 {
				t.Errorf("Set(%q): %v", key(i), err)
			}
		}
	}
	check := func(deleted bool) {
		bad := 0
		for i := range n {
			e, found, err := b.Get(t.Context(), key(i))
			wantFound := !deleted || i%2 == 1
			if err != nil || found != wantFound || (found && !bytes.Equal(e.Value, val(i))) {
				if bad++; bad <= 3 {
					t.Errorf("Get(%q) = (%s, %v, %v); want found=%v value %s", key(i), describe(e.Value), found, err, wantFound, describe(val(i)))
				}
			}
		}
		if bad > 3 {
			t.Errorf("... and %d more wrong reads of %d keys", bad-3, n)
		}
	}
	check(false)
	for i := 0; i < n; i += 2 {
		noErr(t, b.Delete(t.Context(), key(i)), "Delete")
	}
	check(true)
}

func (s *suite) testAliasing(t tester) {
	b := s.newBackend(t)
	k := s.key(t, "k")
	orig := []byte("original value")
	v := bytes.Clone(orig)
	if !set(t, b, k, v, s.long) {
		return
	}
	for i := range v {
		v[i] = 'X'
	}
	if _, ok := checkGet(t, b, k, orig); !ok {
		t.Errorf("mutating the slice passed to Set changed the stored value")
	}
	e, found := get(t, b, k)
	if found {
		for i := range e.Value {
			e.Value[i] = 'Y'
		}
		// Appending must not write into the backend's memory either.
		_ = append(e.Value[:0:0], 'Z')
		// Nor may work the read started in the background (a backfill)
		// use the caller's slice: let it finish first.
		if w, ok := b.(interface{ Wait(context.Context) error }); ok {
			noErr(t, w.Wait(t.Context()), "Wait")
		}
		if _, ok := checkGet(t, b, k, orig); !ok {
			t.Errorf("mutating the slice returned by Get changed the stored value")
		}
	}
	// Two reads return independent slices.
	e1, f1 := get(t, b, k)
	e2, f2 := get(t, b, k)
	if f1 && f2 && len(e1.Value) > 0 {
		e1.Value[0] ^= 0xff
		if e2.Value[0] == e1.Value[0] {
			t.Errorf("two Gets returned slices sharing memory")
		}
	}
}

func (s *suite) testConcurrent(t tester) {
	b := s.newBackend(t)
	const (
		writers = 8
		readers = 8
		keys    = 16
		ops     = 40
	)
	key := func(i int) string { return s.key(t, fmt.Sprintf("k%02d", i)) }
	// Values name their key and writer and carry a checksum-like tail, so a
	// torn or misplaced value is recognised.
	val := func(k, w, n int) []byte {
		head := fmt.Sprintf("key=%d;writer=%d;n=%d;", k, w, n)
		return append([]byte(head), bytes.Repeat([]byte{byte(k + w + n)}, 64+(w*n)%200)...)
	}
	valid := func(k int, v []byte) bool {
		var kk, w, n int
		if _, err := fmt.Sscanf(string(v), "key=%d;writer=%d;n=%d;", &kk, &w, &n); err != nil || kk != k {
			return false
		}
		return bytes.Equal(v, val(k, w, n))
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		errs   []string
		report = func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			if len(errs) < 10 {
				errs = append(errs, fmt.Sprintf(format, args...))
			}
		}
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range ops {
				k := (w + n) % keys
				if err := b.Set(t.Context(), key(k), val(k, w, n), s.long); err != nil {
					report("writer %d: Set: %v", w, err)
				}
				if w == 0 && n%5 == 0 {
					if err := b.Delete(t.Context(), key(k)); err != nil {
						report("writer %d: Delete: %v", w, err)
					}
				}
			}
		}()
	}
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range ops {
				k := (r*3 + n) % keys
				e, found, err := b.Get(t.Context(), key(k))
				switch {
				case err != nil:
					report("reader %d: Get: %v", r, err)
				case found && !valid(k, e.Value):
					report("reader %d: Get(%q) returned a value never written to it: %s", r, key(k), describe(e.Value))
				}
				if _, err := b.Exists(t.Context(), key(k)); err != nil {
					report("reader %d: Exists: %v", r, err)
				}
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		t.Errorf("concurrent use: %s", e)
	}
	// Once the writers are done every key holds one of its values.
	for k := range keys {
		e, found := get(t, b, key(k))
		if found && !valid(k, e.Value) {
			t.Errorf("after concurrent writes, Get(%q) = %s, not a value written to it", key(k), describe(e.Value))
		}
	}
}

func (s *suite) testHealth(t tester) {
	b := s.newBackend(t)
	noErr(t, b.Health(t.Context()), "Health")
}

func (s *suite) testInvalidTTL(t tester) {
	b := s.newBackend(t)
	k := s.key(t, "new")
	wantKind(t, b.Set(t.Context(), k, []byte("v"), -time.Second), core.KindInvalidInput, "Set(ttl -1s)")
	wantKind(t, b.Set(t.Context(), k, []byte("v"), -1), core.KindInvalidInput, "Set(ttl -1ns)")
	checkMissing(t, b, k, "after a Set with a negative TTL")
	old := s.key(t, "old")
	if set(t, b, old, []byte("old"), s.long) {
		wantKind(t, b.Set(t.Context(), old, []byte("new"), -time.Minute), core.KindInvalidInput, "Set(existing, ttl -1m)")
		checkGet(t, b, old, []byte("old"))
	}
}

// ctxCall is one backend call made with a done context.
type ctxCall struct {
	name string
	call func(ctx context.Context) error
}

func (s *suite) testContext(t tester) {
	b := s.newBackend(t)
	present := s.key(t, "present")
	absent := s.key(t, "absent")
	if !set(t, b, present, []byte("v"), s.long) {
		return
	}
	calls := []ctxCall{
		{"Get", func(ctx context.Context) error { _, _, err := b.Get(ctx, present); return err }},
		{"Set", func(ctx context.Context) error { return b.Set(ctx, absent, []byte("x"), s.long) }},
		{"Set(existing)", func(ctx context.Context) error { return b.Set(ctx, present, []byte("changed"), s.long) }},
		{"Delete", func(ctx context.Context) error { return b.Delete(ctx, present) }},
		{"Exists", func(ctx context.Context) error { _, err := b.Exists(ctx, present); return err }},
		{"Health", func(ctx context.Context) error { return b.Health(ctx) }},
	}
	if x, ok := b.(core.ValueGetter); ok {
		calls = append(calls, ctxCall{"GetValue", func(ctx context.Context) error { _, _, err := x.GetValue(ctx, present); return err }})
	}
	if x, ok := b.(core.TTLInspector); ok {
		calls = append(calls, ctxCall{"TTL", func(ctx context.Context) error { _, _, err := x.TTL(ctx, present); return err }})
	}
	if x, ok := b.(core.TTLRefresher); ok {
		calls = append(calls, ctxCall{"Expire", func(ctx context.Context) error { _, err := x.Expire(ctx, present, s.short); return err }})
	}
	if x, ok := b.(core.Locker); ok {
		lk := s.key(t, "lock")
		calls = append(calls,
			ctxCall{"Lock", func(ctx context.Context) error { _, _, err := x.Lock(ctx, lk, s.long); return err }},
			ctxCall{"Unlock", func(ctx context.Context) error { _, err := x.Unlock(ctx, lk, "token"); return err }})
		defer func() {
			// Lock with a done context must not have taken the lock.
			tok, got, err := x.Lock(t.Context(), lk, s.long)
			if err == nil && !got {
				t.Errorf("Lock after Lock with a done context: not acquired; the failed call took the lock")
			}
			if got {
				_, _ = x.Unlock(t.Context(), lk, tok)
			}
		}()
	}
	if x, ok := b.(core.BatchGetter); ok {
		calls = append(calls, ctxCall{"GetMany", func(ctx context.Context) error { _, err := x.GetMany(ctx, []string{present, absent}); return err }})
	}
	if x, ok := b.(core.BatchSetter); ok {
		calls = append(calls, ctxCall{"SetMany", func(ctx context.Context) error {
			return x.SetMany(ctx, []core.BatchItem{{Key: absent, Value: []byte("x"), TTL: s.long}, {Key: present, Value: []byte("changed"), TTL: s.long}})
		}})
	}
	for _, c := range calls {
		err := c.call(canceledCtx(t))
		if core.KindOf(err) == core.KindNotSupported {
			continue
		}
		wantKind(t, err, core.KindCanceled, c.name+" with a canceled context")
		err = c.call(expiredCtx(t))
		wantKind(t, err, core.KindTimeout, c.name+" with an expired deadline")
	}
	// None of those calls had an effect.
	checkGet(t, b, present, []byte("v"))
	checkMissing(t, b, absent, "after writes with done contexts")
	if x, ok := b.(core.TTLInspector); ok {
		if ttl, found, err := x.TTL(t.Context(), present); err == nil && found && ttl != core.NoExpiry && ttl < s.long-time.Minute && ttl < s.short*2 {
			t.Errorf("Expire with a done context changed the TTL to %v", ttl)
		}
	}
	// A context with time left works normally.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if noErr(t, b.Set(ctx, absent, []byte("w"), s.long), "Set with a live deadline") {
		e, found, err := b.Get(ctx, absent)
		if noErr(t, err, "Get with a live deadline") && (!found || string(e.Value) != "w") {
			t.Errorf("Get with a live deadline: found=%v value %s, want \"w\"", found, describe(e.Value))
		}
	}
}
