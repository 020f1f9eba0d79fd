package crypto_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/crypto"
)

// mustNotOpen fails unless pt, err is the refusal of a value that does not
// authenticate: no plaintext, ErrAuthentication, KindEncryption.
func mustNotOpen(t *testing.T, what string, pt []byte, err error) {
	t.Helper()
	if err == nil || pt != nil {
		t.Fatalf("%s: opened (%x, %v)", what, pt, err)
	}
	if !errors.Is(err, crypto.ErrAuthentication) || core.KindOf(err) != core.KindEncryption {
		t.Fatalf("%s: refusal %v of kind %v, want an authentication failure", what, err, core.KindOf(err))
	}
}

// FuzzSealedFrame seals a fuzzed plaintext under a fuzzed storage key and
// checks the encrypted frame's contract end to end: the frame opens with
// Decrypt and DecryptInPlace, under the current key and as a decrypt-only
// key of a rotated keyring, to exactly the plaintext; it does not open
// under another key, tenant, storage key, format or compression flag; and
// once a byte is flipped, the frame truncated or extended, it opens under
// no keyring and no call (in place included) leaves plaintext behind.
func FuzzSealedFrame(f *testing.F) {
	keyA := bytes.Repeat([]byte{0xa1}, crypto.KeySize)
	keyB := bytes.Repeat([]byte{0xb2}, crypto.KeySize)
	mk := func(key []byte, opts ...crypto.Option) *crypto.Encryptor {
		e, err := crypto.New(key, opts...)
		if err != nil {
			f.Fatal(err)
		}
		return e
	}
	cur := mk(keyA)
	other := mk(keyB)
	rotated := mk(keyB, crypto.WithPreviousKeys(keyA))
	tenant := mk(keyA, crypto.WithTenant("another-tenant"))

	f.Add([]byte("value"), "ns:users:1", false, uint8(0), uint16(0), byte(0x01), uint16(0))
	f.Add([]byte{}, "", true, uint8(1), uint16(5), byte(0x80), uint16(27))
	f.Add(bytes.Repeat([]byte{0}, 64), "k", false, uint8(2), uint16(70), byte(0xff), uint16(3))
	f.Add([]byte("\x94\xc4\x01x"), "tenant:key\x00", true, uint8(0), uint16(11), byte(0x10), uint16(40))
	f.Fuzz(func(t *testing.T, pt []byte, skey string, compressed bool, op uint8, pos uint16, mask byte, cut uint16) {
		ct, err := cur.Encrypt(pt, skey, "msgpack", compressed)
		if err != nil {
			t.Fatalf("Encrypt: %v", err)
		}
		if len(ct) != len(pt)+crypto.Overhead {
			t.Fatalf("frame of %d bytes for %d bytes of plaintext", len(ct), len(pt))
		}
		orig := bytes.Clone(ct)

		// The frame opens under the key that sealed it, and only there.
		for _, e := range []*crypto.Encryptor{cur, rotated} {
			got, err := e.Decrypt(ct, skey, "msgpack", compressed)
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("%v: Decrypt gives (%x, %v), want %x", e, got, err, pt)
			}
			if !bytes.Equal(ct, orig) {
				t.Fatal("Decrypt wrote to its input")
			}
			got, err = e.DecryptInPlace(bytes.Clone(ct), skey, "msgpack", compressed)
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("%v: DecryptInPlace gives (%x, %v), want %x", e, got, err, pt)
			}
		}
		pt2, err := other.Decrypt(ct, skey, "msgpack", compressed)
		mustNotOpen(t, "another key", pt2, err)
		pt2, err = other.DecryptInPlace(bytes.Clone(ct), skey, "msgpack", compressed)
		mustNotOpen(t, "another key, in place", pt2, err)
		pt2, err = tenant.Decrypt(ct, skey, "msgpack", compressed)
		mustNotOpen(t, "another tenant", pt2, err)
		pt2, err = cur.Decrypt(ct, skey+"\x00", "msgpack", compressed)
		mustNotOpen(t, "another storage key", pt2, err)
		pt2, err = cur.Decrypt(ct, skey, "orjson", compressed)
		mustNotOpen(t, "another format", pt2, err)
		pt2, err = cur.Decrypt(ct, skey, "msgpack", !compressed)
		mustNotOpen(t, "the other compression flag", pt2, err)

		// Tampered frames open nowhere.
		bad := bytes.Clone(ct)
		switch op % 3 {
		case 0:
			if mask == 0 {
				mask = 0x80
			}
			bad[int(pos)%len(bad)] ^= mask
		case 1:
			bad = bad[:int(cut)%len(bad)]
		case 2:
			bad = append(bad, mask)
		}
		for _, e := range []*crypto.Encryptor{cur, rotated} {
			pt2, err := e.Decrypt(bad, skey, "msgpack", compressed)
			mustNotOpen(t, "tampered frame", pt2, err)
			buf := bytes.Clone(bad)
			pt2, err = e.DecryptInPlace(buf, skey, "msgpack", compressed)
			mustNotOpen(t, "tampered frame, in place", pt2, err)
			// The bytes AES-GCM writes plaintext over are the ciphertext
			// proper; a wiped buffer reads as zeros there, so an all-zero
			// plaintext proves nothing.
			if m := min(len(pt), len(bad)-crypto.NonceSize-crypto.TagSize); m > 0 &&
				len(bytes.Trim(pt[:m], "\x00")) > 0 &&
				bytes.Equal(buf[crypto.NonceSize:crypto.NonceSize+m], pt[:m]) &&
				!bytes.Equal(bad[crypto.NonceSize:crypto.NonceSize+m], pt[:m]) {
				t.Fatal("a failed DecryptInPlace left the plaintext in its buffer")
			}
		}
	})
}
