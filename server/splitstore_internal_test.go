package server

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestBuiltinStoreSplit: values above LargeValueThreshold live apart from
// the small ones, a key moves when its size class changes, and a stored
// large value comes back as a copy.
func TestBuiltinStoreSplit(t *testing.T) {
	ctx := context.Background()
	st, err := NewBuiltinStore(16<<20, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*splitStore)
	big := bytes.Repeat([]byte{7}, LargeValueThreshold+1)
	if err := s.Set(ctx, "k", big, 0); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.small.Get(ctx, "k"); found {
		t.Fatal("a large value went to bigcache")
	}
	e, found, err := s.Get(ctx, "k")
	if err != nil || !found || !bytes.Equal(e.Value, big) {
		t.Fatalf("large get: found %v err %v", found, err)
	}
	e.Value[0] = 9
	if e2, _, _ := s.Get(ctx, "k"); e2.Value[0] != 7 {
		t.Fatal("Get returned the stored slice, not a copy")
	}
	if err := s.Set(ctx, "k", []byte("small"), 0); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.large.get("k"); ok {
		t.Fatal("the large copy survived a small overwrite")
	}
	if e, found, _ := s.Get(ctx, "k"); !found || string(e.Value) != "small" {
		t.Fatalf("small get after overwrite: %q %v", e.Value, found)
	}
	if err := s.Set(ctx, "k", big, 0); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.small.Get(ctx, "k"); found {
		t.Fatal("the small copy survived a large overwrite")
	}
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Exists(ctx, "k"); ok {
		t.Fatal("deleted key exists")
	}
}

// TestLargeStoreBound: the large store stays within its bound by evicting
// its oldest writes, expires entries, and refuses a value larger than it.
func TestLargeStoreBound(t *testing.T) {
	const bound = 1 << 20
	l := newLargeStore(bound)
	v := make([]byte, 100<<10)
	for i := range 50 {
		if err := l.set(string(rune('a'+i%26))+string(rune('A'+i/26)), v, 0); err != nil {
			t.Fatal(err)
		}
		if l.bytes > bound {
			t.Fatalf("after %d writes %d bytes held, bound %d", i+1, l.bytes, bound)
		}
	}
	if _, ok, _ := l.get("aA"); ok {
		t.Fatal("the oldest write was not evicted")
	}
	if _, ok, _ := l.get("xB"); !ok {
		t.Fatal("the newest write was evicted")
	}
	if err := l.set("huge", make([]byte, bound), 0); err == nil {
		t.Fatal("a value larger than the bound was stored")
	}
	if err := l.set("ttl", v, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if _, ok, _ := l.get("ttl"); ok {
		t.Fatal("an expired entry was returned")
	}
	if _, err := NewBuiltinStore(4<<20, 4<<20); err == nil {
		t.Fatal("a store with no room for one value was accepted")
	}
}
