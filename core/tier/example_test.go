package tier_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
)

// mapL1 is a toy in-process tier: a map with expiry. A real L1 also bounds
// its size and implements tier.CopySetter.
type mapL1 struct {
	mu sync.Mutex
	m  map[string]mapEntry
}

type mapEntry struct {
	value []byte
	exp   time.Time // zero: no expiry
}

// The capabilities a composition looks for in an upper tier.
var (
	_ core.Backend     = (*mapL1)(nil)
	_ tier.LocalGetter = (*mapL1)(nil)
	_ tier.InMemory    = (*mapL1)(nil)
	_ tier.Clearer     = (*mapL1)(nil)
)

func newMapL1() *mapL1 { return &mapL1{m: map[string]mapEntry{}} }

func (l *mapL1) Get(_ context.Context, key string) (core.Entry, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.m[key]
	if !ok || !e.exp.IsZero() && !time.Now().Before(e.exp) {
		return core.Entry{}, false, nil
	}
	f := core.ForeverFresh()
	if !e.exp.IsZero() {
		f = core.FreshFor(time.Until(e.exp))
	}
	return core.Entry{Value: append([]byte(nil), e.value...), Freshness: f}, true, nil
}

func (l *mapL1) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl < 0 {
		return core.NewError(core.KindInvalidInput, "maptier.set", "negative ttl", nil)
	}
	e := mapEntry{value: append([]byte(nil), value...)}
	if ttl > 0 {
		e.exp = time.Now().Add(ttl)
	}
	l.mu.Lock()
	l.m[key] = e
	l.mu.Unlock()
	return nil
}

func (l *mapL1) Delete(_ context.Context, key string) error {
	l.mu.Lock()
	delete(l.m, key)
	l.mu.Unlock()
	return nil
}

func (l *mapL1) Exists(ctx context.Context, key string) (bool, error) {
	_, found, err := l.Get(ctx, key)
	return found, err
}

func (l *mapL1) Health(context.Context) error { return nil }

// GetLocal is Get: everything this tier holds is in process.
func (l *mapL1) GetLocal(ctx context.Context, key string) (core.Entry, bool, error) {
	return l.Get(ctx, key)
}

// InMemory reports true: no call does I/O.
func (l *mapL1) InMemory() bool { return true }

// Clear drops every entry, as a composition asks when its lower tier loses
// track of changes.
func (l *mapL1) Clear(context.Context) error {
	l.mu.Lock()
	clear(l.m)
	l.mu.Unlock()
	return nil
}

// An in-process tier offers the capabilities a composition discovers by
// type assertion; this is how a caller finds and uses them.
func Example() {
	ctx := context.Background()
	var b core.Backend = newMapL1()
	_ = b.Set(ctx, "k", []byte("v"), time.Minute)

	if lg, ok := b.(tier.LocalGetter); ok {
		e, found, _ := lg.GetLocal(ctx, "k")
		fmt.Printf("local hit: %v %q\n", found, e.Value)
	}
	if m, ok := b.(tier.InMemory); ok {
		fmt.Println("in memory:", m.InMemory())
	}
	if c, ok := b.(tier.Clearer); ok {
		_ = c.Clear(ctx)
	}
	_, found, _ := b.Get(ctx, "k")
	fmt.Println("after Clear:", found)
	// Output:
	// local hit: true "v"
	// in memory: true
	// after Clear: false
}
