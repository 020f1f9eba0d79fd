package core_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// leaseBackend is a memBackend with leased locks on the real clock, as
// Redis keeps them (SET NX PX), and a switch to make Lock fail.
type leaseBackend struct {
	*memBackend
	lmu          sync.Mutex
	locks        map[string]leaseLock
	n            atomic.Int64
	lockErr      atomic.Pointer[error]
	lockHang     atomic.Bool  // Lock blocks until its context ends
	unlockHang   atomic.Bool  // Unlock blocks until its context ends
	lockLost     atomic.Bool  // Lock takes the lock but reports a transient failure
	unlockBudget atomic.Int64 // the time left to the last Unlock's deadline, at its call
	lockTry      atomic.Int64
	unlocked     atomic.Int64
}

type leaseLock struct {
	token string
	until time.Time
}

func newLeaseBackend() *leaseBackend {
	return &leaseBackend{memBackend: newMem(), locks: map[string]leaseLock{}}
}

func (b *leaseBackend) Lock(ctx context.Context, key string, lease time.Duration) (string, bool, error) {
	b.lockTry.Add(1)
	if b.lockHang.Load() {
		<-ctx.Done()
		return "", false, ctx.Err()
	}
	if p := b.lockErr.Load(); p != nil {
		return "", false, *p
	}
	b.lmu.Lock()
	defer b.lmu.Unlock()
	if l, held := b.locks[key]; held && time.Now().Before(l.until) {
		return "", false, nil
	}
	tok := fmt.Sprintf("tok-%d", b.n.Add(1))
	b.locks[key] = leaseLock{token: tok, until: time.Now().Add(lease)}
	if b.lockLost.Load() {
		return "", false, errTransient
	}
	return tok, true, nil
}

func (b *leaseBackend) Unlock(ctx context.Context, key, token string) (bool, error) {
	if dl, ok := ctx.Deadline(); ok {
		b.unlockBudget.Store(int64(time.Until(dl)))
	}
	if b.unlockHang.Load() {
		<-ctx.Done()
		return false, ctx.Err()
	}
	b.lmu.Lock()
	defer b.lmu.Unlock()
	if l, ok := b.locks[key]; !ok || l.token != token {
		return false, nil
	}
	delete(b.locks, key)
	b.unlocked.Add(1)
	return true, nil
}

// held reports whether somebody holds the lock of key.
func (b *leaseBackend) held(key string) bool {
	b.lmu.Lock()
	defer b.lmu.Unlock()
	l, ok := b.locks[key]
	return ok && time.Now().Before(l.until)
}

// fleet returns n clients over b, each with its own single-flight group, as
// n processes sharing one backend have.
func fleet(t *testing.T, b core.Backend, n int, opts ...core.Option) []*core.Client {
	t.Helper()
	cs := make([]*core.Client, n)
	for i := range cs {
		c, err := core.New(b, append([]core.Option{core.WithCodec(jsonCodec{})}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		cs[i] = c
	}
	return cs
}

func TestFillLockOneLoadAcrossClients(t *testing.T) {
	b := newLeaseBackend()
	cs := fleet(t, b, 4, core.WithPreset(core.PresetProduction))
	var loads atomic.Int64
	load := func(ctx context.Context) (string, error) {
		loads.Add(1)
		time.Sleep(50 * time.Millisecond)
		return "v", nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*50)
	for _, c := range cs {
		for range 50 {
			wg.Go(func() {
				v, err := core.GetOrLoad(context.Background(), c, "hot", load)
				if err == nil && v != "v" {
					err = fmt.Errorf("got %q", v)
				}
				if err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := loads.Load(); n != 1 {
		t.Fatalf("the loader ran %d times across 4 clients; want 1", n)
	}
	if b.held("hot") {
		t.Fatal("the fill lock is still held after the load")
	}
	if b.unlocked.Load() != 1 {
		t.Fatalf("released %d locks; want 1", b.unlocked.Load())
	}
}

// Without the fill lock (the minimal preset), each client loads on its own
// miss: this is what the lock prevents, and proves the test above can fail.
func TestFillLockOffInMinimal(t *testing.T) {
	b := newLeaseBackend()
	cs := fleet(t, b, 4, core.WithPreset(core.PresetMinimal))
	var loads atomic.Int64
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() {
			<-start
			_, _ = core.GetOrLoad(context.Background(), c, "hot", func(ctx context.Context) (string, error) {
				loads.Add(1)
				time.Sleep(50 * time.Millisecond)
				return "v", nil
			})
		})
	}
	close(start)
	wg.Wait()
	if n := loads.Load(); n != 4 {
		t.Fatalf("minimal: the loader ran %d times across 4 clients; want 4 (no fill lock)", n)
	}
	if b.lockTry.Load() != 0 {
		t.Fatalf("minimal took the fill lock %d times", b.lockTry.Load())
	}
}

// A holder that never releases (a killed process) loses the lock when its
// lease runs out; one waiter then loads, within lease plus one load.
func TestFillLockDeadHolderLeaseExpires(t *testing.T) {
	b := newLeaseBackend()
	const lease = 300 * time.Millisecond
	if _, ok, _ := b.Lock(context.Background(), "hot", lease); !ok {
		t.Fatal("could not plant the dead holder's lock")
	}
	cs := fleet(t, b, 3, core.WithFillLock(lease, 5*time.Second))
	var loads atomic.Int64
	began := time.Now()
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() {
			v, err := core.GetOrLoad(context.Background(), c, "hot", func(ctx context.Context) (string, error) {
				loads.Add(1)
				return "v", nil
			})
			if err != nil || v != "v" {
				t.Errorf("GetOrLoad = %q, %v", v, err)
			}
		})
	}
	wg.Wait()
	took := time.Since(began)
	if n := loads.Load(); n != 1 {
		t.Fatalf("after the lease, the loader ran %d times; want 1", n)
	}
	if took < lease-50*time.Millisecond || took > lease+2*time.Second {
		t.Fatalf("waiters returned after %v; want about the lease (%v)", took, lease)
	}
}

// A waiter whose bound runs out loads itself, without an error.
func TestFillLockWaitBound(t *testing.T) {
	b := newLeaseBackend()
	if _, ok, _ := b.Lock(context.Background(), "hot", time.Hour); !ok {
		t.Fatal("could not plant a lock")
	}
	c := fleet(t, b, 1, core.WithFillLock(time.Second, 150*time.Millisecond))[0]
	began := time.Now()
	v, err := core.GetOrLoad(context.Background(), c, "hot", func(ctx context.Context) (string, error) { return "mine", nil })
	if err != nil || v != "mine" {
		t.Fatalf("GetOrLoad = %q, %v; want the own load after the wait bound", v, err)
	}
	if took := time.Since(began); took < 140*time.Millisecond || took > 2*time.Second {
		t.Fatalf("returned after %v; want about the 150ms wait bound", took)
	}
	if raw, ok := b.raw("hot"); !ok || len(raw) == 0 {
		t.Fatal("the value loaded after the wait bound was not stored")
	}
}

// A lock error loads at once (fail-open), and FillLock(false) skips the lock
// for one call.
func TestFillLockFailOpenAndPerCall(t *testing.T) {
	b := newLeaseBackend()
	c := fleet(t, b, 1, core.WithPreset(core.PresetProduction))[0] // fill lock on
	e := errTransient
	b.lockErr.Store(&e)
	began := time.Now()
	v, err := core.GetOrLoad(context.Background(), c, "a", func(ctx context.Context) (string, error) { return "x", nil })
	if err != nil || v != "x" || time.Since(began) > time.Second {
		t.Fatalf("with a failing lock GetOrLoad = %q, %v after %v; want the load at once", v, err, time.Since(began))
	}
	if b.lockTry.Load() == 0 {
		t.Fatal("the production default did not try the fill lock")
	}
	plain := fleet(t, b, 1)[0] // without WithPreset: no fill lock, as no reliability stack
	tries := b.lockTry.Load()
	if _, err := core.GetOrLoad(context.Background(), plain, "c", func(ctx context.Context) (string, error) { return "z", nil }); err != nil {
		t.Fatal(err)
	}
	if b.lockTry.Load() != tries {
		t.Fatal("a client without WithPreset took the fill lock")
	}
	b.lockErr.Store(nil)
	if _, ok, _ := b.Lock(context.Background(), "b", time.Hour); !ok {
		t.Fatal("could not plant a lock")
	}
	tries = b.lockTry.Load()
	began = time.Now()
	v, err = core.GetOrLoad(context.Background(), c, "b", func(ctx context.Context) (string, error) { return "y", nil }, core.FillLock(false))
	if err != nil || v != "y" || time.Since(began) > time.Second {
		t.Fatalf("FillLock(false) = %q, %v after %v; want the load at once", v, err, time.Since(began))
	}
	if b.lockTry.Load() != tries {
		t.Fatal("FillLock(false) still took the lock")
	}
}

// A waiter returns the value the holder writes, without loading. Its polls
// for that value are not reads of their own: its GetOrLoad counts the one
// miss that sent it to the lock, and a fill wait, however many times it
// looked (before FillWaits: a miss per poll and a hit for the last one).
func TestFillLockWaiterReadsHoldersValue(t *testing.T) {
	b := newLeaseBackend()
	cs := fleet(t, b, 2, core.WithFillLock(time.Second, 5*time.Second))
	inLoad := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := core.GetOrLoad(context.Background(), cs[0], "k", func(ctx context.Context) (string, error) {
			close(inLoad)
			<-release
			return "holder", nil
		})
		done <- err
	}()
	<-inLoad
	got := make(chan string, 1)
	go func() {
		v, err := core.GetOrLoad(context.Background(), cs[1], "k", func(ctx context.Context) (string, error) { return "waiter", nil })
		if err != nil {
			v = err.Error()
		}
		got <- v
	}()
	// Let the waiter poll a few times (its backoff starts at 5 ms).
	for b.lockTry.Load() < 4 {
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if v := <-got; v != "holder" {
		t.Fatalf("the waiter got %q; want the holder's value", v)
	}
	st := cs[1].Stats()
	if st.Misses != 1 || st.Hits != 0 || st.FillWaits != 1 || st.Loads != 0 {
		t.Fatalf("waiter stats: misses %d hits %d fill waits %d loads %d; want 1 0 1 0",
			st.Misses, st.Hits, st.FillWaits, st.Loads)
	}
	if st := cs[0].Stats(); st.FillWaits != 0 || st.Loads != 1 {
		t.Fatalf("holder stats: fill waits %d loads %d; want 0 1", st.FillWaits, st.Loads)
	}
}

// With the reliability stack on, one attempt at the fill lock is bounded by
// OpTimeout: a backend whose Lock hangs costs a miss OpTimeout, then the
// caller loads without the lock (old code: it waited the whole 5 s bound).
func TestFillLockAttemptBoundedByOpTimeout(t *testing.T) {
	b := newLeaseBackend()
	b.lockHang.Store(true)
	cs := fleet(t, b, 1, core.WithFillLock(time.Second, 5*time.Second), fastOpTimeout())
	getOrLoadPromptly(t, cs[0], "a hanging lock")
}

// fastOpTimeout is the default reliability stack with a 50 ms OpTimeout.
func fastOpTimeout() core.Option {
	r := core.DefaultReliability()
	r.OpTimeout = 50 * time.Millisecond
	return core.WithReliability(r)
}

// getOrLoadPromptly runs a GetOrLoad of "k" that loads "v" and fails t
// unless it returns within 2 s: the hangs it guards against last the 5 s
// wait bound, OpTimeout (fastOpTimeout) is 50 ms.
func getOrLoadPromptly(t *testing.T, c *core.Client, fault string) {
	t.Helper()
	start := time.Now()
	v, err := core.GetOrLoad(context.Background(), c, "k", func(ctx context.Context) (string, error) { return "v", nil })
	if err != nil || v != "v" {
		t.Fatalf("GetOrLoad = %q, %v", v, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("GetOrLoad took %v with %s; want about OpTimeout (50ms)", d, fault)
	}
}

// hangAfterFirstGet is a leaseBackend whose Gets after the first block
// until their context ends: a backend that stops answering (a paused
// Redis) between a miss and a fill-lock waiter's re-read.
type hangAfterFirstGet struct {
	*leaseBackend
	gets atomic.Int64
}

func (h *hangAfterFirstGet) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	if h.gets.Add(1) > 1 {
		<-ctx.Done()
		return core.Entry{}, false, ctx.Err()
	}
	return h.leaseBackend.Get(ctx, key)
}

// With the reliability stack on, a fill-lock waiter's re-read is bounded by
// OpTimeout, not by the whole wait bound: another process holds the lock,
// the backend stops answering, and the waiter loads after about OpTimeout
// (old code: its re-read hung until the 5 s wait bound, and every caller
// that joined the flight with it; the chaos test's pause showed it).
func TestFillLockWaiterReadBoundedByOpTimeout(t *testing.T) {
	b := &hangAfterFirstGet{leaseBackend: newLeaseBackend()}
	if _, ok, err := b.Lock(context.Background(), "k", 10*time.Second); !ok || err != nil {
		t.Fatalf("Lock = %v, %v", ok, err)
	}
	cs := fleet(t, b, 1, core.WithFillLock(10*time.Second, 5*time.Second), fastOpTimeout())
	getOrLoadPromptly(t, cs[0], "a backend that stopped answering")
	if n := b.gets.Load(); n < 2 {
		t.Fatalf("%d Gets: the waiter never re-read", n)
	}
}

// With the reliability stack on, releasing the fill lock is bounded by
// OpTimeout: a GetOrLoad whose flight ran on its own goroutine (a context
// that never ends) waits for the release, and a backend that stops
// answering after the load cost it a whole second (old code).
func TestFillLockReleaseBoundedByOpTimeout(t *testing.T) {
	b := newLeaseBackend()
	b.unlockHang.Store(true)
	cs := fleet(t, b, 1, core.WithFillLock(10*time.Second, 5*time.Second), fastOpTimeout())
	v, err := core.GetOrLoad(context.Background(), cs[0], "k", func(ctx context.Context) (string, error) { return "v", nil })
	if err != nil || v != "v" {
		t.Fatalf("GetOrLoad = %q, %v", v, err)
	}
	if d := time.Duration(b.unlockBudget.Load()); d <= 0 || d > 50*time.Millisecond {
		t.Fatalf("Unlock was given %v; want at most OpTimeout (50ms)", d)
	}
	if !b.held("k") {
		t.Fatal("the lock is not held: Unlock was not the call that hung")
	}
}

// A fill lock is not released through an open breaker: the write-back
// failed and opened it, and the release leaves the lock to its lease
// instead of calling a backend the stack has stopped calling.
func TestFillLockReleaseSkippedWhileBreakerOpen(t *testing.T) {
	b := newLeaseBackend()
	e := errTransient
	b.failSet.Store(&e)
	r := core.DefaultReliability()
	r.Retries, r.BreakerFailures = 0, 1
	cs := fleet(t, b, 1, core.WithFillLock(10*time.Second, 5*time.Second), core.WithReliability(r))
	v, err := core.GetOrLoad(context.Background(), cs[0], "k", func(ctx context.Context) (string, error) { return "v", nil })
	if err != nil || v != "v" {
		t.Fatalf("GetOrLoad = %q, %v", v, err)
	}
	if st := cs[0].Stats(); st.BreakerOpens != 1 {
		t.Fatalf("BreakerOpens = %d; want 1 (the failed write-back)", st.BreakerOpens)
	}
	if n := b.unlocked.Load(); n != 0 || !b.held("k") {
		t.Fatalf("%d Unlocks, held %v; want the lock left to its lease", n, b.held("k"))
	}
}

// A client never waits for its own lock. Its first load's lock outlives
// the flight, either because the release failed (Unlock hung past its
// deadline: the client still holds the token) or because the attempt's
// reply was lost (Lock took the lock but reported a transient failure:
// the client never learned the token). The next miss of the key loads at
// once: it frees the lock it holds the token of (compare-and-delete) and
// takes it anew, or loads past the one of unknown outcome. Old code: it
// waited for the 5 s wait bound, the 10 s lease outlasting it.
func TestFillLockNeverWaitsOnItself(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     func(b *leaseBackend) *atomic.Bool
		opt       core.Option
		wantHeld  bool  // the first lock is still held at the end
		wantFreed int64 // Unlocks that freed a lock
	}{
		{"release failed", func(b *leaseBackend) *atomic.Bool { return &b.unlockHang }, fastOpTimeout(), false, 2},
		{"attempt's reply lost", func(b *leaseBackend) *atomic.Bool { return &b.lockLost }, core.WithRetries(0, 0), true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newLeaseBackend()
			fault := tc.fault(b)
			fault.Store(true)
			cs := fleet(t, b, 1, core.WithFillLock(10*time.Second, 5*time.Second), tc.opt)
			ctx := context.Background()
			var loads atomic.Int64
			load := func(ctx context.Context) (string, error) { return fmt.Sprint("v", loads.Add(1)), nil }
			if v, err := core.GetOrLoad(ctx, cs[0], "k", load); err != nil || v != "v1" {
				t.Fatalf("first GetOrLoad = %q, %v", v, err)
			}
			fault.Store(false)
			if !b.held("k") {
				t.Fatal("no lock outlived the first flight: the test needs one")
			}
			if err := cs[0].Delete(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if v, err := core.GetOrLoad(ctx, cs[0], "k", load); err != nil || v != "v2" {
				t.Fatalf("second GetOrLoad = %q, %v; want a load", v, err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("the second GetOrLoad took %v: it waited for the client's own lock", d)
			}
			if b.held("k") != tc.wantHeld || b.unlocked.Load() != tc.wantFreed {
				t.Fatalf("held %v after %d freeing Unlocks; want %v and %d", b.held("k"), b.unlocked.Load(), tc.wantHeld, tc.wantFreed)
			}
		})
	}
}

func TestFillLockOptionsRejectBadValues(t *testing.T) {
	for _, o := range []core.Option{
		core.WithFillLock(0, time.Second),
		core.WithFillLock(-time.Second, time.Second),
		core.WithFillLock(2*core.MaxLockLease, time.Second),
		core.WithFillLock(time.Second, 0),
		core.WithFillLock(time.Second, 2*core.MaxLockLease),
	} {
		_, err := core.New(newMem(), core.WithCodec(jsonCodec{}), o)
		if core.KindOf(err) != core.KindConfig {
			t.Errorf("bad WithFillLock: err = %v; want KindConfig", err)
		}
	}
	c, err := core.New(newMem(), core.WithCodec(jsonCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Set(context.Background(), "k", "v", core.FillLock(true))
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != core.KindInvalidInput {
		t.Fatalf("Set with FillLock: err = %v; want KindInvalidInput", err)
	}
}

// A stale value is refreshed once per fleet: a background refresh takes the
// fill lock without waiting, and another process's refresh of the same key
// is skipped while it holds it (the protocol's stale-while-revalidate).
func TestFillLockOneRefreshAcrossClients(t *testing.T) {
	ctx := context.Background()
	b := newLeaseBackend()
	cs := fleet(t, b, 2, core.WithPreset(core.PresetProduction), core.WithDefaultTTL(600*time.Second))
	if err := cs[0].Set(ctx, "k", "old"); err != nil {
		t.Fatal(err)
	}
	b.advance(400 * time.Second) // past the fresh half of the TTL: stale
	var loads atomic.Int64
	release := make(chan struct{})
	load := func(context.Context) (string, error) {
		loads.Add(1)
		<-release
		return "new", nil
	}
	for _, c := range cs {
		if v, err := core.GetOrLoad(ctx, c, "k", load); err != nil || v != "old" {
			t.Fatalf("stale read = %q, %v; want the stale value at once", v, err)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); b.lockTry.Load() < 2 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // both refreshes have tried the lock
	}
	close(release)
	for _, c := range cs {
		if err := c.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := loads.Load(); n != 1 {
		t.Fatalf("the stale key was refreshed %d times by 2 clients; want 1 (lock tries %d)", n, b.lockTry.Load())
	}
	if cs[1].Stats().RefreshSkipped+cs[0].Stats().RefreshSkipped != 1 {
		t.Fatalf("RefreshSkipped = %d + %d; want one skipped refresh", cs[0].Stats().RefreshSkipped, cs[1].Stats().RefreshSkipped)
	}
	if b.held("k") {
		t.Fatal("the refresh left its lock held")
	}
}

// changeBackend is a leaseBackend that reports changes of keys to waiters,
// as a composition following Redis's invalidations does: every Set wakes
// the waiters of its key.
type changeBackend struct {
	*leaseBackend
	mu      sync.Mutex
	waiters map[string][]chan struct{}
	asked   atomic.Int64
}

func (b *changeBackend) WaitChange(key string) (<-chan struct{}, func(), bool) {
	b.asked.Add(1)
	ch := make(chan struct{})
	b.mu.Lock()
	if b.waiters == nil {
		b.waiters = map[string][]chan struct{}{}
	}
	b.waiters[key] = append(b.waiters[key], ch)
	b.mu.Unlock()
	return ch, func() {}, true
}

func (b *changeBackend) Set(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	err := b.leaseBackend.Set(ctx, key, v, ttl)
	b.mu.Lock()
	for _, ch := range b.waiters[key] {
		close(ch)
	}
	delete(b.waiters, key)
	b.mu.Unlock()
	return err
}

// A waiter wakes by the holder's write when the stack reports changes: with
// a 10 s poll bound it would otherwise sleep for seconds after the write.
func TestFillLockWakesByChange(t *testing.T) {
	b := &changeBackend{leaseBackend: newLeaseBackend()}
	cs := fleet(t, b, 2, core.WithFillLock(5*time.Second, 20*time.Second))
	for _, c := range cs {
		core.SetFillPoll(c, 10*time.Second)
	}
	inLoad, release := make(chan struct{}), make(chan struct{})
	go func() {
		_, _ = core.GetOrLoad(context.Background(), cs[0], "k", func(context.Context) (string, error) {
			close(inLoad)
			<-release
			return "holder", nil
		})
	}()
	<-inLoad
	got := make(chan string, 1)
	go func() {
		v, _ := core.GetOrLoad(context.Background(), cs[1], "k", func(context.Context) (string, error) { return "waiter", nil })
		got <- v
	}()
	// Let the waiter's backoff grow past a second (5 ms doubling: 8 steps).
	for deadline := time.Now().Add(10 * time.Second); b.asked.Load() < 9 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	written := time.Now()
	close(release)
	if v := <-got; v != "holder" {
		t.Fatalf("the waiter got %q; want the holder's value", v)
	}
	if d := time.Since(written); d > time.Second {
		t.Fatalf("the waiter returned %v after the write; want it woken by the change", d)
	}
}
