//go:build linux || darwin || freebsd || netbsd || openbsd

package file

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// canonical are the canonical examples of file-backend-format.md (the
// test-vectors/file-backend.json it names), written out here because the
// shared protocol checkout has no such file yet; the file names were checked
// with Python's hashlib.blake2b(digest_size=16), cachekit-py's own call.
// readerNow is the reader's clock (Unix seconds); action is what a reader
// must do at that time.
var canonical = []struct {
	name      string
	key       string
	filename  string
	fileHex   string
	expiry    uint64
	readerNow int64
	action    string // return_payload, miss_preserve, miss_expired
}{
	{"permanent_ascii", "test-key", "0e2a03b49262c15a063c04d5a29c0158",
		"434b01000000000000000000000068656c6c6f", 0, 0, "return_payload"},
	{"future_expiry", "unicode-ключ-🔑", "f13b0df717f97cf1d2fe3da650525c79",
		"434b0100000000000000f486570068656c6c6f", 4102444800, 0, "return_payload"},
	{"unknown_flag_preserved", "test-key", "0e2a03b49262c15a063c04d5a29c0158",
		"434b010000010000000000000000667574757265", 0, 0, "miss_preserve"},
	{"reserved_nonzero_preserved", "test-key", "0e2a03b49262c15a063c04d5a29c0158",
		"434b0102000000000000000000007265736572766564", 0, 0, "miss_preserve"},
	{"expired_entry", "test-key", "0e2a03b49262c15a063c04d5a29c0158",
		"434b01000000000000003b9aca0065787069726564", 1000000000, 1000000000, "miss_expired"},
}

func TestFileNameIsBLAKE2b128Hex(t *testing.T) {
	for key, want := range map[string]string{
		"test-key":         "0e2a03b49262c15a063c04d5a29c0158",
		"unicode-ключ-🔑":   "f13b0df717f97cf1d2fe3da650525c79",
		"":                 "cae66941d9efbd404e4d88758ea67670",
		"ns:users:42":      "d7cc8101d7215a8672bb03bb3b6b97d6",
		"../../etc/passwd": "03d915744132df301bb7f67f4e92a4e9",
	} {
		if got := FileName(key); got != want {
			t.Errorf("FileName(%q) = %s, want %s", key, got, want)
		}
		if !isEntryName(FileName(key)) {
			t.Errorf("FileName(%q) is not an entry name", key)
		}
	}
}

// TestCanonicalExamples reads every canonical entry as a peer SDK wrote it,
// and writes the readable ones byte for byte as the peer would.
func TestCanonicalExamples(t *testing.T) {
	for _, v := range canonical {
		t.Run(v.name, func(t *testing.T) {
			raw, _ := hex.DecodeString(v.fileHex)
			if FileName(v.key) != v.filename {
				t.Fatalf("FileName(%q) = %s, want %s", v.key, FileName(v.key), v.filename)
			}
			now := time.Unix(v.readerNow, 0)
			b, dir := newTest(t, fixedClock(&now))
			if err := os.WriteFile(filepath.Join(dir, v.filename), raw, 0o600); err != nil {
				t.Fatal(err)
			}
			e, found, err := b.Get(t.Context(), v.key)
			if err != nil {
				t.Fatal(err)
			}
			switch v.action {
			case "return_payload":
				if !found || !bytes.Equal(e.Value, raw[HeaderSize:]) {
					t.Fatalf("Get = %q, %v; want the payload %q", e.Value, found, raw[HeaderSize:])
				}
				// Written back by this SDK: the same bytes.
				ttl := core.NoExpiry
				if v.expiry != 0 {
					ttl = time.Unix(int64(v.expiry), 0).Sub(now)
				}
				if err := b.Set(t.Context(), v.key, raw[HeaderSize:], ttl); err != nil {
					t.Fatal(err)
				}
				if got := readEntry(t, dir, v.key); !bytes.Equal(got, raw) {
					t.Errorf("Set wrote %x, want %x", got, raw)
				}
			case "miss_preserve":
				if found {
					t.Fatalf("Get found %q in an entry with a transform it does not implement", e.Value)
				}
				if got := readEntry(t, dir, v.key); !bytes.Equal(got, raw) {
					t.Errorf("the entry changed to %x", got)
				}
			case "miss_expired":
				if found {
					t.Fatalf("Get found %q in an expired entry", e.Value)
				}
			}
		})
	}
}

func TestFILE1_WriterZeroesReservedAndFlags(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	b, dir := newTest(t, fixedClock(&now))
	for i, ttl := range []time.Duration{core.NoExpiry, time.Second, 90 * time.Minute, 1 << 62} {
		k := "k" + string(rune('a'+i))
		if err := b.Set(t.Context(), k, []byte("v"), ttl); err != nil {
			t.Fatal(err)
		}
		raw := readEntry(t, dir, k)
		if string(raw[:3]) != "CK\x01" || raw[3] != 0 || raw[4] != 0 || raw[5] != 0 {
			t.Errorf("Set(ttl %v) wrote header %x, want CK, version 1, reserved and flags 0", ttl, raw[:HeaderSize])
		}
	}
	for _, exp := range []uint64{0, 1, 1 << 40, ^uint64(0)} {
		h := appendHeader(nil, exp)
		if len(h) != HeaderSize || h[3] != 0 || binary.BigEndian.Uint16(h[4:6]) != 0 || binary.BigEndian.Uint64(h[6:]) != exp {
			t.Errorf("appendHeader(%d) = %x", exp, h)
		}
	}
}

// unsupportedHeaders returns one header for every single nonzero bit of
// the reserved byte and of the flags.
func unsupportedHeaders() [][]byte {
	var hs [][]byte
	for bit := range 8 {
		h := appendHeader(nil, 0)
		h[3] = 1 << bit
		hs = append(hs, h)
	}
	for bit := range 16 {
		h := appendHeader(nil, 0)
		binary.BigEndian.PutUint16(h[4:6], 1<<bit)
		hs = append(hs, h)
	}
	return hs
}

func TestFILE2_TransformNotImplementedIsMiss(t *testing.T) {
	b, dir := newTest(t)
	ctx := t.Context()
	for _, h := range unsupportedHeaders() {
		writeEntry(t, dir, "k", append(h, "secret"...))
		if e, found, err := b.Get(ctx, "k"); err != nil || found {
			t.Errorf("header %x: Get = %q, %v, %v; want a miss", h, e.Value, found, err)
		}
		if found, err := b.Exists(ctx, "k"); err != nil || found {
			t.Errorf("header %x: Exists = %v, %v; want false", h, found, err)
		}
		if _, found, err := b.TTL(ctx, "k"); err != nil || found {
			t.Errorf("header %x: TTL found = %v, %v; want false", h, found, err)
		}
		if ok, err := b.Expire(ctx, "k", time.Hour); err != nil || ok {
			t.Errorf("header %x: Expire = %v, %v; want false", h, ok, err)
		}
	}
}

func TestFILE3_TransformedEntryNeitherDeletedRewrittenNorReturned(t *testing.T) {
	b, dir := newTest(t)
	ctx := t.Context()
	path := filepath.Join(dir, FileName("k"))
	for _, h := range unsupportedHeaders() {
		raw := append(h, "ciphertext"...)
		writeEntry(t, dir, "k", raw)
		old := time.Unix(1_600_000_000, 0)
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
		before, _ := os.Stat(path)
		_, _, _ = b.Get(ctx, "k")
		_, _ = b.Exists(ctx, "k")
		_, _, _ = b.TTL(ctx, "k")
		_, _ = b.Expire(ctx, "k", time.Hour)
		after, err := os.Stat(path)
		if err != nil {
			t.Fatalf("header %x: the entry was deleted: %v", h, err)
		}
		if !os.SameFile(before, after) || !after.ModTime().Equal(old) {
			t.Errorf("header %x: the entry was replaced or rewritten", h)
		}
		if got := readEntry(t, dir, "k"); !bytes.Equal(got, raw) {
			t.Errorf("header %x: the entry changed to %x", h, got)
		}
	}
	if n := b.Healed(); n != 0 {
		t.Errorf("Healed() = %d: entries of a newer writer counted as corrupt", n)
	}
}

func TestFILE4_WriterSetsNoUnknownFlag(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	b, dir := newTest(t, fixedClock(&now))
	ctx := t.Context()
	if err := b.Set(ctx, "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.Expire(ctx, "k", time.Hour); err != nil || !ok {
		t.Fatalf("Expire = %v, %v", ok, err)
	}
	raw := readEntry(t, dir, "k")
	if raw[3] != 0 || binary.BigEndian.Uint16(raw[4:6]) != 0 {
		t.Errorf("after Set and Expire the header is %x: reserved or flags set", raw[:HeaderSize])
	}
	if got := binary.BigEndian.Uint64(raw[6:14]); got != uint64(now.Add(time.Hour).Unix()) {
		t.Errorf("expiry %d, want %d", got, now.Add(time.Hour).Unix())
	}
}

// TestFILE5_RefreshNeverExposesTornExpiry refreshes an entry's TTL back and
// forth between two expiries that differ in every byte they can while readers read
// it: each must see one of the two, and the refresh must touch bytes 6 to
// 13 only, in place.
func TestFILE5_RefreshNeverExposesTornExpiry(t *testing.T) {
	now := time.Unix(1_000_000_000, 0)
	b, dir := newTest(t, fixedClock(&now))
	ctx := t.Context()
	// Expiries 0x3b9aca01 and 0x024cabdb12 differ in each of their low
	// five bytes (the top three are zero in any expiry a Duration reaches).
	ttlA, ttlB := 1*time.Second, time.Duration(0x024cabdb12-1_000_000_000)*time.Second
	if err := b.Set(ctx, "k", []byte("payload"), ttlA); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, FileName("k"))
	before, _ := os.Stat(path)
	raw0 := readEntry(t, dir, "k")
	if ok, err := b.Expire(ctx, "k", ttlB); err != nil || !ok {
		t.Fatalf("Expire = %v, %v", ok, err)
	}
	raw1 := readEntry(t, dir, "k")
	after, _ := os.Stat(path)
	if !os.SameFile(before, after) {
		t.Errorf("Expire replaced the file instead of writing its expiry in place")
	}
	if !bytes.Equal(raw0[:6], raw1[:6]) || !bytes.Equal(raw0[14:], raw1[14:]) {
		t.Errorf("Expire changed bytes outside 6..13: %x -> %x", raw0, raw1)
	}
	wantA, wantB := uint64(now.Add(ttlA).Unix()), uint64(now.Add(ttlB).Unix())
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ttl := ttlA
				if i%2 == 1 {
					ttl = ttlB
				}
				if _, err := b.Expire(context.Background(), "k", ttl); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range 3000 {
		d, found, err := b.TTL(ctx, "k")
		if err != nil || !found {
			t.Fatalf("TTL = %v, %v, %v", d, found, err)
		}
		got := uint64(now.Add(d).Unix())
		if got != wantA && got != wantB {
			t.Fatalf("a reader saw expiry %#x, neither %#x nor %#x: torn", got, wantA, wantB)
		}
	}
	close(stop)
	wg.Wait()
}

// TestFILE6_HeaderLoadedInOneRead watches the reads of every operation
// that parses a header: the first read of an entry starts at offset 0 and
// asks for at least the whole header.
func TestFILE6_HeaderLoadedInOneRead(t *testing.T) {
	b, _ := newTest(t)
	ctx := t.Context()
	if err := b.Set(ctx, "k", bytes.Repeat([]byte("x"), 100_000), time.Hour); err != nil {
		t.Fatal(err)
	}
	type call struct {
		n   int
		off int64
	}
	var calls []call
	orig := pread
	pread = func(fd int, p []byte, off int64) (int, error) {
		calls = append(calls, call{len(p), off})
		return orig(fd, p, off)
	}
	defer func() { pread = orig }()
	ops := map[string]func(){
		"Get":    func() { _, _, _ = b.Get(ctx, "k") },
		"Exists": func() { _, _ = b.Exists(ctx, "k") },
		"TTL":    func() { _, _, _ = b.TTL(ctx, "k") },
		"Expire": func() { _, _ = b.Expire(ctx, "k", time.Hour) },
	}
	for name, op := range ops {
		calls = nil
		op()
		if len(calls) == 0 || calls[0].off != 0 || calls[0].n < HeaderSize {
			t.Errorf("%s: reads %+v; want a first read at 0 of at least %d bytes", name, calls, HeaderSize)
		}
	}
}
