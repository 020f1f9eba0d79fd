//go:build linux || darwin || freebsd || netbsd || openbsd

package file

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParseHeader: parseHeader never panics, and classifies every input
// as the spec says.
func FuzzParseHeader(f *testing.F) {
	for _, v := range canonical {
		raw, _ := hexBytes(v.fileHex)
		f.Add(raw)
	}
	f.Add([]byte{})
	f.Add([]byte("CK"))
	f.Add(appendHeader(nil, 1<<63))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, status := parseHeader(data)
		valid := len(data) >= HeaderSize && data[0] == 'C' && data[1] == 'K' && data[2] == 1
		switch status {
		case headerCorrupt:
			if valid {
				t.Fatalf("%x: a well-formed header called corrupt", data)
			}
		case headerUnsupported:
			if !valid || (data[3] == 0 && data[4] == 0 && data[5] == 0) {
				t.Fatalf("%x: unsupported without a nonzero reserved byte or flag", data)
			}
		case headerOK:
			if !valid || !bytes.Equal(appendHeader(nil, h.expiry), data[:HeaderSize]) {
				t.Fatalf("%x: accepted, but does not round-trip (expiry %d)", data, h.expiry)
			}
		default:
			t.Fatalf("%x: status %d", data, status)
		}
		if status != headerCorrupt && h.expiry != binary.BigEndian.Uint64(data[6:14]) {
			t.Fatalf("%x: expiry %d", data, h.expiry)
		}
	})
}

// FuzzGet stores arbitrary bytes as an entry file and reads it through
// every operation: no panic, no error, and the outcome the spec asks for.
func FuzzGet(f *testing.F) {
	for _, v := range canonical {
		raw, _ := hexBytes(v.fileHex)
		f.Add(raw)
	}
	f.Add([]byte("CK\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	dir := filepath.Join(f.TempDir(), "cache")
	now := time.Unix(1_500_000_000, 0)
	b, err := New(dir, fixedClock(&now), WithMaxValueBytes(1<<20))
	if err != nil {
		f.Fatal(err)
	}
	defer b.Close()
	path := filepath.Join(dir, FileName("k"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		h, status := parseHeader(data)
		e, found, err := b.Get(t.Context(), "k")
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		live := status == headerOK && !expired(h.expiry, now.Unix()) && len(data) <= HeaderSize+1<<20
		if found != live || (found && !bytes.Equal(e.Value, data[HeaderSize:])) {
			t.Fatalf("%x: Get = %x, %v; want found %v", data, e.Value, found, live)
		}
		_, statErr := os.Stat(path)
		switch {
		case status == headerUnsupported:
			if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%x: an unsupported entry was changed or removed", data)
			}
		case status == headerCorrupt && statErr == nil:
			t.Fatalf("%x: a corrupt entry was kept", data)
		}
		for _, op := range []func() error{
			func() error { _, err := b.Exists(t.Context(), "k"); return err },
			func() error { _, _, err := b.TTL(t.Context(), "k"); return err },
			func() error { _, err := b.Expire(t.Context(), "k", time.Minute); return err },
		} {
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := op(); err != nil {
				t.Fatalf("%x: %v", data, err)
			}
		}
	})
}
