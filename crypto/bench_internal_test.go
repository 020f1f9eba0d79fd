package crypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"testing"
)

// BenchmarkBaselineAESGCM1KiB is the bare standard-library AES-256-GCM seal
// and open of 1 KiB with a fixed nonce and a pre-built AAD, into reused
// buffers: the floor that BenchmarkRoundTrip1KiB's overhead is measured
// against.
func BenchmarkBaselineAESGCM1KiB(b *testing.B) {
	block, _ := aes.NewCipher(bytes.Repeat([]byte{0x42}, KeySize))
	aead, _ := cipher.NewGCM(block)
	pt := bytes.Repeat([]byte{0xab}, 1<<10)
	nonce := make([]byte, NonceSize)
	aad := AAD(DefaultTenant, "ns:bench:user:12345", "msgpack", true)
	ct := make([]byte, 0, len(pt)+TagSize)
	out := make([]byte, 0, len(pt))
	b.SetBytes(1 << 10)
	b.ReportAllocs()
	for b.Loop() {
		ct = aead.Seal(ct[:0], nonce, pt, aad)
		var err error
		if out, err = aead.Open(out[:0], nonce, ct, aad); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineAESGCMAlloc1KiB is the bare standard-library seal and open
// of 1 KiB with a new output slice for each, as an API that returns its
// result must allocate: BenchmarkRoundTrip1KiB minus this is the cost of the
// package's own work (AAD, nonce, keyring, checks).
func BenchmarkBaselineAESGCMAlloc1KiB(b *testing.B) {
	block, _ := aes.NewCipher(bytes.Repeat([]byte{0x42}, KeySize))
	aead, _ := cipher.NewGCM(block)
	pt := bytes.Repeat([]byte{0xab}, 1<<10)
	aad := AAD(DefaultTenant, "ns:bench:user:12345", "msgpack", true)
	b.SetBytes(1 << 10)
	b.ReportAllocs()
	for b.Loop() {
		ct := make([]byte, NonceSize, NonceSize+len(pt)+TagSize)
		ct = aead.Seal(ct, ct[:NonceSize], pt, aad)
		out := make([]byte, 0, len(pt))
		if _, err := aead.Open(out, ct[:NonceSize], ct[NonceSize:], aad); err != nil {
			b.Fatal(err)
		}
	}
}
