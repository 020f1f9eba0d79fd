package core_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// condMem is memBackend with SET NX (core.ConditionalSetter).
type condMem struct{ *memBackend }

func (m condMem) SetIfAbsent(ctx context.Context, key string, v []byte, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	it, ok := m.items[key]
	live := ok && (it.expire.IsZero() || m.now.Before(it.expire))
	m.mu.Unlock()
	if live {
		return false, nil
	}
	// (Not atomic with the check; the tests here do not race on it.)
	return true, m.Set(ctx, key, v, ttl)
}

// Two clients over one backend stand for two processes: P1's load reads
// 279 from the source, P0's Set of 280 is acknowledged, then P1's
// write-back lands. It must not overwrite 280.
func TestLoadWriteBackDoesNotOverwriteAnotherProcessSet(t *testing.T) {
	ctx := context.Background()
	b := condMem{newMem()}
	p0 := newClient(t, b)
	p1 := newClient(t, b)
	loading, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		v, err := core.GetOrLoad(ctx, p1, "k", func(context.Context) (int, error) {
			close(loading)
			<-release
			return 279, nil
		})
		if err != nil || v != 279 {
			t.Errorf("P1 GetOrLoad = %v, %v", v, err)
		}
	}()
	<-loading
	if err := p0.Set(ctx, "k", 280); err != nil {
		t.Fatal(err)
	}
	close(release)
	wg.Wait()
	if v, _, err := core.Get[int](ctx, p0, "k"); err != nil || v != 280 {
		t.Fatalf("after P1's write-back the backend holds %v (%v), want P0's acknowledged 280", v, err)
	}
	if s := p1.Stats(); s.WritesDropped != 1 {
		t.Fatalf("P1 WritesDropped %d, want 1", s.WritesDropped)
	}
	// A load after a plain miss is stored.
	if v, err := core.GetOrLoad(ctx, p1, "cold", func(context.Context) (int, error) { return 1, nil }); err != nil || v != 1 {
		t.Fatal(v, err)
	}
	if raw, ok := b.raw("cold"); !ok || string(raw) != "1" {
		t.Fatalf("cold key stored %q, %v", raw, ok)
	}
}
