package bigcache

import "testing"

func TestSizeClasses(t *testing.T) {
	for _, c := range []struct{ n, class int }{
		{0, 0}, {1, 0}, {1024, 0}, {1025, 1}, {2048, 1}, {64<<10 + headerSize, 7},
		{4 << 20, maxClassShift - minClassShift}, {4<<20 + 1, -1},
	} {
		if got := sizeClass(c.n); got != c.class {
			t.Errorf("sizeClass(%d) = %d, want %d", c.n, got, c.class)
		}
		pb, class := getBuf(c.n)
		if class != c.class || len(*pb) != 0 || cap(*pb) < c.n {
			t.Errorf("getBuf(%d) = len %d cap %d class %d", c.n, len(*pb), cap(*pb), class)
		}
		if class >= 0 && cap(*pb) != 1<<(class+minClassShift) {
			t.Errorf("getBuf(%d): cap %d is not its class size", c.n, cap(*pb))
		}
		*pb = append(*pb, make([]byte, c.n)...)
		putBuf(pb, class)
	}
}
