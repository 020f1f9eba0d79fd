package crypto_test

import (
	"bytes"
	"testing"

	"github.com/cachekit-io/cachekit-go/crypto"
)

func benchRoundTrip(b *testing.B, size int) {
	e, err := crypto.New(bytes.Repeat([]byte{0x42}, crypto.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	pt := bytes.Repeat([]byte{0xab}, size)
	const key = "ns:bench:user:12345"
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		ct, err := e.Encrypt(pt, key, "msgpack", true)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Decrypt(ct, key, "msgpack", true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoundTrip1KiB is an Encrypt and a Decrypt of 1 KiB (goal: at most
// 1 µs added to a 1 KiB operation).
func BenchmarkRoundTrip1KiB(b *testing.B) { benchRoundTrip(b, 1<<10) }

// BenchmarkRoundTrip64KiB is an Encrypt and a Decrypt of 64 KiB.
func BenchmarkRoundTrip64KiB(b *testing.B) { benchRoundTrip(b, 64<<10) }

func benchOne(b *testing.B, size int, decrypt bool) {
	e, err := crypto.New(bytes.Repeat([]byte{0x42}, crypto.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	pt := bytes.Repeat([]byte{0xab}, size)
	ct, _ := e.Encrypt(pt, "k", "msgpack", true)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if decrypt {
			_, err = e.Decrypt(ct, "k", "msgpack", true)
		} else {
			_, err = e.Encrypt(pt, "k", "msgpack", true)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncrypt1KiB is Encrypt alone.
func BenchmarkEncrypt1KiB(b *testing.B) { benchOne(b, 1<<10, false) }

// BenchmarkDecrypt1KiB is Decrypt alone.
func BenchmarkDecrypt1KiB(b *testing.B) { benchOne(b, 1<<10, true) }

// BenchmarkDecryptRotated1KiB opens a value sealed under the last of three
// decrypt-only keys: the worst case of a keyring read (three failed
// authentications first).
func BenchmarkDecryptRotated1KiB(b *testing.B) {
	k := func(c byte) []byte { return bytes.Repeat([]byte{c}, crypto.KeySize) }
	old, _ := crypto.New(k(4))
	defer old.Close()
	ring, err := crypto.New(k(1), crypto.WithPreviousKeys(k(2), k(3), k(4)))
	if err != nil {
		b.Fatal(err)
	}
	defer ring.Close()
	ct, _ := old.Encrypt(bytes.Repeat([]byte{0xab}, 1<<10), "k", "msgpack", true)
	b.SetBytes(1 << 10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ring.Decrypt(ct, "k", "msgpack", true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoundTrip1KiBParallel runs the 1 KiB round trip from every P.
func BenchmarkRoundTrip1KiBParallel(b *testing.B) {
	e, _ := crypto.New(bytes.Repeat([]byte{0x42}, crypto.KeySize))
	defer e.Close()
	pt := bytes.Repeat([]byte{0xab}, 1<<10)
	b.SetBytes(1 << 10)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ct, err := e.Encrypt(pt, "k", "msgpack", true)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := e.Decrypt(ct, "k", "msgpack", true); err != nil {
				b.Fatal(err)
			}
		}
	})
}
