package cachekit_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go"
	"github.com/cachekit-io/cachekit-go/core"
)

// lockingMem is mem with a lock that is always free, counting the
// attempts to take it.
type lockingMem struct {
	*mem
	tries atomic.Int64
}

func (l *lockingMem) Lock(context.Context, string, time.Duration) (string, bool, error) {
	l.tries.Add(1)
	return "token", true, nil
}

func (l *lockingMem) Unlock(context.Context, string, string) (bool, error) { return true, nil }

// The presets' fill-lock default comes from core.WithPreset: on in
// production (a miss takes the key's lock before it loads), off in
// minimal; an explicit option overrides it.
func TestPresetFillLockDefaults(t *testing.T) {
	ctx := context.Background()
	load := func(context.Context) (int, error) { return 1, nil }
	for _, tc := range []struct {
		name   string
		build  func(core.Backend) (*core.Client, error)
		trying bool
	}{
		{"production", func(b core.Backend) (*core.Client, error) { return cachekit.Production(b) }, true},
		{"minimal", func(b core.Backend) (*core.Client, error) { return cachekit.Minimal(b) }, false},
		{"minimal+WithClientOptions(WithFillLock)", func(b core.Backend) (*core.Client, error) {
			return cachekit.Minimal(b, cachekit.WithClientOptions(core.WithFillLock(time.Second, 50*time.Millisecond)))
		}, true},
		{"production+WithClientOptions(WithoutFillLock)", func(b core.Backend) (*core.Client, error) {
			return cachekit.Production(b, cachekit.WithClientOptions(core.WithoutFillLock()))
		}, false},
		{"minimal+WithFillLock", func(b core.Backend) (*core.Client, error) {
			return cachekit.Minimal(b, cachekit.WithFillLock(time.Second, 50*time.Millisecond))
		}, true},
		{"production+WithoutFillLock", func(b core.Backend) (*core.Client, error) {
			return cachekit.Production(b, cachekit.WithoutFillLock())
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &lockingMem{mem: newMem()}
			c, err := tc.build(b)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := core.GetOrLoad(ctx, c, "k", load); err != nil {
				t.Fatal(err)
			}
			if got := b.tries.Load() > 0; got != tc.trying {
				t.Fatalf("fill lock tried = %v; want %v", got, tc.trying)
			}
		})
	}
}

// The read-through options of the presets pass their values to core and
// reject bad ones with KindConfig, naming the option.
func TestPresetReadThroughOptions(t *testing.T) {
	ctx := context.Background()
	c, err := cachekit.Production(newMem(), cachekit.WithNegativeCache(time.Minute), cachekit.WithTTLJitter(10))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	loads := 0
	for range 2 {
		_, err := core.GetOrLoad(ctx, c, "gone", func(context.Context) (int, error) { loads++; return 0, core.ErrAbsent })
		if err != core.ErrAbsent {
			t.Fatalf("GetOrLoad = %v; want ErrAbsent", err)
		}
	}
	if loads != 1 {
		t.Fatalf("WithNegativeCache: %d loads; want 1", loads)
	}
	for name, o := range map[string]cachekit.Option{
		"WithFillLock":      cachekit.WithFillLock(0, time.Second),
		"WithNegativeCache": cachekit.WithNegativeCache(2 * time.Hour),
		"WithTTLJitter":     cachekit.WithTTLJitter(80),
	} {
		_, err := cachekit.Production(newMem(), o)
		wantConfig(t, err, name)
	}
}
