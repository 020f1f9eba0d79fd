package redis_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	redis "github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
	goredis "github.com/redis/go-redis/v9"
)

// event is one call of a recorder: keys for Invalidated, reset for Reset.
type event struct {
	keys  []string
	reset bool
	live  bool
}

func (e event) String() string {
	if e.reset {
		if e.live {
			return "reset(live)"
		}
		return "reset(lost)"
	}
	return "invalidated(" + strings.Join(e.keys, ",") + ")"
}

// recorder is a tier.InvalidationWatcher that queues what it is told.
type recorder struct{ ch chan event }

func newRecorder() *recorder { return &recorder{ch: make(chan event, 4096)} }

func (r *recorder) Invalidated(keys []string) { r.ch <- event{keys: slices.Clone(keys)} }
func (r *recorder) Reset(live bool)           { r.ch <- event{reset: true, live: live} }

// await consumes events until one satisfies ok, and fails t after within
// (0: only what is already queued).
func (r *recorder) await(t *testing.T, what string, within time.Duration, ok func(event) bool) {
	t.Helper()
	deadline := time.After(max(within, time.Millisecond))
	var seen []string
	for {
		select {
		case e := <-r.ch:
			if ok(e) {
				return
			}
			seen = append(seen, e.String())
		case <-deadline:
			t.Fatalf("no %s within %v; saw %v", what, within, seen)
		}
	}
}

// quiet fails t if any event arrives within d.
func (r *recorder) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case e := <-r.ch:
		t.Fatalf("unexpected %v", e)
	case <-time.After(d):
	}
}

func isReset(live bool) func(event) bool {
	return func(e event) bool { return e.reset && e.live == live }
}

func hasKey(k string) func(event) bool {
	return func(e event) bool { return slices.Contains(e.keys, k) }
}

// watchLive starts a backend on opts and a watch on it, waits until the
// watch is live and returns both (the backend is closed when t ends).
func watchLive(t *testing.T, conn redis.Options, opts ...redis.Option) (*redis.Backend, *recorder, func()) {
	t.Helper()
	b, err := redis.New(conn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	rec := newRecorder()
	stop, err := b.WatchInvalidations(rec)
	if err != nil {
		t.Fatal(err)
	}
	rec.await(t, "reset(live)", 3*time.Second, isReset(true))
	return b, rec, stop
}

// newStack returns an in-memory tier over a new backend on url, composed
// with opts; the test's cleanup closes both.
func newStack(t *testing.T, url string, opts ...compose.Option) *compose.Backend {
	t.Helper()
	rb, err := redis.New(redis.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	s, err := compose.New(memory.New(), rb, opts...)
	if err != nil {
		_ = rb.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() }) // closes rb too
	return s
}

// awaitSubscribers waits until want connections subscribe to the
// invalidation channel (Redis drops a closed connection's subscription
// asynchronously), and fails t after 3 s.
func awaitSubscribers(t *testing.T, c *goredis.Client, want int64) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		n, err := c.PubSubNumSub(context.Background(), "__redis__:invalidate").Result()
		if err != nil {
			t.Fatal(err)
		}
		got := n["__redis__:invalidate"]
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d subscribers to the invalidation channel after 3s, want %d", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Redis reports writes, deletes and expiries made by any client, a flush
// as a reset, and a killed connection as a reset followed by a new live
// watch; after stop, nothing.
func TestWatchInvalidations(t *testing.T) {
	ctx := context.Background()
	r := rig.StartRedis(t)
	b, rec, stop := watchLive(t, redis.Options{URL: r.URL()}, redis.WithInvalidationPing(200*time.Millisecond))
	other := goredis.NewClient(&goredis.Options{Addr: r.Addr})
	defer other.Close()
	const within = 3 * time.Second

	if err := other.Set(ctx, "wi:a", "1", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	rec.await(t, "a write by another client", within, hasKey("wi:a"))
	if err := b.Set(ctx, "wi:own", []byte("1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	rec.await(t, "a write through the backend", within, hasKey("wi:own"))
	if err := other.Del(ctx, "wi:a").Err(); err != nil {
		t.Fatal(err)
	}
	rec.await(t, "a delete", within, hasKey("wi:a"))
	if err := other.Set(ctx, "wi:exp", "1", 100*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	rec.await(t, "the write", within, hasKey("wi:exp"))
	rec.await(t, "the expiry", within, hasKey("wi:exp"))

	// A flush names no keys: everything is reset, and the watch goes on.
	if err := other.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	rec.await(t, "reset(lost) after FLUSHALL", within, isReset(false))
	rec.await(t, "reset(live) after FLUSHALL", within, isReset(true))

	// A killed connection: lost, then live again on a new one that reports.
	if err := other.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	rec.await(t, "reset(lost) after CLIENT KILL", within, isReset(false))
	rec.await(t, "reset(live) after CLIENT KILL", within, isReset(true))
	if err := other.Set(ctx, "wi:b", "1", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	rec.await(t, "a write after the reconnection", within, hasKey("wi:b"))

	stop() // ends with reset(lost): the watcher must not count on it any more
	rec.await(t, "reset(lost) from stop", 0, isReset(false))
	if err := other.Set(ctx, "wi:c", "1", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	rec.quiet(t, 300*time.Millisecond)
	awaitSubscribers(t, other, 0)
	stop() // a second stop is harmless
}

// WithInvalidationPrefixes narrows the keys reported.
func TestWatchInvalidationsPrefixes(t *testing.T) {
	ctx := context.Background()
	r := rig.StartRedis(t)
	b, rec, _ := watchLive(t, redis.Options{URL: r.URL()}, redis.WithInvalidationPrefixes("ns:a:", "ns:b:"))
	for _, k := range []string{"ns:c:1", "other", "ns:b:1"} {
		if err := b.Set(ctx, k, []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case e := <-rec.ch:
		if !slices.Equal(e.keys, []string{"ns:b:1"}) {
			t.Fatalf("first report %v, want only ns:b:1", e)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no report of ns:b:1")
	}
	// Close stops the watch: a last reset(lost), then nothing.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	rec.await(t, "reset(lost) from Close", 0, isReset(false))
	rec.quiet(t, 200*time.Millisecond)
}

// A server that stops answering is noticed by the ping: lost, then live
// again once it answers.
func TestWatchInvalidationsFrozenServer(t *testing.T) {
	t.Parallel() // mostly waiting
	r := rig.StartRedis(t)
	_, rec, _ := watchLive(t, redis.Options{URL: r.URL(), DialTimeout: time.Second}, redis.WithInvalidationPing(200*time.Millisecond))
	r.Pause(t)
	start := time.Now()
	rec.await(t, "reset(lost) while frozen", 3*time.Second, isReset(false))
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the loss was noticed after %v, want about 2 pings (400ms)", took)
	}
	r.Unpause(t)
	rec.await(t, "reset(live) after unpausing", 10*time.Second, isReset(true))
}

// Without a server a watch never goes live, and stopping it is prompt.
func TestWatchInvalidationsNoServer(t *testing.T) {
	b, err := redis.New(redis.Options{Addrs: []string{"127.0.0.1:1"}, DialTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	rec := newRecorder()
	stop, err := b.WatchInvalidations(rec)
	if err != nil {
		t.Fatal(err)
	}
	rec.quiet(t, 500*time.Millisecond)
	start := time.Now()
	stop()
	if took := time.Since(start); took > time.Second {
		t.Errorf("stop took %v", took)
	}
}

// A Ring cannot be watched, and a closed backend cannot start a watch;
// neither needs a server.
func TestWatchInvalidationsUnsupported(t *testing.T) {
	ring := goredis.NewRing(&goredis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}})
	defer ring.Close()
	wr, err := redis.Wrap(ring)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wr.WatchInvalidations(newRecorder()); core.KindOf(err) != core.KindNotSupported {
		t.Errorf("ring: %v, want KindNotSupported", err)
	}
	b, err := redis.New(redis.Options{Addrs: []string{"127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.WatchInvalidations(nil); core.KindOf(err) != core.KindInvalidInput {
		t.Errorf("nil watcher: %v, want KindInvalidInput", err)
	}
	_ = b.Close()
	if _, err := b.WatchInvalidations(newRecorder()); core.KindOf(err) != core.KindPermanent {
		t.Errorf("closed backend: %v, want KindPermanent", err)
	}
}

// Two processes' stacks over one Redis: a write through one drops the
// other's L1 copy, and a composition with invalidations off keeps serving
// its copy until it expires.
func TestCrossProcessInvalidation(t *testing.T) {
	ctx := context.Background()
	r := rig.StartRedis(t)
	reader, writer, blind := newStack(t, r.URL()), newStack(t, r.URL()), newStack(t, r.URL(), compose.WithInvalidation(false))
	waitLive(t, reader, true)
	waitLive(t, writer, true)
	waitLive(t, blind, false)
	if err := writer.Set(ctx, "xp:k", []byte("v1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	// The report of that write reaches the reader too; let it pass first, or
	// it would drop the copy made next.
	deadline := time.Now().Add(3 * time.Second)
	for reader.Invalidations().Keys == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the reader got no report of the first write")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, s := range []*compose.Backend{reader, blind} {
		if e, ok, err := s.Get(ctx, "xp:k"); err != nil || !ok || string(e.Value) != "v1" {
			t.Fatalf("Get = %q %v %v", e.Value, ok, err)
		}
		if _, ok, _ := s.Upper().Get(ctx, "xp:k"); !ok {
			t.Fatal("no L1 copy after the read")
		}
	}
	if err := writer.Set(ctx, "xp:k", []byte("v2"), time.Minute); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(3 * time.Second)
	for {
		e, _, err := reader.Get(ctx, "xp:k")
		if err != nil {
			t.Fatal(err)
		}
		v := e.Value
		if string(v) == "v2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reader still serves %q 3s after another process's write", v)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if e, _, _ := blind.Get(ctx, "xp:k"); string(e.Value) != "v1" {
		t.Fatalf("without invalidations the L1 copy is %q; want the old v1 until it expires", e.Value)
	}
}

// Read-through of a value another process wrote, on the production shape:
// the reader's L1 copy is kept for the backfill cap but is not mistaken for
// an old value, so stale-while-revalidate never reloads it (before
// tier.CopySetter every read of such a copy started a background load).
func TestCrossProcessReadThrough(t *testing.T) {
	ctx := context.Background()
	r := rig.StartRedis(t)
	for _, live := range []bool{true, false} {
		t.Run(fmt.Sprintf("invalidations=%v", live), func(t *testing.T) {
			ws, rs := newStack(t, r.URL(), compose.WithInvalidation(live)), newStack(t, r.URL(), compose.WithInvalidation(live))
			waitLive(t, ws, live)
			waitLive(t, rs, live)
			opts := []core.Option{core.WithCodec(stringCodec{}), core.WithStaleWhileRevalidate(true), core.WithDefaultTTL(time.Hour)}
			writer, err := core.New(ws, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer writer.Close()
			reader, err := core.New(rs, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer reader.Close()
			key := fmt.Sprintf("xprt:%v", live)
			if err := writer.Set(ctx, key, "v"); err != nil {
				t.Fatal(err)
			}
			for range 20 {
				v, err := core.GetOrLoad(ctx, reader, key, func(context.Context) (string, error) { return "loaded", nil })
				if err != nil || v != "v" {
					t.Fatalf("GetOrLoad = %q %v", v, err)
				}
				time.Sleep(2 * time.Millisecond)
			}
			if err := reader.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			if s := reader.Stats(); s.Loads != 0 || s.Refreshes != 0 || s.StaleServed != 0 {
				t.Errorf("reader stats %+v: the value was reloaded", s)
			}
		})
	}
}

// A client never changes the stack it is given: one with the minimal
// preset leaves the stack's watch on for the other clients of the stack.
// The minimal preset's "no invalidation" (PRE-8) is chosen where its stack
// is built, with compose.WithInvalidation(false), which subscribes to
// nothing.
func TestMinimalPresetLeavesSharedWatch(t *testing.T) {
	r := rig.StartRedis(t)
	stack := newStack(t, r.URL())
	waitLive(t, stack, true)
	other := goredis.NewClient(&goredis.Options{Addr: r.Addr})
	defer other.Close()
	awaitSubscribers(t, other, 1)
	cl, err := core.New(stack, core.WithCodec(stringCodec{}), core.WithPreset(core.PresetMinimal))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if st := stack.Invalidations(); !st.Watching || !st.Live {
		t.Fatalf("after a minimal client: %+v, want the stack still watching, live", st)
	}
	off := newStack(t, r.URL(), compose.WithInvalidation(false))
	if st := off.Invalidations(); st.Watching {
		t.Fatalf("a stack built with WithInvalidation(false): %+v", st)
	}
	awaitSubscribers(t, other, 1)
}
