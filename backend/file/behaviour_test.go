//go:build linux || darwin || freebsd || netbsd || openbsd

package file

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cachekit-io/cachekit-go/core"
)

// TestCorruptEntryIsMissAndHealed: truncated headers and wrong magic or
// version are misses, removed and counted, through every read.
func TestCorruptEntryIsMissAndHealed(t *testing.T) {
	good := appendHeader(nil, 0)
	var corrupt [][]byte
	for n := range HeaderSize {
		corrupt = append(corrupt, good[:n]) // truncated, empty included
	}
	corrupt = append(corrupt,
		append([]byte("XK\x01\x00\x00\x00"), good[6:]...),
		append([]byte("CX\x01\x00\x00\x00"), good[6:]...),
		append([]byte("CK\x00\x00\x00\x00"), good[6:]...),
		append([]byte("CK\x02\x00\x00\x00"), append(good[6:], "payload"...)...),
		[]byte("not a cache entry at all"),
	)
	b, dir := newTest(t)
	ctx := t.Context()
	ops := []struct {
		name string
		f    func() (bool, error)
	}{
		{"Get", func() (bool, error) { _, f, err := b.Get(ctx, "k"); return f, err }},
		{"Exists", func() (bool, error) { return b.Exists(ctx, "k") }},
		{"TTL", func() (bool, error) { _, f, err := b.TTL(ctx, "k"); return f, err }},
		{"Expire", func() (bool, error) { return b.Expire(ctx, "k", time.Hour) }},
	}
	want := uint64(0)
	for _, raw := range corrupt {
		for _, op := range ops {
			writeEntry(t, dir, "k", raw)
			found, err := op.f()
			if err != nil || found {
				t.Errorf("%s of %x = %v, %v; want a miss", op.name, raw, found, err)
			}
			want++
			if exists(t, dir, FileName("k")) {
				t.Errorf("%s of %x left the corrupt file", op.name, raw)
			}
			if got := b.Healed(); got != want {
				t.Errorf("%s of %x: Healed() = %d, want %d", op.name, raw, got, want)
			}
		}
	}
	// A payload shorter than the file says (a truncated entry) is corrupt too.
	writeEntry(t, dir, "k", append(appendHeader(nil, 0), "abc"...))
	if err := os.Truncate(filepath.Join(dir, FileName("k")), HeaderSize+1); err != nil {
		t.Fatal(err)
	}
	if e, found, err := b.Get(ctx, "k"); err != nil || !found || string(e.Value) != "a" {
		t.Errorf("Get of a header and 1 byte = %q, %v, %v", e.Value, found, err)
	}
}

// TestExpiryHonouredOnRead: an entry is live until the clock reaches its
// whole-second deadline, then a miss everywhere and removed.
func TestExpiryHonouredOnRead(t *testing.T) {
	now := time.Unix(2_000_000_000, 300*int64(time.Millisecond))
	b, dir := newTest(t, fixedClock(&now))
	ctx := t.Context()
	if err := b.Set(ctx, "k", []byte("v"), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := binary.BigEndian.Uint64(readEntry(t, dir, "k")[6:14]); got != 2_000_000_010 {
		t.Fatalf("expiry %d, want 2000000010 (the deadline's whole second)", got)
	}
	e, found, err := b.Get(ctx, "k")
	if err != nil || !found || e.Freshness.FreshFor != 9700*time.Millisecond || !e.Freshness.Known {
		t.Fatalf("Get = %+v, %v, %v; want FreshFor 9.7s", e, found, err)
	}
	now = time.Unix(2_000_000_009, 999_999_999)
	if d, found, _ := b.TTL(ctx, "k"); !found || d != time.Nanosecond {
		t.Errorf("TTL 1ns before expiry = %v, %v", d, found)
	}
	now = time.Unix(2_000_000_010, 0)
	if _, found, err := b.Get(ctx, "k"); err != nil || found {
		t.Errorf("Get at the expiry = %v, %v; want a miss", found, err)
	}
	if exists(t, dir, FileName("k")) {
		t.Errorf("the expired entry was not removed")
	}
	for _, op := range []func() (bool, error){
		func() (bool, error) { return b.Exists(ctx, "k") },
		func() (bool, error) { _, f, err := b.TTL(ctx, "k"); return f, err },
		func() (bool, error) { return b.Expire(ctx, "k", time.Hour) },
	} {
		writeEntry(t, dir, "k", append(appendHeader(nil, 2_000_000_010), 'v'))
		if found, err := op(); err != nil || found {
			t.Errorf("an expired entry was found: %v, %v", found, err)
		}
	}
	// A sub-second TTL stores the current second: already expired.
	now = time.Unix(2_000_000_100, 600*int64(time.Millisecond))
	if err := b.Set(ctx, "s", []byte("v"), 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := b.Get(ctx, "s"); found {
		t.Errorf("a 300ms TTL set at .6s outlived its second")
	}
	if b.Healed() != 0 {
		t.Errorf("expired entries counted as corrupt: %d", b.Healed())
	}
}

func TestNoExpiryEntry(t *testing.T) {
	b, dir := newTest(t)
	if err := b.Set(t.Context(), "k", []byte("v"), core.NoExpiry); err != nil {
		t.Fatal(err)
	}
	if got := binary.BigEndian.Uint64(readEntry(t, dir, "k")[6:14]); got != 0 {
		t.Errorf("expiry %d, want 0", got)
	}
	if d, found, err := b.TTL(t.Context(), "k"); err != nil || !found || d != core.NoExpiry {
		t.Errorf("TTL = %v, %v, %v", d, found, err)
	}
}

// setAged writes keys k0..k(n-1), each a second older than the next.
func setAged(t *testing.T, b *Backend, dir string, n, size int) {
	t.Helper()
	base := time.Now().Add(-time.Hour)
	for i := range n {
		k := fmt.Sprintf("k%d", i)
		if err := b.Set(t.Context(), k, make([]byte, size), time.Hour); err != nil {
			t.Fatal(err)
		}
		at := base.Add(time.Duration(i) * time.Second)
		if err := os.Chtimes(filepath.Join(dir, FileName(k)), at, at); err != nil {
			t.Fatal(err)
		}
	}
}

func present(t *testing.T, b *Backend, n int) []bool {
	t.Helper()
	var got []bool
	for i := range n {
		found, err := b.Exists(t.Context(), fmt.Sprintf("k%d", i))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, found)
	}
	return got
}

func TestMaxEntriesEvictsOldest(t *testing.T) {
	b, dir := newTest(t, WithMaxEntries(10))
	setAged(t, b, dir, 9, 1) // 9 entries: at, not above, 90 %
	if st := b.Stats()[0]; st.Entries != 9 || st.Evictions != 0 {
		t.Fatalf("after 9 writes: %+v", st)
	}
	if err := b.Set(t.Context(), "k9", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	got := present(t, b, 10)
	want := []bool{false, false, false, true, true, true, true, true, true, true}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("present after the 10th write: %v, want %v (the 3 oldest evicted, down to 70 %%)", got, want)
	}
	if st := b.Stats()[0]; st.Entries != 7 || st.Evictions != 3 {
		t.Errorf("stats %+v, want 7 entries and 3 evictions", st)
	}
}

func TestMaxBytesEvictsOldest(t *testing.T) {
	const size = 1000 - HeaderSize // 1000-byte files
	b, dir := newTest(t, WithMaxBytes(10_000), WithMaxValueBytes(5000), WithMaxEntries(0))
	setAged(t, b, dir, 9, size) // 9000 bytes: at, not above, 90 %
	if err := b.Set(t.Context(), "k9", make([]byte, size), time.Hour); err != nil {
		t.Fatal(err)
	}
	got := present(t, b, 10)
	want := []bool{false, false, false, true, true, true, true, true, true, true}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("present: %v, want %v", got, want)
	}
	if st := b.Stats()[0]; st.SizeBytes != 7000 || st.Evictions != 3 {
		t.Errorf("stats %+v, want 7000 bytes and 3 evictions", st)
	}
}

// TestEvictionCountsOtherWriters: entries another process wrote count
// towards the bounds (New scans them), and files that are not entries are
// never counted nor removed.
func TestEvictionCountsOtherWriters(t *testing.T) {
	other, dir := newTest(t, WithMaxEntries(0))
	setAged(t, other, dir, 9, 1)
	foreign := []string{"README", "0e2a03b49262c15a063c04d5a29c015", "0E2A03B49262C15A063C04D5A29C0158", "x.tmp.1"}
	for _, n := range foreign {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("keep"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b, err := New(dir, WithMaxEntries(10))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if st := b.Stats()[0]; st.Entries != 9 {
		t.Errorf("a new backend counts %d entries, want 9", st.Entries)
	}
	if err := b.Set(t.Context(), "k9", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := present(t, b, 10); got[0] || got[2] || !got[3] || !got[9] {
		t.Errorf("present: %v", got)
	}
	for _, n := range foreign {
		if !exists(t, dir, n) {
			t.Errorf("the foreign file %q was removed", n)
		}
	}
}

func TestStaleTempFilesRemoved(t *testing.T) {
	_, dir := newTest(t)
	name := FileName("k")
	stale, fresh := name+".tmp.1.1", name+".tmp.1.2"
	for _, n := range []string{stale, fresh, "other.tmp.1.1"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * tempMaxAge)
	for _, n := range []string{stale, "other.tmp.1.1"} {
		if err := os.Chtimes(filepath.Join(dir, n), old, old); err != nil {
			t.Fatal(err)
		}
	}
	b, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if exists(t, dir, stale) || !exists(t, dir, fresh) || !exists(t, dir, "other.tmp.1.1") {
		t.Errorf("after New: %q; want the stale temp file gone, the fresh one and the foreign one kept", listDir(t, dir))
	}
}

func TestSetRejectsBadInput(t *testing.T) {
	b, dir := newTest(t, WithMaxValueBytes(100))
	ctx := t.Context()
	wantKind(t, b.Set(ctx, "k", []byte("v"), -time.Second), core.KindInvalidInput, "Set(ttl -1s)")
	wantKind(t, b.Set(ctx, "k", make([]byte, 101), time.Hour), core.KindPayloadTooLarge, "Set(101 bytes)")
	_, err := b.Expire(ctx, "k", 0)
	wantKind(t, err, core.KindInvalidInput, "Expire(0)")
	if names := listDir(t, dir); len(names) != 0 {
		t.Errorf("rejected writes left files: %q", names)
	}
	if err := b.Set(ctx, "k", make([]byte, 100), time.Hour); err != nil {
		t.Errorf("Set(100 bytes): %v", err)
	}
	// A larger file written by a peer with a higher bound: a miss, kept.
	writeEntry(t, dir, "big", append(appendHeader(nil, 0), make([]byte, 101)...))
	if _, found, err := b.Get(ctx, "big"); err != nil || found {
		t.Errorf("Get of an oversized entry = %v, %v", found, err)
	}
	if !exists(t, dir, FileName("big")) {
		t.Errorf("the oversized entry was removed")
	}
}

func TestOptionsRejectBadValues(t *testing.T) {
	dir := t.TempDir()
	for name, opt := range map[string]Option{
		"max bytes -1":                  WithMaxBytes(-1),
		"max entries -1":                WithMaxEntries(-1),
		"max value 0":                   WithMaxValueBytes(0),
		"max value -1":                  WithMaxValueBytes(-1),
		"max value above half of total": WithMaxValueBytes(DefaultMaxBytes/2 + 1),
		"lock timeout 0":                WithLockTimeout(0),
		"lock timeout -1s":              WithLockTimeout(-time.Second),
		"lock timeout above max":        WithLockTimeout(MaxLockTimeout + 1),
	} {
		_, err := New(dir, opt)
		wantKind(t, err, core.KindConfig, name)
	}
	b, err := New(dir, nil, WithMaxBytes(0), WithMaxValueBytes(1<<40), WithLockTimeout(MaxLockTimeout), WithClock(nil))
	if err != nil {
		t.Fatalf("valid options refused: %v", err)
	}
	b.Close()
}

func TestNewFromConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "from-env")
	cfg, err := core.ConfigFromLookup(func(name string) (string, bool) {
		if name == "CACHEKIT_FILE_CACHE_DIR" {
			return dir, true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", b.Dir(), dir)
	}
	if err := b.Set(t.Context(), "k", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if !exists(t, dir, FileName("k")) {
		t.Errorf("the entry is not in CACHEKIT_FILE_CACHE_DIR")
	}
}

func TestClosedAndZeroBackend(t *testing.T) {
	b, _ := newTest(t)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, zb := range []*Backend{b, new(Backend)} {
		_, _, err := zb.Get(ctx, "k")
		wantKind(t, err, core.KindPermanent, "Get after Close")
		wantKind(t, zb.Set(ctx, "k", nil, 0), core.KindPermanent, "Set after Close")
		wantKind(t, zb.Health(ctx), core.KindPermanent, "Health after Close")
		_ = zb.Stats()
		if err := zb.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLockTimeout: a reader waits for a writer's exclusive entry lock at
// most the lock timeout, then fails with KindTimeout.
func TestLockTimeout(t *testing.T) {
	b, dir := newTest(t, WithLockTimeout(50*time.Millisecond))
	if err := b.Set(t.Context(), "k", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, FileName("k")), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := flockEx(f); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, _, err = b.Get(t.Context(), "k")
	wantKind(t, err, core.KindTimeout, "Get while the entry is locked")
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("gave up after %v", d)
	}
	if err := unlock(f); err != nil {
		t.Fatal(err)
	}
	if e, found, err := b.Get(t.Context(), "k"); err != nil || !found || !bytes.Equal(e.Value, []byte("v")) {
		t.Errorf("Get after unlock = %q, %v, %v", e.Value, found, err)
	}
}

func TestKindOfErrno(t *testing.T) {
	for err, want := range map[error]core.Kind{
		unix.EACCES:                     core.KindPermanent,
		unix.EROFS:                      core.KindPermanent,
		unix.ENOSPC:                     core.KindTransient,
		unix.EIO:                        core.KindTransient,
		fmt.Errorf("x: %w", unix.EPERM): core.KindPermanent,
		context.Canceled:                core.KindCanceled,
		context.DeadlineExceeded:        core.KindTimeout,
		errors.New("other"):             core.KindUnknown,
	} {
		if got := kindOf(err); got != want {
			t.Errorf("kindOf(%v) = %v, want %v", err, got, want)
		}
	}
}
