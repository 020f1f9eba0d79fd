package core_test

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
)

// xorEncryptor seals by XOR with one byte (tests only: enough to tell sealed
// bytes from open ones) and counts which decrypt the client chose.
type xorEncryptor struct{ copies, inPlace atomic.Int64 }

func xor(dst, src []byte) []byte {
	for i, b := range src {
		dst[i] = b ^ 0x5a
	}
	return dst
}

func (*xorEncryptor) Encrypt(p []byte, _, _ string, _ bool) ([]byte, error) {
	return xor(make([]byte, len(p)), p), nil
}

func (x *xorEncryptor) Decrypt(c []byte, _, _ string, _ bool) ([]byte, error) {
	x.copies.Add(1)
	return xor(make([]byte, len(c)), c), nil
}

func (x *xorEncryptor) DecryptInPlace(c []byte, _, _ string, _ bool) ([]byte, error) {
	x.inPlace.Add(1)
	return xor(c, c), nil
}

// A Get opens the bytes its read returned in place, and the stored copy is
// not touched. A GetOrLoad flight's read is decoded by several callers: the
// first opens the shared bytes into new memory, the others open copies of
// their own in place.
func TestDecryptInPlaceOnlyForBytesTheCallOwns(t *testing.T) {
	ctx := context.Background()
	g := &gatedBackend{memBackend: newMem(), gate: make(chan struct{})}
	close(g.gate)
	x := &xorEncryptor{}
	c := newClient(t, g, core.WithEncryptor(x))
	if err := c.Set(ctx, "k", []int{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	sk, _ := c.StorageKey("k")
	sealed, _ := g.raw(sk)
	sealed = bytes.Clone(sealed)
	for range 2 { // the second read sees the stored copy unchanged
		v, found, err := core.Get[[]int](ctx, c, "k")
		if err != nil || !found || len(v) != 3 || v[2] != 3 {
			t.Fatalf("Get = %v %v %v", v, found, err)
		}
	}
	if x.inPlace.Load() != 2 || x.copies.Load() != 0 {
		t.Fatalf("Get: %d in place, %d copies; want 2 and 0", x.inPlace.Load(), x.copies.Load())
	}
	if now, _ := g.raw(sk); !bytes.Equal(now, sealed) {
		t.Fatal("opening in place changed the stored value")
	}

	g.gate = make(chan struct{})
	const callers = 20
	results := pileUp(t, c, g, callers, func(context.Context) ([]int, error) {
		t.Error("loaded a stored key")
		return nil, nil
	})
	for i, r := range results {
		if len(r) != 3 || r[2] != 3 {
			t.Fatalf("caller %d got %v", i, r)
		}
	}
	if n := g.gets.Load(); n != 3 {
		t.Fatalf("%d backend reads, want 3 (two Gets, one shared flight)", n)
	}
	// Each caller of a shared read opens a copy of its own.
	if x.copies.Load() != 0 || x.inPlace.Load() != 2+callers {
		t.Fatalf("shared read: %d copies, %d more in place; want 0 and %d", x.copies.Load(), x.inPlace.Load()-2, callers)
	}

	// A flight with one caller opens the read's bytes in place: they are
	// that caller's alone.
	v, err := core.GetOrLoad(ctx, c, "k", func(context.Context) ([]int, error) {
		t.Error("loaded a stored key")
		return nil, nil
	})
	if err != nil || len(v) != 3 || v[2] != 3 {
		t.Fatalf("GetOrLoad = %v %v", v, err)
	}
	if x.copies.Load() != 0 || x.inPlace.Load() != 2+callers+1 {
		t.Fatalf("single-caller flight: %d copies, %d in place; want 0 and %d", x.copies.Load(), x.inPlace.Load(), 2+callers+1)
	}
	if now, _ := g.raw(sk); !bytes.Equal(now, sealed) {
		t.Fatal("opening in place changed the stored value")
	}
}
