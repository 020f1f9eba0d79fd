package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// RunBackend runs the conformance suite against the backend that h describes.
// Call it from a test of the backend's own package:
//
//	func TestConformance(t *testing.T) {
//		conformance.RunBackend(t, conformance.Harness{
//			New: func(t *testing.T) core.Backend { return mybackend.New() },
//		})
//	}
//
// Every check runs in a subtest of t (below a "suite" subtest), in parallel
// unless h.Sequential, and RunBackend returns only once all of them have
// finished, so the caller may release shared resources (a server) right
// after it. Like testing/fstest.TestFS, it reports every misbehaviour it
// finds, not only the first. Optional capabilities (tier.LocalGetter,
// core.ValueGetter, core.TTLInspector, core.TTLRefresher, core.Locker,
// tier.CopySetter, core.BatchGetter, core.BatchSetter, core.BatchDeleter,
// core.BatchValueGetter,
// core.StatsReporter, io.Closer) are discovered by type assertion on the
// backend that New returns and checked when present; a backend that
// implements a capability interface but answers a first call with an error of
// core.KindNotSupported (a wrapper whose inner backend lacks it) has that
// capability's checks skipped.
//
// The rules the suite holds backends to, beyond those in core.Backend's doc:
//   - Context: a call made with a context that is already done fails, has no
//     effect, and returns an error that is (or wraps) a *core.Error with
//     core.KindOf(err) == core.KindCanceled when the context was canceled, or
//     core.KindTimeout when its deadline had passed.
//   - Errors: every error is (or wraps) a *core.Error. A negative TTL (Set,
//     SetMany), a TTL <= 0 for Expire, and a lease <= 0 for Lock are
//     rejected with core.KindInvalidInput and have no effect.
//   - Values: empty values are values (found, length 0); nil is stored as
//     empty. Set does not retain the caller's slice; Get (and GetMany)
//     return slices the backend no longer touches.
//   - Freshness: a hit reports Freshness.Known (unless h.NoFreshness), never
//     Stale for a value within its TTL, NoExpiry exactly for entries stored
//     without expiry, and otherwise a FreshFor no larger than the TTL and
//     within one TTLResolution of the time actually left.
//   - Expiry: once its TTL has passed (plus two TTLResolution steps of
//     slack) an entry is gone from every view: Get, Exists, TTL, Expire,
//     GetMany. Set replaces both the value and the TTL.
//   - Locks: Lock is exclusive per key, independent of the value stored
//     under the same key, released only by Unlock with the holder's token,
//     and released by itself once its lease has passed.
//   - Local reads (tier.LocalGetter): GetLocal never errors on a missing
//     key, never answers a key that was never stored or was deleted, and
//     when it answers, answers with the value stored, not stale.
//   - Value reads (core.ValueGetter): GetValue answers what Get answers
//     (checked wherever the suite checks a Get), under the same context
//     rules, with a slice the caller owns.
//   - Copies (tier.CopySetter): SetCopy stores a value that expires after
//     keep while Get reports the freshness it was given, aged (unknown stays
//     unknown, NoExpiry stays NoExpiry, never below the copy's own remaining
//     lifetime); Set and Expire replace it; a non-positive keep or a stale
//     freshness is rejected with KindInvalidInput and stores nothing.
//   - Marked local reads (tier.MarkedLocalGetter, with
//     tier.MarkedCopySetter when the backend has it): GetLocalMarked
//     answers what GetLocal would, with no mark for what Set wrote; a copy
//     stored by SetCopyMarked comes back with its mark until Set or SetCopy
//     rewrites the key, and expires with its keep; bad copies are refused
//     as SetCopy refuses them.
//   - Close (io.Closer): returns nil, may be called more than once, and
//     calls made after it return errors or results but never panic.
func RunBackend(t *testing.T, h Harness) {
	t.Helper()
	runSuite(stdT{t}, h)
}

// suite holds the state shared by the subtests of one run.
type suite struct {
	h     Harness
	res   time.Duration // TTL resolution
	short time.Duration // a TTL short enough to wait out
	slack time.Duration // extra wait after a short TTL before expecting expiry
	long  time.Duration // a TTL no test outlives
	run   string        // key prefix unique to this run
}

// testCase is one named check of the suite.
type testCase struct {
	name string
	f    func(t tester)
}

func runSuite(t tester, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatalf("conformance: Harness.New is nil")
		return
	}
	var id [6]byte
	_, _ = rand.Read(id[:])
	res := h.resolution()
	s := &suite{
		h:     h,
		res:   res,
		short: max(3*res, 50*time.Millisecond),
		slack: 2*res + 10*time.Millisecond,
		long:  max(100*res, 10*time.Minute),
		run:   h.KeyPrefix + "cachekit-conformance:" + hex.EncodeToString(id[:]) + ":",
	}
	t.run("suite", func(t tester) {
		for _, tc := range s.tests() {
			t.run(tc.name, func(t tester) {
				if !h.Sequential {
					t.Parallel()
				}
				tc.f(t)
			})
		}
	})
}

func (s *suite) tests() []testCase {
	return []testCase{
		{"SetGet", s.testSetGet},
		{"Missing", s.testMissing},
		{"Overwrite", s.testOverwrite},
		{"Delete", s.testDelete},
		{"Values", s.testValues},
		{"LargeValue", s.testLargeValue},
		{"Keys", s.testKeys},
		{"ManyKeys", s.testManyKeys},
		{"Aliasing", s.testAliasing},
		{"Concurrent", s.testConcurrent},
		{"Health", s.testHealth},
		{"InvalidTTL", s.testInvalidTTL},
		{"Context", s.testContext},
		{"Expiry", s.testExpiry},
		{"Freshness", s.testFreshness},
		{"NoExpiry", s.testNoExpiry},
		{"OverwriteTTL", s.testOverwriteTTL},
		{"LocalGetter", s.testLocalGetter},
		{"ValueGetter", s.testValueGetter},
		{"Invalidator", s.testInvalidator},
		{"TTLInspector", s.testTTLInspector},
		{"TTLRefresher", s.testTTLRefresher},
		{"CopySetter", s.testCopySetter},
		{"MarkedLocalGetter", s.testMarkedLocalGetter},
		{"Locker", s.testLocker},
		{"BatchGetter", s.testBatchGetter},
		{"BatchSetter", s.testBatchSetter},
		{"BatchDeleter", s.testBatchDeleter},
		{"BatchValueGetter", s.testBatchValueGetter},
		{"StatsReporter", s.testStats},
		{"Closer", s.testCloser},
	}
}

// newBackend calls Harness.New for t and fails t if it returns nil.
func (s *suite) newBackend(t tester) core.Backend {
	t.Helper()
	b := s.h.New(t.std())
	if b == nil {
		t.Fatalf("Harness.New returned nil")
	}
	return b
}

// key returns a key unique to this run and subtest.
func (s *suite) key(t tester, suffix string) string {
	return s.run + t.Name() + ":" + suffix
}

// ---- helpers -------------------------------------------------------------

// describe prints a value briefly: large values are not dumped.
func describe(v []byte) string {
	if len(v) <= 40 {
		return fmt.Sprintf("%q (%d bytes)", v, len(v))
	}
	return fmt.Sprintf("%q… (%d bytes)", v[:24], len(v))
}

// diff describes where got and want differ, briefly.
func diff(got, want []byte) string {
	if len(got) != len(want) {
		return fmt.Sprintf("got %s, want %s", describe(got), describe(want))
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Sprintf("same length %d, first difference at byte %d (got %#x, want %#x)", len(got), i, got[i], want[i])
		}
	}
	return "equal"
}

// randomBytes returns n random bytes.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// isCoreError reports whether err is or wraps a *core.Error.
func isCoreError(err error) bool {
	var ce *core.Error
	return errors.As(err, &ce)
}

// noErr reports err (if any) as a failure of op and returns err == nil.
func noErr(t tester, err error, op string) bool {
	t.Helper()
	if err != nil {
		t.Errorf("%s: unexpected error: %v (kind %v)", op, err, core.KindOf(err))
		return false
	}
	return true
}

// wantKind checks that err is a *core.Error (or wraps one) of kind want.
func wantKind(t tester, err error, want core.Kind, op string) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s: got no error, want an error of kind %q", op, want)
	case !isCoreError(err):
		t.Errorf("%s: error %v (%T) is not a *core.Error; want kind %q", op, err, err, want)
	case core.KindOf(err) != want:
		t.Errorf("%s: error %v has kind %q, want %q", op, err, core.KindOf(err), want)
	}
}

// set stores value and reports a failure if that fails.
func set(t tester, b core.Backend, key string, value []byte, ttl time.Duration) bool {
	t.Helper()
	return noErr(t, b.Set(t.Context(), key, value, ttl), fmt.Sprintf("Set(%q, ttl %v)", key, ttl))
}

// get reads key and reports an error as a failure.
func get(t tester, b core.Backend, key string) (core.Entry, bool) {
	t.Helper()
	e, found, err := b.Get(t.Context(), key)
	if !noErr(t, err, fmt.Sprintf("Get(%q)", key)) {
		return core.Entry{}, false
	}
	return e, found
}

// checkGet checks that key holds want.
func checkGet(t tester, b core.Backend, key string, want []byte) (core.Entry, bool) {
	t.Helper()
	e, found, err := b.Get(t.Context(), key)
	if !noErr(t, err, fmt.Sprintf("Get(%q)", key)) {
		return e, false
	}
	if !found {
		t.Errorf("Get(%q): not found, want %s", key, describe(want))
		return e, false
	}
	if !bytes.Equal(e.Value, want) {
		t.Errorf("Get(%q): wrong value: %s", key, diff(e.Value, want))
		return e, false
	}
	if e.Freshness.Stale {
		t.Errorf("Get(%q): Freshness.Stale is true for a value within its TTL", key)
	}
	checkGetValue(t, b, key, want, true)
	return e, true
}

// checkGetAlive reads key, written during w with a short ttl, and checks
// that it holds want. A miss is a failure only while the entry is surely
// alive (less than half its TTL since the write started): a loaded machine
// can take longer than a short TTL to get from the write to the read, and
// then the miss is logged instead. r is the read's window; ok reports a
// correct hit within that half.
func (s *suite) checkGetAlive(t tester, b core.Backend, key string, want []byte, w window, ttl time.Duration) (e core.Entry, r window, ok bool) {
	t.Helper()
	r.start = time.Now()
	e, found, err := b.Get(t.Context(), key)
	r.end = time.Now()
	alive := r.end.Sub(w.start) < ttl/2
	switch {
	case !noErr(t, err, fmt.Sprintf("Get(%q)", key)):
		return e, r, false
	case found && !bytes.Equal(e.Value, want):
		t.Errorf("Get(%q): wrong value: %s", key, diff(e.Value, want))
		return e, r, false
	case !alive:
		t.Logf("Get(%q) came %v after its write, past half its TTL %v: not checking it", key, r.end.Sub(w.start), ttl)
		return e, r, false
	case !found:
		t.Errorf("Get(%q): not found, want %s", key, describe(want))
		return e, r, false
	}
	if e.Freshness.Stale {
		t.Errorf("Get(%q): Freshness.Stale is true for a value within its TTL", key)
	}
	return e, r, true
}

// checkGetValue checks, if b is a core.ValueGetter, that GetValue(key)
// answers what Get did: want, or a miss. A KindNotSupported error is
// tolerated (testValueGetter reports it).
func checkGetValue(t tester, b core.Backend, key string, want []byte, present bool) {
	t.Helper()
	x, ok := b.(core.ValueGetter)
	if !ok {
		return
	}
	v, found, err := x.GetValue(t.Context(), key)
	if core.KindOf(err) == core.KindNotSupported || !noErr(t, err, fmt.Sprintf("GetValue(%q)", key)) {
		return
	}
	switch {
	case found != present:
		t.Errorf("GetValue(%q): found = %v, but Get says %v", key, found, present)
	case present && !bytes.Equal(v, want):
		t.Errorf("GetValue(%q): wrong value: %s", key, diff(v, want))
	case present && v == nil:
		t.Errorf("GetValue(%q): a nil slice for a stored value; want a non-nil (possibly empty) one", key)
	}
}

// checkMissing checks that key is absent from Get and Exists.
func checkMissing(t tester, b core.Backend, key, why string) {
	t.Helper()
	e, found, err := b.Get(t.Context(), key)
	if noErr(t, err, fmt.Sprintf("Get(%q)", key)) && found {
		t.Errorf("Get(%q) %s: found %s, want not found", key, why, describe(e.Value))
	}
	checkGetValue(t, b, key, nil, false)
	ok, err := b.Exists(t.Context(), key)
	if noErr(t, err, fmt.Sprintf("Exists(%q)", key)) && ok {
		t.Errorf("Exists(%q) %s: true, want false", key, why)
	}
}

// checkExists checks that Exists(key) is want.
func checkExists(t tester, b core.Backend, key string, want bool) {
	t.Helper()
	ok, err := b.Exists(t.Context(), key)
	if noErr(t, err, fmt.Sprintf("Exists(%q)", key)) && ok != want {
		t.Errorf("Exists(%q) = %v, want %v", key, ok, want)
	}
}

// window records when a write started and ended, to bound freshness.
type window struct{ start, end time.Time }

// timedSet stores value and returns when the call started and ended.
func timedSet(t tester, b core.Backend, key string, value []byte, ttl time.Duration) (window, bool) {
	t.Helper()
	w := window{start: time.Now()}
	ok := set(t, b, key, value, ttl)
	w.end = time.Now()
	return w, ok
}

// checkFreshness checks what a read that ran during read reported about an
// entry written with ttl during write.
func (s *suite) checkFreshness(t tester, what string, f core.Freshness, ttl time.Duration, write, read window) {
	t.Helper()
	if f.Stale {
		t.Errorf("%s: Freshness.Stale is true for a value within its TTL", what)
	}
	if !f.Known {
		if !s.h.NoFreshness {
			t.Errorf("%s: Freshness.Known is false; the backend must report remaining freshness (or set Harness.NoFreshness)", what)
		}
		return
	}
	if ttl == core.NoExpiry {
		if !f.NoExpiry {
			t.Errorf("%s: entry stored without expiry reports Freshness %+v, want NoExpiry", what, f)
		}
		return
	}
	if f.NoExpiry {
		t.Errorf("%s: entry stored with TTL %v reports NoExpiry", what, ttl)
		return
	}
	lo := ttl - read.end.Sub(write.start) - s.res
	hi := min(ttl, ttl-read.start.Sub(write.end)+s.res)
	if f.FreshFor < lo || f.FreshFor > hi || f.FreshFor < 0 {
		t.Errorf("%s: FreshFor = %v, want within [%v, %v] (TTL %v)", what, f.FreshFor, max(lo, 0), hi, ttl)
	}
}

// sleepPast sleeps until the entry written during w with ttl has surely
// expired.
func (s *suite) sleepPast(w window, ttl time.Duration) {
	time.Sleep(time.Until(w.end.Add(ttl + s.slack)))
}

// canceledCtx returns an already canceled context.
func canceledCtx(t tester) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx
}

// expiredCtx returns a context whose deadline has passed.
func expiredCtx(t tester) context.Context {
	ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	t.Cleanup(cancel)
	return ctx
}

// supported reports whether err means the capability is there: an error of
// KindNotSupported skips the test.
func supported(t tester, err error, capability string) bool {
	t.Helper()
	if err != nil && core.KindOf(err) == core.KindNotSupported {
		t.Skipf("backend implements %s but reports it unsupported: %v", capability, err)
		return false
	}
	return true
}
