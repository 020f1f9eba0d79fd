package otel_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// jsonCodec is a Codec for the tests (core needs one; this module depends
// on core only).
type jsonCodec struct{}

func (jsonCodec) Format() string                  { return "msgpack" }
func (jsonCodec) Compressed() bool                { return false }
func (jsonCodec) Marshal(v any) ([]byte, error)   { return json.Marshal(v) }
func (jsonCodec) Unmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// mapBackend is a core.Backend over a map; failGets makes the next Gets
// fail with a transient error.
type mapBackend struct {
	mu       sync.Mutex
	m        map[string][]byte
	failGets int
}

func newMap() *mapBackend { return &mapBackend{m: map[string][]byte{}} }

func (b *mapBackend) Get(_ context.Context, k string) (core.Entry, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failGets > 0 {
		b.failGets--
		return core.Entry{}, false, core.NewError(core.KindTransient, "get", "reset", errors.New("ECONNRESET"))
	}
	v, ok := b.m[k]
	return core.Entry{Value: append([]byte(nil), v...)}, ok, nil
}

func (b *mapBackend) Set(_ context.Context, k string, v []byte, _ time.Duration) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m[k] = append([]byte(nil), v...)
	return nil
}

func (b *mapBackend) Delete(_ context.Context, k string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, k)
	return nil
}

func (b *mapBackend) Exists(_ context.Context, k string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.m[k]
	return ok, nil
}

func (b *mapBackend) Health(context.Context) error { return nil }
