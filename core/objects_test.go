package core_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// hookBackend wraps memBackend: it can block a Get after the read (so that
// a write can land while the read is under way) and can mark reads stale.
type hookBackend struct {
	*memBackend
	mu        sync.Mutex
	afterRead func()
	stale     bool
}

func (h *hookBackend) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	e, ok, err := h.memBackend.Get(ctx, key)
	h.mu.Lock()
	hook, stale := h.afterRead, h.stale
	h.afterRead = nil
	h.mu.Unlock()
	if hook != nil {
		hook()
	}
	if stale {
		e.Freshness = core.Freshness{Known: true, Stale: true}
	}
	return e, ok, err
}

func objClient(t *testing.T, b core.Backend, maxAge time.Duration, opts ...core.Option) *core.Client {
	t.Helper()
	return newClient(t, b, append([]core.Option{core.WithObjectCache(1000, maxAge)}, opts...)...)
}

func TestObjectCacheAnswersRepeatedReads(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := objClient(t, m, time.Hour)
	if err := c.Set(ctx, "u:1", user{1, "Ada"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		got, found, err := core.Get[user](ctx, c, "u:1")
		if err != nil || !found || got != (user{1, "Ada"}) {
			t.Fatalf("read %d: %v %v %v", i, got, found, err)
		}
	}
	if n := m.gets.Load(); n != 1 {
		t.Fatalf("backend reads = %d, want 1 (then object-cache hits)", n)
	}
	s := c.Stats()
	if s.ObjectHits != 2 || s.Hits != 1 {
		t.Fatalf("stats: ObjectHits=%d Hits=%d, want 2 and 1", s.ObjectHits, s.Hits)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, found, _ := core.Get[user](ctx, c, "u:1"); !found {
			t.Fatal("miss")
		}
	})
	if allocs != 0 {
		t.Fatalf("object-cache hit allocates %v times, want 0", allocs)
	}
	// A namespaced view builds its storage key on the stack: still no
	// allocation, and it does not see the root namespace's entry.
	v, err := c.Namespace("users")
	if err != nil {
		t.Fatal(err)
	}
	if _, found, _ := core.Get[user](ctx, v, "u:1"); found {
		t.Fatal("namespace view read the root namespace's value")
	}
	if err := v.Set(ctx, "u:1", user{2, "Bob"}); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := core.Get[user](ctx, v, "u:1"); got.Name != "Bob" {
		t.Fatalf("namespaced read = %v", got)
	}
	allocs = testing.AllocsPerRun(100, func() {
		if got, found, _ := core.Get[user](ctx, v, "u:1"); !found || got.Name != "Bob" {
			t.Fatal("namespaced miss")
		}
	})
	if allocs != 0 {
		t.Fatalf("namespaced object-cache hit allocates %v times, want 0", allocs)
	}
	if got, _, _ := core.Get[user](ctx, c, "u:1"); got.Name != "Ada" {
		t.Fatalf("root read after namespaced write = %v", got)
	}
}

func TestObjectCacheReadsOwnWrites(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := objClient(t, m, time.Hour)
	v, _ := c.Namespace("team")
	for _, cl := range []*core.Client{c, v} {
		for i := 0; i < 5; i++ {
			if err := cl.Set(ctx, "k", i); err != nil {
				t.Fatal(err)
			}
			if got, found, err := core.Get[int](ctx, cl, "k"); err != nil || !found || got != i {
				t.Fatalf("after Set(%d): %v %v %v", i, got, found, err)
			}
			if got, _, _ := core.Get[int](ctx, cl, "k"); got != i {
				t.Fatalf("second read after Set(%d) = %d", i, got)
			}
		}
		if err := cl.Delete(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if _, found, err := core.Get[int](ctx, cl, "k"); found || err != nil {
			t.Fatalf("after Delete: found=%v err=%v", found, err)
		}
	}
}

// A read that saw the old value while a Set landed must not cache it.
func TestObjectCacheReadRacingAWriteDoesNotCacheOldValue(t *testing.T) {
	ctx := context.Background()
	h := &hookBackend{memBackend: newMem()}
	c := objClient(t, h, time.Hour)
	if err := c.Set(ctx, "k", "old"); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.afterRead = func() {
		if err := c.Set(ctx, "k", "new"); err != nil {
			t.Error(err)
		}
	}
	h.mu.Unlock()
	got, _, err := core.Get[string](ctx, c, "k")
	if err != nil || got != "old" {
		t.Fatalf("racing read = %q %v, want the value it read (old)", got, err)
	}
	if got, _, _ := core.Get[string](ctx, c, "k"); got != "new" {
		t.Fatalf("read after the racing write = %q, want new", got)
	}
	// The same with Delete.
	if err := c.Set(ctx, "k", "again"); err != nil { // empties the entry: the next read goes to the backend
		t.Fatal(err)
	}
	h.mu.Lock()
	h.afterRead = func() { _ = c.Delete(ctx, "k") }
	h.mu.Unlock()
	if got, _, _ := core.Get[string](ctx, c, "k"); got != "again" {
		t.Fatalf("racing read = %q", got)
	}
	if _, found, _ := core.Get[string](ctx, c, "k"); found {
		t.Fatal("a read racing a Delete cached the deleted value")
	}
}

func TestObjectCacheBoundsLifetime(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := objClient(t, m, 40*time.Millisecond)
	other := newClient(t, m) // another process: same store, no object cache
	if err := c.Set(ctx, "k", "v1"); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := core.Get[string](ctx, c, "k"); got != "v1" {
		t.Fatal(got)
	}
	if err := other.Set(ctx, "k", "v2"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _, _ := core.Get[string](ctx, c, "k")
		if got == "v2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("another writer's value never became visible")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// The backend's freshness bounds the entry too: a value with 1 s left is
	// re-read from the backend after that second, whatever maxAge says.
	long := objClient(t, m, time.Hour)
	if err := long.Set(ctx, "short", "s", core.TTL(time.Second)); err != nil {
		t.Fatal(err)
	}
	_, _, _ = core.Get[string](ctx, long, "short")
	before := m.gets.Load()
	_, _, _ = core.Get[string](ctx, long, "short")
	if m.gets.Load() != before {
		t.Fatal("second read went to the backend")
	}
	time.Sleep(1100 * time.Millisecond)
	_, _, _ = core.Get[string](ctx, long, "short")
	if m.gets.Load() != before+1 {
		t.Fatal("read after the backend's freshness ran out did not go to the backend")
	}
}

func TestObjectCacheSkipsStaleAndOtherTypes(t *testing.T) {
	ctx := context.Background()
	h := &hookBackend{memBackend: newMem(), stale: true}
	c := objClient(t, h, time.Hour)
	if err := c.Set(ctx, "k", user{1, "Ada"}); err != nil {
		t.Fatal(err)
	}
	_, _, _ = core.Get[user](ctx, c, "k")
	_, _, _ = core.Get[user](ctx, c, "k")
	if n := h.gets.Load(); n != 2 {
		t.Fatalf("stale value was cached: backend reads = %d, want 2", n)
	}
	if core.ObjectCacheLen(c) != 0 {
		t.Fatal("stale value in the object cache")
	}
	h.mu.Lock()
	h.stale = false
	h.mu.Unlock()
	_, _, _ = core.Get[user](ctx, c, "k")
	m, found, err := core.Get[map[string]any](ctx, c, "k")
	if err != nil || !found || m["name"] != "Ada" {
		t.Fatalf("read as another type = %v %v %v", m, found, err)
	}
	if n := h.gets.Load(); n != 4 {
		t.Fatalf("a read as another type must decode from the backend: reads = %d, want 4", n)
	}
}

func TestObjectCacheGetOrLoad(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := objClient(t, m, time.Hour)
	loads := 0
	load := func(context.Context) (user, error) { loads++; return user{7, "Lin"}, nil }
	for i := 0; i < 3; i++ {
		got, err := core.GetOrLoad(ctx, c, "u:7", load)
		if err != nil || got != (user{7, "Lin"}) {
			t.Fatalf("GetOrLoad = %v %v", got, err)
		}
	}
	// load, then a backend read that fills the object cache, then a hit.
	if loads != 1 || m.gets.Load() != 2 || c.Stats().ObjectHits != 1 {
		t.Fatalf("loads=%d backend reads=%d object hits=%d", loads, m.gets.Load(), c.Stats().ObjectHits)
	}
	if err := c.Set(ctx, "u:7", user{7, "Lin II"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := core.GetOrLoad(ctx, c, "u:7", load); got.Name != "Lin II" {
		t.Fatalf("GetOrLoad after Set = %v", got)
	}
}

func TestObjectCacheEvictionAndClose(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := newClient(t, m, core.WithObjectCache(64, time.Hour))
	for i := 0; i < 1000; i++ {
		k := "k" + strconv.Itoa(i)
		if err := c.Set(ctx, k, i); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := core.Get[int](ctx, c, k); got != i {
			t.Fatalf("%s = %d", k, got)
		}
	}
	if n := core.ObjectCacheLen(c); n == 0 || n > 64 {
		t.Fatalf("object cache holds %d entries, want 1..64", n)
	}
	// Every value is still right, whether evicted or not.
	for i := 0; i < 1000; i += 37 {
		if got, _, _ := core.Get[int](ctx, c, "k"+strconv.Itoa(i)); got != i {
			t.Fatalf("k%d = %d", i, got)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := core.ObjectCacheLen(c); n != 0 {
		t.Fatalf("after Close the object cache holds %d entries", n)
	}
	_, _, _ = core.Get[int](ctx, c, "k1")
	if n := core.ObjectCacheLen(c); n != 0 {
		t.Fatal("a read after Close filled the object cache")
	}
}

type nopEncryptor struct{}

func (nopEncryptor) Encrypt(p []byte, _, _ string, _ bool) ([]byte, error) { return p, nil }
func (nopEncryptor) Decrypt(p []byte, _, _ string, _ bool) ([]byte, error) { return p, nil }

func TestObjectCacheOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []core.Option
	}{
		{"no entries", []core.Option{core.WithObjectCache(0, time.Second)}},
		{"negative entries", []core.Option{core.WithObjectCache(-1, time.Second)}},
		{"zero age", []core.Option{core.WithObjectCache(10, 0)}},
		{"age over a day", []core.Option{core.WithObjectCache(10, 25*time.Hour)}},
		{"with encryption", []core.Option{core.WithObjectCache(10, time.Second), core.WithEncryptor(nopEncryptor{})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := core.New(newMem(), append([]core.Option{core.WithCodec(jsonCodec{})}, tc.opts...)...)
			wantKind(t, err, core.KindConfig)
		})
	}
	// Invalid keys are still rejected on the object-cache path.
	c := objClient(t, newMem(), time.Second)
	_, _, err := core.Get[int](context.Background(), c, "")
	wantKind(t, err, core.KindInvalidInput)
	_, err = core.GetOrLoad(context.Background(), c, "bad\x00key", func(context.Context) (int, error) { return 1, nil })
	wantKind(t, err, core.KindInvalidInput)
}

func TestObjectCacheConcurrentReadersAndWriter(t *testing.T) {
	ctx := context.Background()
	c := objClient(t, newMem(), time.Hour)
	if err := c.Set(ctx, "k", 0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := -1
			for {
				select {
				case <-stop:
					return
				default:
				}
				v, _, err := core.Get[int](ctx, c, "k")
				if err != nil {
					t.Error(err)
					return
				}
				_ = last
				last = v
			}
		}()
	}
	for i := 1; i <= 300; i++ {
		if err := c.Set(ctx, "k", i); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := core.Get[int](ctx, c, "k"); got != i {
			close(stop)
			wg.Wait()
			t.Fatalf("writer read %d after Set(%d)", got, i)
		}
	}
	close(stop)
	wg.Wait()
}

// TestObjectCacheKeepsHotKeysThroughAScan: keys read again and again stay
// cached while a scan of many keys read once passes through a full object
// cache (S3-FIFO sends the one-time keys out through its small queue).
// Under the random eviction this replaced, a hot key survived the scan
// with a probability of about 2 %.
func TestObjectCacheKeepsHotKeysThroughAScan(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := newClient(t, m, core.WithObjectCache(1280, time.Hour))
	const hot, scan = 200, 5000
	for i := range scan {
		if err := c.Set(ctx, "k"+strconv.Itoa(i), i); err != nil {
			t.Fatal(err)
		}
	}
	read := func(i int) {
		t.Helper()
		got, found, err := core.Get[int](ctx, c, "k"+strconv.Itoa(i))
		if err != nil || !found || got != i {
			t.Fatalf("k%d: %v %v %v", i, got, found, err)
		}
	}
	for range 3 {
		for i := range hot {
			read(i)
		}
	}
	for i := hot; i < scan; i++ {
		read(i)
	}
	before := m.gets.Load()
	for i := range hot {
		read(i)
	}
	if missed := m.gets.Load() - before; missed > hot/10 {
		t.Fatalf("%d of %d hot keys were evicted by a scan of keys read once", missed, hot)
	}
}

// TestObjectCacheStaysBounded: however keys come and go (reads, Sets that
// drop entries, Deletes), the object cache holds at most its bound.
func TestObjectCacheStaysBounded(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := newClient(t, m, core.WithObjectCache(640, time.Hour))
	for i := range 20000 {
		k := "k" + strconv.Itoa(i%3000)
		switch i % 7 {
		case 0:
			if err := c.Set(ctx, k, i); err != nil {
				t.Fatal(err)
			}
		case 1:
			if err := c.Delete(ctx, k); err != nil {
				t.Fatal(err)
			}
		default:
			if _, _, err := core.Get[int](ctx, c, k); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := core.ObjectCacheLen(c); n > 640 || n == 0 {
		t.Fatalf("object cache holds %d entries, bound 640", n)
	}
	// Sets and Deletes leave dead slots in the eviction queues; they are
	// compacted away rather than piling up.
	if slots, entries := core.ObjectQueueSlots(c); slots > 2*entries+2*64*64 {
		t.Fatalf("eviction queues hold %d slots for %d entries", slots, entries)
	}
}

// TestObjectCacheQueuesStayBoundedUnderChurn: a key written and read over
// and over in a cache that never fills leaves no trail of dead queue
// slots (each Set drops the entry, each read inserts it again).
func TestObjectCacheQueuesStayBoundedUnderChurn(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, newMem(), core.WithObjectCache(64000, time.Hour))
	for i := range 50000 {
		if err := c.Set(ctx, "k", i); err != nil {
			t.Fatal(err)
		}
		if _, _, err := core.Get[int](ctx, c, "k"); err != nil {
			t.Fatal(err)
		}
	}
	if slots, entries := core.ObjectQueueSlots(c); entries != 1 || slots > 2*64+2 {
		t.Fatalf("after 50000 Set+Get of one key: %d queue slots, %d entries", slots, entries)
	}
}
