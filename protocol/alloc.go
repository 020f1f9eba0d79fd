package protocol

import (
	"reflect"
	"strconv"
	"sync"
)

// MaxDecodeAlloc bounds what a typed decode may allocate for the values a
// document declares: the guard's count of array elements and map pairs
// times the largest value the target type allocates per element (a slice's
// element, a map's key and value, what a pointer points to). Without it a
// small hostile document of nils, read into a slice of large arrays or
// structs, would allocate the element's size per byte of input. Legitimate
// values stay far below it: every element they declare carries data.
//
// Documents that declare at most 1024 elements are not checked, which keeps
// the check off the hot path of small values (a type lookup costs as much
// as a tenth of a small decode): only a type whose elements are each over
// 256 KiB could pass the bound with so few, and decoding legitimate data
// into such a type allocates as much.
const MaxDecodeAlloc = 256 << 20

// uncheckedElems is the element count up to which checkAllocation trusts
// a document (see MaxDecodeAlloc).
const uncheckedElems = 1024

// elemSizes caches perElem per target type.
var elemSizes sync.Map // reflect.Type → uint64

// checkAllocation rejects a decode of elems declared elements into v whose
// worst case exceeds MaxDecodeAlloc.
func checkAllocation(op string, elems uint64, v any) error {
	if elems <= uncheckedElems || v == nil {
		return nil
	}
	t := reflect.TypeOf(v)
	per, ok := elemSizes.Load(t)
	if !ok {
		per, _ = elemSizes.LoadOrStore(t, perElem(t, map[reflect.Type]bool{}))
	}
	p := per.(uint64)
	if p == 0 || elems <= MaxDecodeAlloc/p {
		return nil
	}
	return formatErr(op, "msgpack", RuleBudget, "the document declares "+strconv.FormatUint(elems, 10)+
		" elements; read into "+t.String()+" (up to "+strconv.FormatUint(p, 10)+
		" bytes each) that could allocate more than the decode bound of 256 MiB")
}

// perElem is the largest allocation a decode into t can make for one
// declared element, over every collection t can hold; 0 if it holds none.
func perElem(t reflect.Type, seen map[reflect.Type]bool) uint64 {
	if seen[t] {
		return 0 // a recursive type: its sizes are counted where it first appears
	}
	seen[t] = true
	defer delete(seen, t)
	switch t.Kind() {
	case reflect.Pointer:
		return max(uint64(t.Elem().Size()), perElem(t.Elem(), seen))
	case reflect.Slice:
		return max(uint64(t.Elem().Size()), perElem(t.Elem(), seen))
	case reflect.Array:
		return perElem(t.Elem(), seen)
	case reflect.Map:
		return max(uint64(t.Key().Size()+t.Elem().Size()), perElem(t.Key(), seen), perElem(t.Elem(), seen))
	case reflect.Struct:
		var m uint64
		for i := range t.NumField() {
			m = max(m, perElem(t.Field(i).Type, seen))
		}
		return m
	case reflect.Interface:
		// Decoded generically: []any, map[string]any and scalars, each
		// element an interface value (16 bytes) plus a small boxed scalar.
		return 32
	}
	return 0
}
