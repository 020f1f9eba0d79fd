package compose_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
)

// textCodec stores strings as their bytes.
type textCodec struct{}

func (textCodec) Format() string   { return "msgpack" }
func (textCodec) Compressed() bool { return false }
func (textCodec) Marshal(v any) ([]byte, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("textCodec: %T", v)
	}
	return []byte(s), nil
}
func (textCodec) Unmarshal(b []byte, v any) error {
	p, ok := v.(*string)
	if !ok {
		return fmt.Errorf("textCodec: %T", v)
	}
	*p = string(b)
	return nil
}

// A value another process stored, fresh for an hour, and read many times
// through a composition: the backfilled copy is kept for the cap (30 s) but
// reports the value's freshness, so stale-while-revalidate does not take it
// for a value 59 minutes old and reload it on every read. Before
// tier.CopySetter the copy reported the cap's remainder and every read of
// it started a background load.
func TestBackfilledCopyIsNotStale(t *testing.T) {
	for _, lowerFresh := range []struct {
		name  string
		fresh func(core.Freshness) core.Freshness
	}{
		{"known freshness", nil},
		{"unknown freshness", func(core.Freshness) core.Freshness { return core.UnknownFreshness }},
	} {
		t.Run(lowerFresh.name, func(t *testing.T) {
			ctx := context.Background()
			up := memory.New()
			low := newProbe("low", &opLog{})
			low.fresh = lowerFresh.fresh
			stack := mustNew(t, up, low, compose.WithBackfillMode(compose.BackfillInline))
			c, err := core.New(stack, core.WithCodec(textCodec{}), core.WithStaleWhileRevalidate(true), core.WithDefaultTTL(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			sk, err := c.StorageKey("k")
			if err != nil {
				t.Fatal(err)
			}
			low.put(t, sk, "v", time.Hour) // written by another process
			loads := 0
			for range 20 {
				v, err := core.GetOrLoad(ctx, c, "k", func(context.Context) (string, error) { loads++; return "loaded", nil })
				if err != nil || v != "v" {
					t.Fatalf("GetOrLoad = %q %v", v, err)
				}
			}
			if err := c.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			s := c.Stats()
			if loads != 0 || s.Loads != 0 || s.Refreshes != 0 || s.StaleServed != 0 {
				t.Errorf("loads %d, stats %+v: a backfilled copy was taken for a stale value", loads, s)
			}
			// The copy itself is still kept for the cap only.
			if ttl, found, err := up.TTL(ctx, sk); err != nil || !found || ttl > compose.DefaultBackfillCap {
				t.Errorf("upper copy TTL = %v %v %v, want at most the cap %v", ttl, found, err, compose.DefaultBackfillCap)
			}
		})
	}
}
