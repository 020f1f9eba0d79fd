package core_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// capBackend is a memBackend with every optional capability the client has
// an entry point for, recording the keys each reached the backend with.
type capBackend struct {
	*memBackend
	lmu        sync.Mutex
	locks      map[string]string // storage key → token
	tokens     atomic.Int64
	batchGets  atomic.Int64
	batchSets  atomic.Int64
	batchDels  atomic.Int64
	lastLocked atomic.Pointer[string]
	failTTL    atomic.Int32 // TTL fails transiently this many more times
	hangSets   atomic.Bool  // SetMany blocks until its context ends
}

func newCapBackend() *capBackend {
	return &capBackend{memBackend: newMem(), locks: map[string]string{}}
}

func (b *capBackend) TTL(ctx context.Context, key string) (time.Duration, bool, error) {
	if b.failTTL.Add(-1) >= 0 {
		return 0, false, errTransient
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	it, ok := b.items[key]
	if !ok || (!it.expire.IsZero() && !b.now.Before(it.expire)) {
		return 0, false, nil
	}
	if it.expire.IsZero() {
		return core.NoExpiry, true, nil
	}
	return it.expire.Sub(b.now), true, nil
}

func (b *capBackend) Expire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	it, ok := b.items[key]
	if !ok {
		return false, nil
	}
	it.expire = b.now.Add(ttl)
	b.items[key] = it
	return true, nil
}

func (b *capBackend) Lock(ctx context.Context, key string, lease time.Duration) (string, bool, error) {
	b.lastLocked.Store(&key)
	b.lmu.Lock()
	defer b.lmu.Unlock()
	if _, held := b.locks[key]; held {
		return "", false, nil
	}
	tok := fmt.Sprintf("tok-%d", b.tokens.Add(1))
	b.locks[key] = tok
	return tok, true, nil
}

func (b *capBackend) Unlock(ctx context.Context, key, token string) (bool, error) {
	b.lmu.Lock()
	defer b.lmu.Unlock()
	if b.locks[key] != token {
		return false, nil
	}
	delete(b.locks, key)
	return true, nil
}

func (b *capBackend) GetMany(ctx context.Context, keys []string) ([]core.BatchResult, error) {
	b.batchGets.Add(1)
	out := make([]core.BatchResult, len(keys))
	for i, k := range keys {
		e, found, err := b.memBackend.Get(ctx, k)
		if err != nil {
			return nil, err
		}
		out[i] = core.BatchResult{Entry: e, Found: found}
	}
	return out, nil
}

func (b *capBackend) SetMany(ctx context.Context, items []core.BatchItem) error {
	b.batchSets.Add(1)
	if b.hangSets.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	for _, it := range items {
		if err := b.memBackend.Set(ctx, it.Key, it.Value, it.TTL); err != nil {
			return err
		}
	}
	return nil
}

func (b *capBackend) DeleteMany(ctx context.Context, keys []string) error {
	b.batchDels.Add(1)
	for _, k := range keys {
		_ = b.memBackend.Delete(ctx, k)
	}
	return nil
}

// delegating implements every capability by delegating to the backend it
// wraps, failing with KindNotSupported when that lacks it (as compose does).
type delegating struct{ core.Backend }

func unsupported(op string) error {
	return core.NewError(core.KindNotSupported, op, "the lower tier does not support it", nil)
}

func (d delegating) TTL(ctx context.Context, key string) (time.Duration, bool, error) {
	if x, ok := d.Backend.(core.TTLInspector); ok {
		return x.TTL(ctx, key)
	}
	return 0, false, unsupported("wrap.ttl")
}

func (d delegating) Expire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if x, ok := d.Backend.(core.TTLRefresher); ok {
		return x.Expire(ctx, key, ttl)
	}
	return false, unsupported("wrap.expire")
}

func (d delegating) Lock(ctx context.Context, key string, lease time.Duration) (string, bool, error) {
	if x, ok := d.Backend.(core.Locker); ok {
		return x.Lock(ctx, key, lease)
	}
	return "", false, unsupported("wrap.lock")
}

func (d delegating) Unlock(ctx context.Context, key, token string) (bool, error) {
	if x, ok := d.Backend.(core.Locker); ok {
		return x.Unlock(ctx, key, token)
	}
	return false, unsupported("wrap.unlock")
}

func (d delegating) GetMany(ctx context.Context, keys []string) ([]core.BatchResult, error) {
	if x, ok := d.Backend.(core.BatchGetter); ok {
		return x.GetMany(ctx, keys)
	}
	return nil, unsupported("wrap.getmany")
}

func (d delegating) SetMany(ctx context.Context, items []core.BatchItem) error {
	if x, ok := d.Backend.(core.BatchSetter); ok {
		return x.SetMany(ctx, items)
	}
	return unsupported("wrap.setmany")
}

func (d delegating) DeleteMany(ctx context.Context, keys []string) error {
	if x, ok := d.Backend.(core.BatchDeleter); ok {
		return x.DeleteMany(ctx, keys)
	}
	return unsupported("wrap.deletemany")
}

// keyBoundEncryptor seals a value by prefixing its storage key, and opens
// only what was sealed for the same key (tests only).
type keyBoundEncryptor struct{}

func (keyBoundEncryptor) Encrypt(p []byte, sk, _ string, _ bool) ([]byte, error) {
	return append([]byte(sk+"|"), p...), nil
}

func (keyBoundEncryptor) Decrypt(c []byte, sk, _ string, _ bool) ([]byte, error) {
	rest, ok := bytes.CutPrefix(c, []byte(sk+"|"))
	if !ok {
		return nil, errors.New("sealed for another key")
	}
	return bytes.Clone(rest), nil
}

func TestClientTTLAndExpire(t *testing.T) {
	for _, name := range []string{"direct", "delegating"} {
		t.Run(name, func(t *testing.T) {
			b := newCapBackend()
			var backend core.Backend = b
			if name == "delegating" {
				backend = delegating{b}
			}
			c := newClient(t, backend, core.WithNamespace("app"))
			ctx := context.Background()
			if err := c.Set(ctx, "k", 1, core.TTL(10*time.Second)); err != nil {
				t.Fatal(err)
			}
			ttl, found, err := c.TTL(ctx, "k")
			if err != nil || !found || ttl != 10*time.Second {
				t.Fatalf("TTL = %v, %v, %v; want 10s, true, nil", ttl, found, err)
			}
			found, err = c.Expire(ctx, "k", 20*time.Second)
			if err != nil || !found {
				t.Fatalf("Expire = %v, %v", found, err)
			}
			if ttl, _, _ := b.TTL(ctx, "ns:app:k"); ttl != 20*time.Second {
				t.Errorf("the storage key's TTL is %v after Expire(20s), want 20s", ttl)
			}
			if found, err := c.Expire(ctx, "missing", time.Second); err != nil || found {
				t.Errorf("Expire of a missing key = %v, %v; want false, nil", found, err)
			}
			if _, found, err := c.TTL(ctx, "missing"); err != nil || found {
				t.Errorf("TTL of a missing key: found=%v, %v", found, err)
			}
			for _, bad := range []time.Duration{0, -time.Second, core.MaxTTL + time.Second} {
				_, err := c.Expire(ctx, "k", bad)
				wantKind(t, err, core.KindInvalidInput)
			}
			_, _, err = c.TTL(ctx, "bad\nkey")
			wantKind(t, err, core.KindInvalidInput)
			if got := c.Stats().Expires; got != 1 {
				t.Errorf("Stats.Expires = %d, want 1", got)
			}
		})
	}
}

// Expire is a write of its key: the object cache drops the key, so the next
// Get reads the backend (and sees the new freshness).
func TestExpireDropsTheObjectCacheEntry(t *testing.T) {
	b := newCapBackend()
	c := newClient(t, b, core.WithObjectCache(100, time.Hour))
	ctx := context.Background()
	_ = c.Set(ctx, "k", 1)
	_, _, _ = core.Get[int](ctx, c, "k")
	if core.ObjectCacheLen(c) != 1 {
		t.Fatalf("object cache holds %d entries, want 1", core.ObjectCacheLen(c))
	}
	if _, err := c.Expire(ctx, "k", time.Second); err != nil {
		t.Fatal(err)
	}
	if core.ObjectCacheLen(c) != 0 {
		t.Errorf("object cache holds %d entries after Expire, want 0", core.ObjectCacheLen(c))
	}
}

// A backend without a capability, or a wrapper whose lower tier lacks it,
// is the client's own KindNotSupported error naming the capability.
func TestMissingCapabilitiesAreNotSupported(t *testing.T) {
	for _, name := range []string{"absent", "delegating"} {
		t.Run(name, func(t *testing.T) {
			var backend core.Backend = newMem()
			if name == "delegating" {
				backend = delegating{backend}
			}
			c := newClient(t, backend)
			ctx := context.Background()
			check := func(op, capability string, err error) {
				t.Helper()
				wantKind(t, err, core.KindNotSupported)
				var ce *core.Error
				_ = errors.As(err, &ce)
				if ce.Op != op || !strings.Contains(err.Error(), capability) {
					t.Errorf("%s: %v; want the client's error (op %q) naming %s", op, err, op, capability)
				}
			}
			_, _, err := c.TTL(ctx, "k")
			check("ttl", "TTLInspector", err)
			_, err = c.Expire(ctx, "k", time.Second)
			check("expire", "TTLRefresher", err)
			l, ok, err := c.Lock(ctx, "k", time.Second)
			check("lock", "Locker", err)
			if l != nil || ok {
				t.Errorf("Lock without Locker returned %v, %v", l, ok)
			}
			if s := c.Stats(); s.Errors != 0 {
				t.Errorf("Stats.Errors = %d: a missing capability is not a backend failure", s.Errors)
			}
		})
	}
}

func TestClientLock(t *testing.T) {
	for _, name := range []string{"direct", "delegating"} {
		t.Run(name, func(t *testing.T) {
			b := newCapBackend()
			var backend core.Backend = b
			if name == "delegating" {
				backend = delegating{b}
			}
			c := newClient(t, backend, core.WithNamespace("jobs"))
			ctx := context.Background()
			l, ok, err := c.Lock(ctx, "nightly", time.Minute)
			if err != nil || !ok || l == nil {
				t.Fatalf("Lock = %v, %v, %v", l, ok, err)
			}
			if got := *b.lastLocked.Load(); got != "ns:jobs:nightly" {
				t.Errorf("the backend locked %q, want the storage key ns:jobs:nightly", got)
			}
			if l.Key() != "nightly" {
				t.Errorf("Key() = %q", l.Key())
			}
			for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
				if s := fmt.Sprintf(verb, l); strings.Contains(s, "tok-") {
					t.Errorf("%s of a Lock shows its token: %s", verb, s)
				}
			}
			if l2, ok, err := c.Lock(ctx, "nightly", time.Minute); err != nil || ok || l2 != nil {
				t.Errorf("a second Lock = %v, %v, %v; want nil, false, nil", l2, ok, err)
			}
			if released, err := l.Unlock(ctx); err != nil || !released {
				t.Errorf("Unlock = %v, %v", released, err)
			}
			if released, err := l.Unlock(ctx); err != nil || released {
				t.Errorf("a second Unlock = %v, %v; want false, nil", released, err)
			}
			if _, ok, _ := c.Lock(ctx, "nightly", time.Minute); !ok {
				t.Error("Lock after Unlock was not acquired")
			}
			for _, bad := range []time.Duration{0, -time.Second, core.MaxLockLease + time.Millisecond} {
				_, _, err := c.Lock(ctx, "other", bad)
				wantKind(t, err, core.KindInvalidInput)
			}
			_, _, err = c.Lock(ctx, "", time.Second)
			wantKind(t, err, core.KindInvalidInput)
			if s := c.Stats(); s.Locks != 2 || s.LocksBusy != 1 {
				t.Errorf("Stats.Locks, LocksBusy = %d, %d; want 2, 1", s.Locks, s.LocksBusy)
			}
			var zero *core.Lock
			_, err = zero.Unlock(ctx)
			wantKind(t, err, core.KindInvalidInput)
		})
	}
}

// The batch calls use the backend's batch capability when it has one, and
// per-key calls when it does not or a delegating wrapper says it does not.
func TestBatchesUseTheCapabilityOrFallBack(t *testing.T) {
	for _, name := range []string{"batch", "absent", "delegating-absent"} {
		t.Run(name, func(t *testing.T) {
			var (
				backend core.Backend
				b       *capBackend
				m       *memBackend
			)
			switch name {
			case "batch":
				b = newCapBackend()
				backend, m = b, b.memBackend
			case "absent":
				m = newMem()
				backend = m
			default:
				m = newMem()
				backend = delegating{m}
			}
			c := newClient(t, backend, core.WithNamespace("n"), core.WithEncryptor(keyBoundEncryptor{}))
			ctx := context.Background()
			if err := c.SetMany(ctx, map[string]any{"a": "A", "b": "B", "c": "C"}, core.TTL(time.Minute)); err != nil {
				t.Fatal(err)
			}
			raw, ok := m.raw("ns:n:a")
			if !ok || !bytes.HasPrefix(raw, []byte("ns:n:a|")) {
				t.Fatalf("a is stored as %q: want it sealed for its own storage key", raw)
			}
			gets := m.gets.Load()
			got, err := core.GetMany[string](ctx, c, []string{"a", "b", "missing", "a"})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got["a"] != "A" || got["b"] != "B" {
				t.Errorf("GetMany = %v; want a and b only", got)
			}
			if err := c.DeleteMany(ctx, []string{"a", "c", "a", "never"}); err != nil {
				t.Fatal(err)
			}
			got, err = core.GetMany[string](ctx, c, []string{"a", "b", "c"})
			if err != nil || len(got) != 1 || got["b"] != "B" {
				t.Errorf("GetMany after DeleteMany = %v, %v; want b only", got, err)
			}
			perKeyGets := m.gets.Load() - gets
			if b != nil {
				if b.batchSets.Load() != 1 || b.batchGets.Load() != 2 || b.batchDels.Load() != 1 {
					t.Errorf("batch calls: sets %d, gets %d, deletes %d; want 1, 2, 1",
						b.batchSets.Load(), b.batchGets.Load(), b.batchDels.Load())
				}
				if m.sets.Load() != 3 || perKeyGets != 6 { // the fake's batches call its own Set and Get
					t.Errorf("backend sets %d, gets %d", m.sets.Load(), perKeyGets)
				}
			} else if m.sets.Load() != 3 || perKeyGets != 6 { // 3 distinct keys, twice
				t.Errorf("per-key fallback: %d sets, %d gets; want 3, 6", m.sets.Load(), perKeyGets)
			}
			s := c.Stats()
			if s.Sets != 3 || s.Deletes != 3 || s.Hits != 3 || s.Misses != 3 || s.Errors != 0 {
				t.Errorf("Stats: sets %d deletes %d hits %d misses %d errors %d; want 3 3 3 3 0",
					s.Sets, s.Deletes, s.Hits, s.Misses, s.Errors)
			}
		})
	}
}

// Every key is validated, and every value encoded and bounded, before any
// I/O: a bad item fails the whole call and nothing is read or written.
func TestBatchesValidateBeforeIO(t *testing.T) {
	b := newCapBackend()
	c := newClient(t, b, core.WithMaxPayload(16))
	ctx := context.Background()
	_, err := core.GetMany[int](ctx, c, []string{"ok", "bad\x00"})
	wantKind(t, err, core.KindInvalidInput)
	wantKind(t, c.SetMany(ctx, map[string]any{"ok": 1, "": 2}), core.KindInvalidInput)
	wantKind(t, c.SetMany(ctx, map[string]any{"ok": 1, "big": strings.Repeat("x", 64)}), core.KindPayloadTooLarge)
	wantKind(t, c.SetMany(ctx, map[string]any{"ok": 1, "chan": make(chan int)}), core.KindSerialization)
	wantKind(t, c.DeleteMany(ctx, []string{"ok", strings.Repeat("k", core.MaxKeyLen+1)}), core.KindInvalidInput)
	if b.gets.Load()+b.sets.Load()+b.batchGets.Load()+b.batchSets.Load()+b.batchDels.Load() != 0 {
		t.Errorf("a batch with a bad item reached the backend")
	}
	// Empty batches are no-ops.
	if got, err := core.GetMany[int](ctx, c, nil); err != nil || len(got) != 0 {
		t.Errorf("GetMany(nil) = %v, %v", got, err)
	}
	if err := c.SetMany(ctx, nil); err != nil {
		t.Error(err)
	}
	if err := c.DeleteMany(ctx, nil); err != nil {
		t.Error(err)
	}
}

// A stored value over the payload limit, or one that does not decode, fails
// GetMany as it fails Get.
func TestGetManyFailsClosed(t *testing.T) {
	for _, batch := range []bool{true, false} {
		b := newCapBackend()
		var backend core.Backend = b.memBackend
		if batch {
			backend = b
		}
		c := newClient(t, backend, core.WithEncryptor(keyBoundEncryptor{}))
		ctx := context.Background()
		_ = c.Set(ctx, "a", 1)
		_ = c.Set(ctx, "b", 2)
		raw, _ := b.raw("a")
		_ = b.memBackend.Set(ctx, "b", raw, time.Minute) // a's ciphertext under b
		_, err := core.GetMany[int](ctx, c, []string{"a", "b"})
		wantKind(t, err, core.KindEncryption)
	}
}

// The object cache stays coherent with this client's batch writes: a
// SetMany or DeleteMany is seen by the next Get.
func TestBatchWritesKeepTheObjectCacheCoherent(t *testing.T) {
	for _, batch := range []bool{true, false} {
		b := newCapBackend()
		var backend core.Backend = b.memBackend
		if batch {
			backend = b
		}
		c := newClient(t, backend, core.WithObjectCache(100, time.Hour))
		ctx := context.Background()
		_ = c.Set(ctx, "k", "v1")
		if v, _, _ := core.Get[string](ctx, c, "k"); v != "v1" {
			t.Fatalf("Get = %q", v)
		}
		if err := c.SetMany(ctx, map[string]any{"k": "v2"}); err != nil {
			t.Fatal(err)
		}
		if v, _, _ := core.Get[string](ctx, c, "k"); v != "v2" {
			t.Errorf("batch=%v: Get after SetMany = %q, want v2", batch, v)
		}
		got, _ := core.GetMany[string](ctx, c, []string{"k"})
		if got["k"] != "v2" {
			t.Errorf("batch=%v: GetMany after SetMany = %v", batch, got)
		}
		if err := c.DeleteMany(ctx, []string{"k"}); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := core.Get[string](ctx, c, "k"); found {
			t.Errorf("batch=%v: Get after DeleteMany found the key", batch)
		}
		if got, _ := core.GetMany[string](ctx, c, []string{"k"}); len(got) != 0 {
			t.Errorf("batch=%v: GetMany after DeleteMany = %v", batch, got)
		}
	}
}

// The entry points retry like Get and Set, and count a failure that is not
// a missing capability in Stats.Errors.
func TestCapabilityCallsRetryAndCountErrors(t *testing.T) {
	b := newCapBackend()
	c := newClient(t, b, core.WithRetries(2, 0))
	ctx := context.Background()
	_ = c.Set(ctx, "k", 1, core.TTL(time.Minute))
	b.failTTL.Store(2)
	if ttl, found, err := c.TTL(ctx, "k"); err != nil || !found || ttl != time.Minute {
		t.Fatalf("TTL after two transient failures = %v, %v, %v", ttl, found, err)
	}
	if s := c.Stats(); s.Retries != 2 || s.Errors != 0 {
		t.Errorf("Stats.Retries, Errors = %d, %d; want 2, 0", s.Retries, s.Errors)
	}
	b.failTTL.Store(3)
	_, _, err := c.TTL(ctx, "k")
	wantKind(t, err, core.KindTransient)
	if s := c.Stats(); s.Errors != 1 {
		t.Errorf("Stats.Errors = %d after a failed TTL, want 1", s.Errors)
	}
}
