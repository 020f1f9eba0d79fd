package protocol

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
)

// benchUser encodes to about 100 bytes: the L1-hit shape the client's
// benchmark compares with go-redis/cache.
type benchUser struct {
	ID     int64
	Name   string
	Email  string
	Active bool
	Score  float64
	Tags   []string
}

var benchUserValue = benchUser{ID: 123456789, Name: "Alice Example", Email: "alice@example.com", Active: true, Score: 98.5, Tags: []string{"admin", "beta", "eu-west"}}

// benchPayload is semi-compressible text: JSON-ish records with random ids.
func benchPayload(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 0, n+64)
	for len(b) < n {
		b = fmt.Appendf(b, `{"id":%d,"name":"user-%d","active":true},`, r.IntN(1e9), r.IntN(1e6))
	}
	return b[:n]
}

func benchCodecs() []struct {
	name string
	c    core.Codec
} {
	return []struct {
		name string
		c    core.Codec
	}{{"msgpack", Msgpack()}, {"envelope", Envelope()}, {"v2", InteropV2()}}
}

func BenchmarkStruct100B(b *testing.B) {
	for _, bc := range benchCodecs() {
		enc, _ := bc.c.Marshal(benchUserValue)
		raw, _ := Msgpack().Marshal(benchUserValue)
		b.Run(bc.name+"/encode", func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.c.Marshal(benchUserValue); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/decode", func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			var u benchUser
			for b.Loop() {
				if err := bc.c.Unmarshal(enc, &u); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkBytes(b *testing.B) {
	for _, size := range []int{100, 1 << 10, 64 << 10} {
		p := benchPayload(size)
		for _, bc := range benchCodecs() {
			enc, _ := bc.c.Marshal(p)
			name := fmt.Sprintf("%s/%dB", bc.name, size)
			b.Run(name+"/encode", func(b *testing.B) {
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := bc.c.Marshal(p); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(name+"/decode", func(b *testing.B) {
				b.SetBytes(int64(size))
				b.ReportAllocs()
				var out []byte
				for b.Loop() {
					if err := bc.c.Unmarshal(enc, &out); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(name+"/roundtrip", func(b *testing.B) {
				b.SetBytes(int64(size))
				b.ReportAllocs()
				var out []byte
				for b.Loop() {
					e, err := bc.c.Marshal(p)
					if err != nil {
						b.Fatal(err)
					}
					if err := bc.c.Unmarshal(e, &out); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkInteropKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := InteropKey("users", "get_user", 42, "hello", map[string]any{"a": 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnvelopeRoundTrip64KiB measures the envelope's 64 KiB round
// trip, and its open alone, on repetitive records (typical cached JSON) and
// on random bytes (incompressible: a literals-only block, which opens in
// place).
func BenchmarkEnvelopeRoundTrip64KiB(b *testing.B) {
	rep := make([]byte, 0, 64<<10)
	for i := 0; len(rep) < 64<<10; i++ {
		rep = fmt.Appendf(rep, `{"id":%d,"name":"user","active":true},`, i%100)
	}
	rnd := make([]byte, 64<<10)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range rnd {
		rnd[i] = byte(r.Uint32())
	}
	for name, p := range map[string][]byte{"repetitive": rep[:64<<10], "random": rnd} {
		b.Run(name+"/open", func(b *testing.B) {
			c := Envelope()
			e, err := c.Marshal(p)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			var out []byte
			for b.Loop() {
				if err := c.Unmarshal(e, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name, func(b *testing.B) {
			c := Envelope()
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			var out []byte
			for b.Loop() {
				e, err := c.Marshal(p)
				if err != nil {
					b.Fatal(err)
				}
				if err := c.Unmarshal(e, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
