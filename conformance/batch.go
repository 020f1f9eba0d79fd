package conformance

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// testBatchDeleter: DeleteMany removes every key it is given, missing and
// duplicated keys included, and leaves the others alone.
func (s *suite) testBatchDeleter(t tester) {
	b, x, ok := capability[core.BatchDeleter](s, t)
	if !ok {
		return
	}
	ctx := t.Context()
	err := x.DeleteMany(ctx, nil)
	if !supported(t, err, "core.BatchDeleter") || !noErr(t, err, "DeleteMany(no keys)") {
		return
	}
	const n = 50
	var gone, kept []string
	for i := range n {
		k := s.key(t, fmt.Sprintf("d%03d", i))
		if !set(t, b, k, []byte(fmt.Sprintf("value %d", i)), s.long) {
			return
		}
		if i%2 == 0 {
			gone = append(gone, k)
		} else {
			kept = append(kept, k)
		}
	}
	// A key never stored and a duplicate are fine.
	keys := append([]string{s.key(t, "never-stored"), gone[0]}, gone...)
	if !noErr(t, x.DeleteMany(ctx, keys), "DeleteMany") {
		return
	}
	bad := 0
	for _, k := range gone {
		if _, found, err := b.Get(ctx, k); err != nil || found {
			if bad++; bad <= 5 {
				t.Errorf("Get(%q) after DeleteMany: found=%v err=%v; want a miss", k, found, err)
			}
		}
	}
	for i, k := range kept {
		want := []byte(fmt.Sprintf("value %d", 2*i+1))
		if e, found, err := b.Get(ctx, k); err != nil || !found || !bytes.Equal(e.Value, want) {
			if bad++; bad <= 5 {
				t.Errorf("Get(%q), a key DeleteMany was not given: found=%v err=%v value %s; want %s", k, found, err, describe(e.Value), describe(want))
			}
		}
	}
}

// testBatchValueGetter: GetValues answers what GetMany would, without the
// freshness (see checkBatchRead).
func (s *suite) testBatchValueGetter(t tester) {
	b, x, ok := capability[core.BatchValueGetter](s, t)
	if !ok {
		return
	}
	s.checkBatchRead(t, b, "GetValues", "core.BatchValueGetter", x.GetValues, false)
}

// checkBatchRead checks a batch read of b (BatchGetter.GetMany or
// BatchValueGetter.GetValues, named op, of capability capName): no keys give no
// results; one result per key, in order, duplicates answered each time;
// missing and expired keys not found; stored values (empty ones included)
// found unchanged, with their freshness when freshness is set; results are
// slices the caller owns, one per occurrence of a key.
func (s *suite) checkBatchRead(t tester, b core.Backend, op, capName string, read func(context.Context, []string) ([]core.BatchResult, error), freshness bool) {
	ctx := t.Context()
	res, err := read(ctx, nil)
	if !supported(t, err, capName) {
		return
	}
	if noErr(t, err, op+"(no keys)") && len(res) != 0 {
		t.Errorf("%s(no keys) returned %d results", op, len(res))
	}
	const n = 100
	keys := make([]string, 0, n+3)
	want := make(map[string][]byte)
	var w window
	w.start = time.Now()
	for i := range n {
		k := s.key(t, fmt.Sprintf("k%03d", i))
		keys = append(keys, k)
		if i%3 == 0 {
			continue // missing
		}
		v := []byte(fmt.Sprintf("value %d", i))
		if i%10 == 1 {
			v = []byte{}
		}
		if set(t, b, k, v, s.long) {
			want[k] = v
		}
	}
	w.end = time.Now()
	// Duplicates are answered once per occurrence: keys[2] holds a
	// non-empty value, keys[0] is missing.
	keys = append(keys, keys[2], keys[0], keys[2])
	r := window{start: time.Now()}
	res, err = read(ctx, keys)
	r.end = time.Now()
	if !noErr(t, err, op) {
		return
	}
	if len(res) != len(keys) {
		t.Errorf("%s(%d keys) returned %d results", op, len(keys), len(res))
		return
	}
	bad := 0
	for i, k := range keys {
		v, exp := want[k]
		got := res[i]
		if got.Found != exp || (exp && !bytes.Equal(got.Entry.Value, v)) {
			if bad++; bad <= 5 {
				t.Errorf("%s result %d (%q): found=%v value %s; want found=%v value %s", op, i, k, got.Found, describe(got.Entry.Value), exp, describe(v))
			}
			continue
		}
		if exp && freshness {
			s.checkFreshness(t, fmt.Sprintf("%s result %d", op, i), got.Entry.Freshness, s.long, w, r)
		}
	}
	// Results are owned by the caller, one slice per occurrence.
	if res[2].Found && len(res[2].Entry.Value) > 0 {
		res[2].Entry.Value[0] ^= 0xff
		for _, d := range []int{n, n + 2} {
			if res[d].Found && len(res[d].Entry.Value) > 0 && res[d].Entry.Value[0] == res[2].Entry.Value[0] {
				t.Errorf("%s returned two results sharing memory for a duplicated key", op)
			}
		}
		checkGet(t, b, keys[2], want[keys[2]])
	}
	// Expired entries are not found.
	ks := s.key(t, "short")
	if w, ok := timedSet(t, b, ks, []byte("v"), s.short); ok {
		s.sleepPast(w, s.short)
		res, err := read(ctx, []string{ks, keys[1]})
		if noErr(t, err, op+"(expired)") && len(res) == 2 {
			if res[0].Found {
				t.Errorf("%s: an expired entry was found", op)
			}
			if !res[1].Found {
				t.Errorf("%s: a live entry was not found", op)
			}
		}
	}
}
