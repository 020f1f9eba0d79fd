package conformance

import (
	"bytes"
	"fmt"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
)

// testMarkedLocalGetter checks tier.MarkedLocalGetter: GetLocalMarked
// answers what GetLocal would (a local miss is always allowed), with no
// mark for what Set wrote; and, when the backend is also a
// tier.MarkedCopySetter, that a copy's mark comes back with it until any
// other write of the key, and that the copy expires with its keep.
func (s *suite) testMarkedLocalGetter(t tester) {
	b, x, ok := capability[tier.MarkedLocalGetter](s, t)
	if !ok {
		return
	}
	// check reads key; want is the value it may answer (nil: none) and
	// mark the mark it must carry if it answers.
	check := func(what, key string, want []byte, mark core.GuardMark) {
		t.Helper()
		v, fresh, m, found := x.GetLocalMarked(t.Context(), key)
		if !found {
			return
		}
		switch {
		case want == nil:
			t.Errorf("GetLocalMarked(%q) %s answered %q for a key that is not stored", key, what, v)
		case !bytes.Equal(v, want):
			t.Errorf("GetLocalMarked(%q) %s = %q, want %q", key, what, v, want)
		case fresh.Stale:
			t.Errorf("GetLocalMarked(%q) %s answered a stale value", key, what)
		case m != mark:
			t.Errorf("GetLocalMarked(%q) %s: mark %#x, want %#x", key, what, m, mark)
		}
	}
	k := s.key(t, "k")
	check("before any write", k, nil, 0)
	if !set(t, b, k, []byte("v1"), s.long) {
		return
	}
	check("after Set", k, []byte("v1"), 0)

	ms, ok := b.(tier.MarkedCopySetter)
	if !ok {
		return
	}
	const mark core.GuardMark = 0xa5
	setMarked := func(key string, v []byte, keep time.Duration) (window, bool) {
		t.Helper()
		w := window{start: time.Now()}
		err := ms.SetCopyMarked(t.Context(), key, v, keep, core.FreshFor(s.long), mark)
		w.end = time.Now()
		return w, noErr(t, err, fmt.Sprintf("SetCopyMarked(%q)", key))
	}
	// An in-process tier answers its own copy, with the mark.
	if _, ok := setMarked(k, []byte("c1"), s.long); ok {
		v, _, m, found := x.GetLocalMarked(t.Context(), k)
		if !found || !bytes.Equal(v, []byte("c1")) || m != mark {
			t.Errorf("GetLocalMarked after SetCopyMarked = %q, mark %#x, found %v; want %q with mark %#x", v, m, found, "c1", mark)
		}
	}
	if set(t, b, k, []byte("v2"), s.long) {
		check("after SetCopyMarked, then Set", k, []byte("v2"), 0)
	}
	if cs, ok := b.(tier.CopySetter); ok {
		if _, ok := setMarked(k, []byte("c2"), s.long); ok &&
			noErr(t, cs.SetCopy(t.Context(), k, []byte("c3"), s.long, core.FreshFor(s.long)), "SetCopy") {
			check("after SetCopyMarked, then SetCopy", k, []byte("c3"), 0)
		}
	}
	// Every mark comes back as it was stored, and so does the value through
	// Get.
	for m := 1; m <= 255; m++ {
		if !setMarkedAs(ms, t, k, []byte("m"), s.long, core.GuardMark(m)) {
			break
		}
		v, _, got, found := x.GetLocalMarked(t.Context(), k)
		if !found {
			continue
		}
		if got != core.GuardMark(m) || string(v) != "m" {
			t.Errorf("GetLocalMarked after SetCopyMarked(mark %#x) = %q, mark %#x", m, v, got)
			break
		}
		if e, found, err := b.Get(t.Context(), k); noErr(t, err, "Get") && (!found || string(e.Value) != "m") {
			t.Errorf("Get after SetCopyMarked(mark %#x) = %q, %v", m, e.Value, found)
			break
		}
	}
	// Expire keeps the value and drops the mark: the mark vouches for one
	// write of the key, and only that one.
	if r, ok := b.(core.TTLRefresher); ok {
		if _, ok := setMarked(k, []byte("e"), s.long); ok {
			if _, err := r.Expire(t.Context(), k, s.long); noErr(t, err, "Expire") {
				check("after SetCopyMarked, then Expire", k, []byte("e"), 0)
			}
		}
	}
	// Bad copies are refused as SetCopy refuses them.
	wantKind(t, ms.SetCopyMarked(t.Context(), k, []byte("x"), 0, core.FreshFor(s.long), mark), core.KindInvalidInput, "SetCopyMarked(keep 0)")
	stale := core.FreshFor(s.long)
	stale.Stale = true
	wantKind(t, ms.SetCopyMarked(t.Context(), k, []byte("x"), s.long, stale, mark), core.KindInvalidInput, "SetCopyMarked(stale)")
	// A marked copy expires with its keep, and a value Set with a TTL is
	// not answered past it either.
	ks, kp := s.key(t, "short"), s.key(t, "short-set")
	if w, ok := setMarked(ks, []byte("s"), s.short); ok {
		wp := window{start: time.Now()}
		if set(t, b, kp, []byte("p"), s.short) {
			wp.end = time.Now()
			s.sleepPast(wp, s.short)
			check("after the value's TTL", kp, nil, 0)
		}
		s.sleepPast(w, s.short)
		check("after the copy's keep", ks, nil, 0)
	}
}

// setMarkedAs stores v under key as a copy with the given mark, reporting
// whether that succeeded.
func setMarkedAs(ms tier.MarkedCopySetter, t tester, key string, v []byte, keep time.Duration, mark core.GuardMark) bool {
	t.Helper()
	return noErr(t, ms.SetCopyMarked(t.Context(), key, v, keep, core.FreshFor(keep), mark), fmt.Sprintf("SetCopyMarked(%q, mark %#x)", key, mark))
}
