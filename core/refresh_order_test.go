package core_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// heldCodec is jsonCodec whose next Unmarshal, once armed, waits on
// release (after closing entered).
type heldCodec struct {
	jsonCodec
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (c *heldCodec) Unmarshal(b []byte, v any) error {
	if c.armed.CompareAndSwap(true, false) {
		close(c.entered)
		<-c.release
	}
	return c.jsonCodec.Unmarshal(b, v)
}

// A Set made after a stale read, before its background refresh starts,
// wins over the refresh: the refresh used to take the write generation when
// it started, not before the read, and overwrote the Set with the loader's
// value.
func TestRefreshDoesNotOverwriteSetAfterStaleRead(t *testing.T) {
	m := newMem()
	cd := &heldCodec{entered: make(chan struct{}), release: make(chan struct{})}
	c := newClient(t, m, core.WithCodec(cd), core.WithStaleWhileRevalidate(true))
	ctx := context.Background()
	if err := c.SetWithTTL(ctx, "k", "v0", 100*time.Second); err != nil {
		t.Fatal(err)
	}
	m.advance(70 * time.Second) // past the fresh window, not expired
	cd.armed.Store(true)
	got := make(chan string, 1)
	go func() {
		v, _ := core.GetOrLoad(ctx, c, "k", func(context.Context) (string, error) { return "loaded", nil }, core.LoadTTL(100*time.Second))
		got <- v
	}()
	<-cd.entered // the stale read is done and being decoded
	if err := c.Set(ctx, "k", "v1"); err != nil {
		t.Fatal(err)
	}
	close(cd.release)
	if v := <-got; v != "v0" {
		t.Fatalf("GetOrLoad served %q, want the stale v0", v)
	}
	if err := c.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _, err := core.Get[string](ctx, c, "k"); err != nil || v != "v1" {
		t.Fatalf("after the refresh, Get = %q, %v; want the Set's v1", v, err)
	}
}
