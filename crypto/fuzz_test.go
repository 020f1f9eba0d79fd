package crypto_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cachekit-io/cachekit-go/crypto"
)

// FuzzDecrypt feeds arbitrary bytes to Decrypt: it must never panic, never
// return plaintext with an error, and anything it accepts must be a value
// sealed under this key with that binding.
func FuzzDecrypt(f *testing.F) {
	e, err := crypto.New(bytes.Repeat([]byte{0x42}, crypto.KeySize))
	if err != nil {
		f.Fatal(err)
	}
	sealed, _ := e.Encrypt([]byte("seed"), "k", "msgpack", false)
	f.Add(sealed, "k", false)
	f.Add([]byte{}, "", true)
	f.Fuzz(func(t *testing.T, ct []byte, key string, compressed bool) {
		pt, err := e.Decrypt(ct, key, "msgpack", compressed)
		if err != nil {
			if pt != nil || !errors.Is(err, crypto.ErrAuthentication) {
				t.Fatalf("(%x, %v)", pt, err)
			}
			return
		}
		// Only "seed" was ever sealed under this key (in any fuzz worker).
		if key != "k" || compressed || string(pt) != "seed" || len(ct) != len("seed")+crypto.Overhead {
			t.Fatalf("accepted a value it did not seal: %x", ct)
		}
	})
}
