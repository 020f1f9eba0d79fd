package conformance

import (
	"bytes"
	"fmt"

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

// testBatchValueGetter: GetValues answers what GetMany (or one Get per
// key) would — one result per key, in order, duplicates answered each
// time, expired entries missing — with slices the caller owns.
func (s *suite) testBatchValueGetter(t tester) {
	b, x, ok := capability[core.BatchValueGetter](s, t)
	if !ok {
		return
	}
	ctx := t.Context()
	res, err := x.GetValues(ctx, nil)
	if !supported(t, err, "core.BatchValueGetter") {
		return
	}
	if noErr(t, err, "GetValues(no keys)") && len(res) != 0 {
		t.Errorf("GetValues(no keys) returned %d results", len(res))
	}
	const n = 60
	keys := make([]string, 0, n+2)
	want := map[string][]byte{}
	for i := range n {
		k := s.key(t, fmt.Sprintf("v%03d", i))
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
	keys = append(keys, keys[2], keys[2])
	res, err = x.GetValues(ctx, keys)
	if !noErr(t, err, "GetValues") {
		return
	}
	if len(res) != len(keys) {
		t.Errorf("GetValues(%d keys) returned %d results", len(keys), len(res))
		return
	}
	bad := 0
	for i, k := range keys {
		v, exp := want[k]
		if got := res[i]; got.Found != exp || (exp && !bytes.Equal(got.Entry.Value, v)) {
			if bad++; bad <= 5 {
				t.Errorf("GetValues result %d (%q): found=%v value %s; want found=%v value %s", i, k, got.Found, describe(got.Entry.Value), exp, describe(v))
			}
		}
	}
	// The slices are the caller's, one per occurrence of a key.
	last := len(res) - 1
	if res[last].Found && len(res[last].Entry.Value) > 0 {
		res[last].Entry.Value[0] ^= 0xff
		if res[last-1].Entry.Value[0] == res[last].Entry.Value[0] {
			t.Errorf("GetValues returned two results sharing memory for a duplicated key")
		}
		checkGet(t, b, keys[2], want[keys[2]])
	}
	// Expired entries are not found.
	ks := s.key(t, "short")
	if w, ok := timedSet(t, b, ks, []byte("v"), s.short); ok {
		s.sleepPast(w, s.short)
		res, err := x.GetValues(ctx, []string{ks, keys[2]})
		if noErr(t, err, "GetValues(expired)") && len(res) == 2 {
			if res[0].Found {
				t.Errorf("GetValues: an expired entry was found")
			}
			if !res[1].Found {
				t.Errorf("GetValues: a live entry was not found")
			}
		}
	}
}
