package core_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// markedMem is memBackend with marks: an in-process tier that answers
// GetLocalMarked with the mark its test gave the key.
type markedMem struct {
	*memBackend
	marks      map[string]core.GuardMark
	localReads atomic.Int64
	unable     bool // the local read cannot answer (closed, …)
	stale      bool
}

func newMarkedMem() *markedMem {
	return &markedMem{memBackend: newMem(), marks: map[string]core.GuardMark{}}
}

func (m *markedMem) GetLocalMarked(ctx context.Context, key string) ([]byte, core.Freshness, core.GuardMark, bool) {
	m.localReads.Add(1)
	if m.unable {
		return nil, core.Freshness{}, 0, false
	}
	// Like the L1s, the local read does not look at ctx: it does no I/O.
	e, found, err := m.Get(context.Background(), key)
	if err != nil || !found {
		return nil, core.Freshness{}, 0, false
	}
	e.Freshness.Stale = m.stale
	return e.Value, e.Freshness, m.marks[key], true
}

// checkingCodec is jsonCodec with marks: Check marks everything with mark,
// and UnmarshalChecked counts the decodes that trusted a mark.
type checkingCodec struct {
	jsonCodec
	mark    core.GuardMark
	trusted *atomic.Int64
	full    *atomic.Int64
}

func newCheckingCodec() checkingCodec {
	return checkingCodec{mark: 0x42, trusted: new(atomic.Int64), full: new(atomic.Int64)}
}

func (c checkingCodec) Check([]byte) core.GuardMark { return c.mark }

func (c checkingCodec) Unmarshal(b []byte, v any) error {
	c.full.Add(1)
	return c.jsonCodec.Unmarshal(b, v)
}

func (c checkingCodec) UnmarshalChecked(b []byte, v any, m core.GuardMark) error {
	if m != c.mark {
		return c.Unmarshal(b, v)
	}
	c.trusted.Add(1)
	return c.jsonCodec.Unmarshal(b, v)
}

// markedClient is a client over a markedMem with a checkingCodec, a one
// minute default TTL and opts.
func markedClient(t *testing.T, opts ...core.Option) (*core.Client, *markedMem, checkingCodec) {
	t.Helper()
	b := newMarkedMem()
	codec := newCheckingCodec()
	c, err := core.New(b, append([]core.Option{core.WithCodec(codec), core.WithDefaultTTL(time.Minute)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, b, codec
}

// TestGetDecodesAMarkedLocalHitWithUnmarshalChecked: a Get answered by an
// in-process hit with a mark decodes it with the codec's UnmarshalChecked;
// a hit without a mark, or a client that encrypts, gets the full Unmarshal.
func TestGetDecodesAMarkedLocalHitWithUnmarshalChecked(t *testing.T) {
	ctx := context.Background()
	c, b, codec := markedClient(t)
	if err := c.Set(ctx, "k", "v1"); err != nil {
		t.Fatal(err)
	}
	b.marks["k"] = codec.mark
	v, found, err := core.Get[string](ctx, c, "k")
	if err != nil || !found || v != "v1" {
		t.Fatalf("Get = %q, %v, %v", v, found, err)
	}
	if codec.trusted.Load() != 1 || codec.full.Load() != 0 {
		t.Errorf("marked hit: %d checked decodes, %d full ones; want 1, 0", codec.trusted.Load(), codec.full.Load())
	}
	if gets := b.gets.Load(); gets != 1 { // the local read's, not a second backend read
		t.Errorf("backend Gets = %d, want 1", gets)
	}
	if st := c.Stats(); st.Hits != 1 {
		t.Errorf("Stats.Hits = %d, want 1", st.Hits)
	}

	delete(b.marks, "k")
	if _, _, err := core.Get[string](ctx, c, "k"); err != nil {
		t.Fatal(err)
	}
	if codec.trusted.Load() != 1 || codec.full.Load() != 1 {
		t.Errorf("unmarked hit: %d checked decodes, %d full ones; want 1, 1", codec.trusted.Load(), codec.full.Load())
	}

	// An encrypting client ignores marks: its tiers hold ciphertext.
	enc := &xorEncryptor{}
	ce, err := core.New(b, core.WithCodec(codec), core.WithEncryptor(enc), core.WithDefaultTTL(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := ce.Set(ctx, "e", "sealed"); err != nil {
		t.Fatal(err)
	}
	b.marks["e"] = codec.mark
	if v, found, err := core.Get[string](ctx, ce, "e"); err != nil || !found || v != "sealed" {
		t.Fatalf("encrypted Get = %q, %v, %v", v, found, err)
	}
	if codec.trusted.Load() != 1 || codec.full.Load() != 2 {
		t.Errorf("encrypted hit: %d checked decodes, %d full ones; want 1, 2", codec.trusted.Load(), codec.full.Load())
	}
}

// TestGetFallsBackFromTheLocalRead: a local read that misses, cannot
// answer or is stale leaves the decision to the backend's Get, which then counts it.
func TestGetFallsBackFromTheLocalRead(t *testing.T) {
	ctx := context.Background()
	c, b, codec := markedClient(t)
	if _, found, err := core.Get[string](ctx, c, "missing"); found || err != nil {
		t.Fatalf("Get(missing) = %v, %v", found, err)
	}
	if st := c.Stats(); st.Misses != 1 || st.Hits != 0 {
		t.Errorf("after a miss: Stats = %+v, want 1 miss", st)
	}
	if err := c.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	b.marks["k"] = codec.mark
	for _, tc := range []struct {
		name   string
		unable bool
		stale  bool
		gets   int64 // the backend's Get, and the local read's for stale
	}{
		{name: "no answer", unable: true, gets: 1},
		{name: "stale", stale: true, gets: 2},
	} {
		b.unable, b.stale = tc.unable, tc.stale
		before := b.gets.Load()
		v, found, err := core.Get[string](ctx, c, "k")
		if err != nil || !found || v != "v" {
			t.Fatalf("%s: Get = %q, %v, %v", tc.name, v, found, err)
		}
		if n := b.gets.Load() - before; n != tc.gets {
			t.Errorf("%s: %d reads of the backend, want %d (the local read's answer is not served)", tc.name, n, tc.gets)
		}
	}
	if codec.trusted.Load() != 0 {
		t.Errorf("%d decodes trusted a mark that came from the backend's Get", codec.trusted.Load())
	}
}

// TestGetWithObjectCacheReadsTheBackend: a client with an object cache
// bounds what it keeps by a hit's freshness, so it does not take the
// marked local read (whose freshness may come from a coarse clock).
func TestGetWithObjectCacheReadsTheBackend(t *testing.T) {
	ctx := context.Background()
	c, b, codec := markedClient(t, core.WithObjectCache(10, time.Minute))
	if err := c.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	b.marks["k"] = codec.mark
	if v, found, err := core.Get[string](ctx, c, "k"); err != nil || !found || v != "v" {
		t.Fatalf("Get = %q, %v, %v", v, found, err)
	}
	if n := b.localReads.Load(); n != 0 {
		t.Errorf("GetLocalMarked called %d times with an object cache", n)
	}
}

// TestGetOrLoadDecodesAMarkedLocalHitWithUnmarshalChecked: GetOrLoad takes
// the same guard-free path as Get for a marked in-process hit (no load, no
// flight), with stale-while-revalidate too, which still refreshes a value
// past its fresh share in the background; a local miss still loads.
func TestGetOrLoadDecodesAMarkedLocalHitWithUnmarshalChecked(t *testing.T) {
	ctx := context.Background()
	for _, swr := range []bool{false, true} {
		c, b, codec := markedClient(t, core.WithStaleWhileRevalidate(swr))
		var loads atomic.Int64
		load := func(context.Context) (string, error) { loads.Add(1); return "loaded", nil }
		if err := c.Set(ctx, "k", "v1"); err != nil {
			t.Fatal(err)
		}
		b.marks["k"] = codec.mark
		if v, err := core.GetOrLoad(ctx, c, "k", load); err != nil || v != "v1" {
			t.Fatalf("swr %v: GetOrLoad = %q, %v", swr, v, err)
		}
		if codec.trusted.Load() != 1 || codec.full.Load() != 0 || loads.Load() != 0 {
			t.Errorf("swr %v: marked hit: %d checked decodes, %d full ones, %d loads; want 1, 0, 0",
				swr, codec.trusted.Load(), codec.full.Load(), loads.Load())
		}
		if v, err := core.GetOrLoad(ctx, c, "absent", load); err != nil || v != "loaded" || loads.Load() != 1 {
			t.Fatalf("swr %v: GetOrLoad of a local miss = %q, %v (%d loads)", swr, v, err, loads.Load())
		}
		if !swr {
			_ = c.Close()
			continue
		}
		// A value with a second of its minute left is past its fresh share:
		// served at once, refreshed in the background.
		if err := c.Set(ctx, "old", "stale-ish", core.TTL(time.Second)); err != nil {
			t.Fatal(err)
		}
		b.marks["old"] = codec.mark
		if v, err := core.GetOrLoad(ctx, c, "old", load, core.TTL(time.Minute)); err != nil || v != "stale-ish" {
			t.Fatalf("GetOrLoad of a stale marked hit = %q, %v", v, err)
		}
		_ = c.Close() // waits for the refresh
		if st := c.Stats(); st.StaleServed != 1 || st.Refreshes != 1 || loads.Load() != 2 {
			t.Errorf("stale marked hit: stale served %d, refreshes %d, loads %d; want 1, 1, 2", st.StaleServed, st.Refreshes, loads.Load())
		}
	}
}

// TestLocalReadHonoursADoneContext: the marked local read does not look at
// the context (the L1s do no I/O), so the client does: a Get or GetOrLoad
// whose context is done gets the context's error, as it does from a stack
// without the local read, not the local copy.
func TestLocalReadHonoursADoneContext(t *testing.T) {
	c, b, codec := markedClient(t)
	if err := c.Set(context.Background(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	b.marks["k"] = codec.mark
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if v, found, err := core.Get[string](ctx, c, "k"); core.KindOf(err) != core.KindCanceled || found {
		t.Errorf("Get with a canceled context = %q, %v, %v; want KindCanceled", v, found, err)
	}
	v, err := core.GetOrLoad(ctx, c, "k", func(context.Context) (string, error) { return "loaded", nil })
	if core.KindOf(err) != core.KindCanceled {
		t.Errorf("GetOrLoad with a canceled context = %q, %v; want KindCanceled", v, err)
	}
	if n := b.localReads.Load(); n != 0 {
		t.Errorf("%d local reads with a done context, want 0", n)
	}
}
