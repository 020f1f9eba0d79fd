package bench

import (
	"math/rand/v2"
	"strconv"

	"github.com/shamaton/msgpack/v2"
)

// Profile is the value every benchmark stores: a 5-field struct (83 bytes
// of MessagePack: the "100 B" row), plus Blob, which the larger
// sizes fill with incompressible bytes to reach 1 KiB and 64 KiB. Every
// library stores the same Profile values.
type Profile struct {
	ID      int64
	Name    string
	Email   string
	Active  bool
	Balance float64
	Blob    []byte `msgpack:",omitempty"`
}

// sample is the 100 B value.
var sample = Profile{ID: 123456789, Name: "Ada Lovelace", Email: "ada.lovelace@example.com", Active: true, Balance: 1234.5}

// valueSize is one of the value sizes the benchmarks run.
type valueSize struct {
	name   string // the size= part of a benchmark name
	target int    // the encoded size to reach, in bytes (0: sample as is)
}

// sizes are the value sizes of the benchmarks: the bare struct, 1 KiB and
// 64 KiB of MessagePack (shamaton's encoding; the peers' encodings of the
// same value differ by a few bytes).
var sizes = []valueSize{{"100B", 0}, {"1KiB", 1 << 10}, {"64KiB", 64 << 10}}

// valueOf returns the Profile of the given size: sample with a Blob of
// pseudo-random (incompressible, deterministic) bytes such that its
// shamaton MessagePack encoding is exactly s.target bytes long.
func valueOf(s valueSize) Profile {
	v := sample
	if s.target == 0 {
		return v
	}
	rng := rand.New(rand.NewPCG(uint64(s.target), 42))
	n := s.target - encodedLen(v)
	for range 8 { // the bin header grows with the length: converge
		v.Blob = make([]byte, n)
		for i := range v.Blob {
			v.Blob[i] = byte(rng.Uint32())
		}
		d := s.target - encodedLen(v)
		if d == 0 {
			return v
		}
		n += d
	}
	panic("valueOf: no blob length gives " + strconv.Itoa(s.target) + " bytes")
}

func encodedLen(v Profile) int {
	b, err := msgpack.Marshal(v)
	if err != nil {
		panic(err)
	}
	return len(b)
}
