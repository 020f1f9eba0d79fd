package crypto_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cachekit-io/cachekit-go/crypto"
)

func TestDecryptInPlace(t *testing.T) {
	e := newEnc(t)
	for _, pt := range [][]byte{{}, []byte("x"), bytes.Repeat([]byte("plaintext "), 100), bytes.Repeat([]byte{7}, 64<<10)} {
		ct, err := e.Encrypt(pt, "ns:app:k", "msgpack", true)
		if err != nil {
			t.Fatal(err)
		}
		buf := bytes.Clone(ct)
		got, err := e.DecryptInPlace(buf, "ns:app:k", "msgpack", true)
		if err != nil || !bytes.Equal(got, pt) || got == nil {
			t.Fatalf("%d bytes: got %d bytes, %v", len(pt), len(got), err)
		}
		// The plaintext sits where the sealed body was.
		if len(pt) > 0 && &got[0] != &buf[crypto.NonceSize] {
			t.Fatalf("%d bytes: the result does not alias the input", len(pt))
		}
		// Decrypt still opens the same value, so nothing else changed.
		if got, err := e.Decrypt(ct, "ns:app:k", "msgpack", true); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("Decrypt after DecryptInPlace of a copy: %v", err)
		}
	}
	// Opening in place allocates nothing (averaged: under -race, sync.Pool
	// drops some of the pooled AAD buffers on purpose).
	ct, _ := e.Encrypt(bytes.Repeat([]byte("v"), 1024), "k", "msgpack", false)
	buf := make([]byte, len(ct))
	allocs := testing.AllocsPerRun(200, func() {
		copy(buf, ct)
		if _, err := e.DecryptInPlace(buf, "k", "msgpack", false); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0.5 {
		t.Errorf("DecryptInPlace allocates %.2f times per call, want none", allocs)
	}
}

func TestDecryptInPlaceFailures(t *testing.T) {
	e := newEnc(t)
	secret := []byte("a recognisable secret value")
	ct, _ := e.Encrypt(secret, "k", "msgpack", false)
	for name, call := range map[string]func(buf []byte) ([]byte, error){
		"other storage key": func(buf []byte) ([]byte, error) { return e.DecryptInPlace(buf, "k2", "msgpack", false) },
		"other compression": func(buf []byte) ([]byte, error) { return e.DecryptInPlace(buf, "k", "msgpack", true) },
		"flipped bit": func(buf []byte) ([]byte, error) {
			buf[len(buf)-1] ^= 1
			return e.DecryptInPlace(buf, "k", "msgpack", false)
		},
		"short": func(buf []byte) ([]byte, error) {
			return e.DecryptInPlace(buf[:crypto.Overhead-1], "k", "msgpack", false)
		},
	} {
		buf := bytes.Clone(ct)
		got, err := call(buf)
		wantAuth(t, name, got, err)
		// A failed open leaves no plaintext behind in the caller's buffer.
		if bytes.Contains(buf, secret) {
			t.Errorf("%s: plaintext left in the buffer", name)
		}
	}
	if _, err := e.DecryptInPlace(bytes.Clone(ct), "k", "no-such-format", false); !errors.Is(err, crypto.ErrInvalidInput) {
		t.Errorf("unknown format: %v", err)
	}
	closed, _ := crypto.New(testKey)
	_ = closed.Close()
	if pt, err := closed.DecryptInPlace(bytes.Clone(ct), "k", "msgpack", false); !errors.Is(err, crypto.ErrClosed) || pt != nil {
		t.Errorf("after Close: %v", err)
	}
}

// With decrypt-only keys, a value must survive a key that does not open it,
// so the keyring opens into a new slice and leaves the input as it was.
func TestDecryptInPlaceWithPreviousKeys(t *testing.T) {
	oldKey := bytes.Repeat([]byte{0x01}, crypto.KeySize)
	before, err := crypto.New(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	oldCT, _ := before.Encrypt([]byte("written before rotation"), "k", "msgpack", true)
	after := newEnc(t, crypto.WithPreviousKeys(oldKey))
	buf := bytes.Clone(oldCT)
	got, err := after.DecryptInPlace(buf, "k", "msgpack", true)
	if err != nil || string(got) != "written before rotation" {
		t.Fatalf("old entry after rotation: %q, %v", got, err)
	}
	if !bytes.Equal(buf, oldCT) {
		t.Fatal("a keyring with previous keys changed the input")
	}
	newCT, _ := after.Encrypt([]byte("written after"), "k", "msgpack", true)
	if got, err := after.DecryptInPlace(bytes.Clone(newCT), "k", "msgpack", true); err != nil || string(got) != "written after" {
		t.Fatalf("new entry: %q, %v", got, err)
	}
	got, err = after.DecryptInPlace(bytes.Clone(oldCT), "k2", "msgpack", true)
	wantAuth(t, "old entry, other key", got, err)
}
