package protocol

import (
	"encoding/binary"
	"reflect"
	"runtime"
	"strconv"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
)

// nils returns a MessagePack array of n nils: n+5 bytes.
func nils(n int) []byte {
	b := make([]byte, 5, 5+n)
	b[0] = 0xdd
	binary.BigEndian.PutUint32(b[1:], uint32(n))
	for range n {
		b = append(b, 0xc0)
	}
	return b
}

// A small hostile document read into a slice of large elements is
// rejected before the decoder allocates the elements (it used to allocate
// 6 GiB for these 100 KB).
func TestDecodeAllocationBounded(t *testing.T) {
	doc := nils(100_000)
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, c := range []core.Codec{Msgpack()} {
		var big [][64 << 10]byte
		err := c.Unmarshal(doc, &big)
		if core.KindOf(err) != core.KindSerialization {
			t.Fatalf("Unmarshal into [][64KiB]byte = %v, want KindSerialization", err)
		}
		type node struct {
			Next *node
			Pad  [8 << 10]byte
		}
		var nodes []node
		if err := c.Unmarshal(doc, &nodes); core.KindOf(err) != core.KindSerialization {
			t.Fatalf("Unmarshal into []struct{8 KiB} = %v, want KindSerialization", err)
		}
		var m map[string]*[1 << 20]byte
		if err := c.Unmarshal([]byte{0x81, 0xa1, 'k', 0xc0}, &m); err != nil {
			t.Fatalf("one element of 1 MiB is within the bound: %v", err)
		}
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Fatalf("the rejected decodes allocated %d MiB", grew>>20)
	}
}

// Legitimate documents of many small elements decode, generic targets too.
func TestDecodeAllocationAllowsManySmallElements(t *testing.T) {
	doc := nils(1_000_000)
	var ints []int64
	if err := Msgpack().Unmarshal(doc, &ints); err != nil || len(ints) != 1_000_000 {
		t.Fatalf("[]int64: %d, %v", len(ints), err)
	}
	var anys any
	if err := Msgpack().Unmarshal(doc, &anys); err != nil {
		t.Fatalf("any: %v", err)
	}
	var ptrs []*int
	if err := Msgpack().Unmarshal(doc, &ptrs); err != nil || len(ptrs) != 1_000_000 {
		t.Fatalf("[]*int: %d, %v", len(ptrs), err)
	}
}

func TestPerElem(t *testing.T) {
	type rec struct {
		Kids []rec
		Name string
	}
	for _, c := range []struct {
		v    any
		want uint64
	}{
		{new(int), 8},
		{new(string), 16},
		{new([]byte), 24},
		{new([]int64), 24},
		{new([][4]int64), 32},
		{new(map[string]int32), 20},
		{new(rec), 40},
		{new(any), 32},
	} {
		if got := perElem(reflect.TypeOf(c.v), map[reflect.Type]bool{}); got != c.want {
			t.Errorf("perElem(%T) = %d, want %d", c.v, got, c.want)
		}
	}
}

// BenchmarkCheckAllocation prices the decode bound: skipped for a small
// document, a type lookup in a sync.Map for a large one.
func BenchmarkCheckAllocation(b *testing.B) {
	var p []profile
	for _, elems := range []uint64{7, uncheckedElems + 1} {
		b.Run(strconv.FormatUint(elems, 10), func(b *testing.B) {
			for b.Loop() {
				if err := checkAllocation("bench", elems, &p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
