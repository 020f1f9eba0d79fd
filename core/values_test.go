package core_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// valueMem is memBackend with core.ValueGetter: GetValue answers as Get does
// (same failures, same expiry) but counts apart, so tests see which read the
// client chose.
type valueMem struct {
	*memBackend
	values atomic.Int64
}

func (m *valueMem) GetValue(ctx context.Context, key string) ([]byte, bool, error) {
	m.values.Add(1)
	m.gets.Add(-1) // Get below counts itself; this read is not a Get
	e, found, err := m.memBackend.Get(ctx, key)
	return e.Value, found, err
}

// reads returns the Gets and GetValues made since the last call.
func (m *valueMem) reads() (gets, values int64) {
	return m.gets.Swap(0), m.values.Swap(0)
}

func TestValueGetterUsedWhenFreshnessIsUnused(t *testing.T) {
	ctx := context.Background()
	m := &valueMem{memBackend: newMem()}
	c := newClient(t, m, core.WithStaleWhileRevalidate(false))
	if err := c.Set(ctx, "k", 7); err != nil {
		t.Fatal(err)
	}
	m.reads()

	v, found, err := core.Get[int](ctx, c, "k")
	if err != nil || !found || v != 7 {
		t.Fatalf("Get = %d, %v, %v; want 7, true, nil", v, found, err)
	}
	if g, vs := m.reads(); g != 0 || vs != 1 {
		t.Errorf("Get made %d Get and %d GetValue calls; want 0 and 1", g, vs)
	}
	if _, found, err := core.Get[int](ctx, c, "missing"); err != nil || found {
		t.Errorf("Get(missing) = found %v, %v; want a miss", found, err)
	}
	if g, vs := m.reads(); g != 0 || vs != 1 {
		t.Errorf("Get(missing) made %d Get and %d GetValue calls; want 0 and 1", g, vs)
	}

	// A GetOrLoad without stale-while-revalidate has no use for freshness.
	v, err = core.GetOrLoad(ctx, c, "k", func(context.Context) (int, error) { return 0, errors.New("loaded") })
	if err != nil || v != 7 {
		t.Fatalf("GetOrLoad = %d, %v; want the stored 7", v, err)
	}
	if g, vs := m.reads(); g != 0 || vs != 1 {
		t.Errorf("GetOrLoad made %d Get and %d GetValue calls; want 0 and 1", g, vs)
	}

	// Namespace views share the choice.
	ns, err := c.Namespace("users")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := core.Get[int](ctx, ns, "k"); err != nil {
		t.Fatal(err)
	}
	if g, vs := m.reads(); g != 0 || vs != 1 {
		t.Errorf("namespaced Get made %d Get and %d GetValue calls; want 0 and 1", g, vs)
	}
}

func TestValueGetterNotUsedWhenFreshnessMatters(t *testing.T) {
	ctx := context.Background()

	t.Run("stale-while-revalidate", func(t *testing.T) {
		m := &valueMem{memBackend: newMem()}
		c := newClient(t, m) // SWR is on by default
		var loads atomic.Int64
		load := func(context.Context) (int, error) { return int(loads.Add(1)), nil }
		ttl := 100 * time.Second
		if _, err := core.GetOrLoad(ctx, c, "k", load, core.TTL(ttl)); err != nil {
			t.Fatal(err)
		}
		m.reads()
		// Past the fresh window: only a read with freshness can tell.
		m.advance(70 * time.Second)
		v, err := core.GetOrLoad(ctx, c, "k", load, core.TTL(ttl))
		if err != nil || v != 1 {
			t.Fatalf("stale GetOrLoad = %d, %v; want the stored 1", v, err)
		}
		if err := c.Close(); err != nil { // waits for the refresh
			t.Fatal(err)
		}
		if g, vs := m.reads(); g != 1 || vs != 0 {
			t.Errorf("GetOrLoad made %d Get and %d GetValue calls; want 1 and 0", g, vs)
		}
		if n := loads.Load(); n != 2 {
			t.Errorf("loads = %d, want 2: the stale value was not refreshed", n)
		}
		// Get alone still has no use for freshness.
		c2 := newClient(t, m)
		if _, _, err := core.Get[int](ctx, c2, "k"); err != nil {
			t.Fatal(err)
		}
		if g, vs := m.reads(); g != 0 || vs != 1 {
			t.Errorf("Get with SWR on made %d Get and %d GetValue calls; want 0 and 1", g, vs)
		}
	})

	t.Run("object cache", func(t *testing.T) {
		m := &valueMem{memBackend: newMem()}
		c := newClient(t, m, core.WithStaleWhileRevalidate(false), core.WithObjectCache(100, time.Hour))
		if err := c.Set(ctx, "k", 7, core.TTL(10*time.Second)); err != nil {
			t.Fatal(err)
		}
		// A second client over the same backend: its object cache is cold.
		c2 := newClient(t, m, core.WithStaleWhileRevalidate(false), core.WithObjectCache(100, time.Hour))
		m.reads()
		if v, found, err := core.Get[int](ctx, c2, "k"); err != nil || !found || v != 7 {
			t.Fatalf("Get = %d, %v, %v", v, found, err)
		}
		if _, err := core.GetOrLoad(ctx, c2, "other", func(context.Context) (int, error) { return 1, nil }); err != nil {
			t.Fatal(err)
		}
		if g, vs := m.reads(); g != 2 || vs != 0 {
			t.Errorf("object-cache client made %d Get and %d GetValue calls; want 2 and 0", g, vs)
		}
	})
}

func TestValueGetterErrorsAndBounds(t *testing.T) {
	ctx := context.Background()
	m := &valueMem{memBackend: newMem()}
	c := newClient(t, m, core.WithStaleWhileRevalidate(false), core.WithRetries(2, time.Millisecond))
	if err := c.Set(ctx, "k", 7); err != nil {
		t.Fatal(err)
	}
	m.reads()

	// A transient failure is retried, then returned with its kind.
	m.failGet.Store(&errTransient)
	_, found, err := core.Get[int](ctx, c, "k")
	if found || core.KindOf(err) != core.KindTransient {
		t.Errorf("Get with a failing GetValue = found %v, %v; want KindTransient", found, err)
	}
	if _, vs := m.reads(); vs != 3 {
		t.Errorf("GetValue calls = %d, want 3 (1 + 2 retries)", vs)
	}
	m.failGet.Store(nil)

	// A stored value over the client's limit is refused, as through Get.
	big := `"` + strings.Repeat("x", 200) + `"`
	if err := m.Set(ctx, "big", []byte(big), time.Hour); err != nil {
		t.Fatal(err)
	}
	small := newClient(t, m, core.WithStaleWhileRevalidate(false), core.WithMaxPayload(100))
	if _, _, err := core.Get[string](ctx, small, "big"); core.KindOf(err) != core.KindPayloadTooLarge {
		t.Errorf("Get of an oversized stored value = %v, want KindPayloadTooLarge", err)
	}
	if s := c.Stats(); s.Errors == 0 || s.Hits != 0 {
		t.Errorf("stats after a failed read: %+v; want errors counted and no hit", s)
	}
}
