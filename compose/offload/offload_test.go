package offload_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cachekit-io/cachekit-go/compose/offload"
	"github.com/cachekit-io/cachekit-go/core"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// mustNew returns an Offloader made with opts.
func mustNew(t *testing.T, opts ...offload.Option) *offload.Offloader {
	t.Helper()
	o, err := offload.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestSubmitRunsAndWaitWaits(t *testing.T) {
	o := mustNew(t)
	defer o.Close()
	var ran atomic.Int32
	for range 10 {
		if out := o.Submit(t.Context(), "", func(context.Context) { time.Sleep(5 * time.Millisecond); ran.Add(1) }); out != offload.Accepted {
			t.Fatalf("Submit = %v, want accepted", out)
		}
	}
	if err := o.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ran.Load() != 10 {
		t.Fatalf("ran %d tasks after Wait, want 10", ran.Load())
	}
	st := o.Stats()
	if st.Accepted != 10 || st.Completed != 10 || st.Running != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// block returns a task that signals started and returns when release closes.
func block(started chan<- struct{}, release <-chan struct{}) func(context.Context) {
	return func(context.Context) {
		started <- struct{}{}
		<-release
	}
}

func TestLimitDropsWithoutBlocking(t *testing.T) {
	o := mustNew(t, offload.WithLimit(2))
	defer o.Close()
	started, release := make(chan struct{}, 2), make(chan struct{})
	for range 2 {
		if out := o.Submit(t.Context(), "", block(started, release)); out != offload.Accepted {
			t.Fatalf("Submit = %v", out)
		}
	}
	<-started
	<-started
	if out := o.Submit(t.Context(), "", func(context.Context) { t.Error("a dropped task ran") }); out != offload.Full {
		t.Fatalf("Submit at the limit = %v, want full", out)
	}
	close(release)
	if err := o.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if out := o.Submit(t.Context(), "", func(context.Context) {}); out != offload.Accepted {
		t.Fatalf("Submit after the slots freed = %v", out)
	}
	_ = o.Wait(t.Context())
	if st := o.Stats(); st.Full != 1 || st.Dropped() != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestDeduplicatesByKey(t *testing.T) {
	o := mustNew(t)
	defer o.Close()
	started, release := make(chan struct{}, 1), make(chan struct{})
	if out := o.Submit(t.Context(), "k", block(started, release)); out != offload.Accepted {
		t.Fatal(out)
	}
	<-started
	if out := o.Submit(t.Context(), "k", func(context.Context) { t.Error("duplicate ran") }); out != offload.Duplicate {
		t.Fatalf("second Submit of k = %v, want duplicate", out)
	}
	var other atomic.Bool
	if out := o.Submit(t.Context(), "other", func(context.Context) { other.Store(true) }); out != offload.Accepted {
		t.Fatalf("Submit of another key = %v", out)
	}
	close(release)
	_ = o.Wait(t.Context())
	if !other.Load() {
		t.Fatal("task of another key did not run")
	}
	if out := o.Submit(t.Context(), "k", func(context.Context) {}); out != offload.Accepted {
		t.Fatalf("Submit of k after it finished = %v", out)
	}
	_ = o.Wait(t.Context())
	if st := o.Stats(); st.Duplicates != 1 {
		t.Fatalf("stats %+v", st)
	}
}

type ctxKey struct{}

func TestTaskContext(t *testing.T) {
	o := mustNew(t, offload.WithTimeout(30*time.Millisecond))
	defer o.Close()
	parent, cancel := context.WithCancel(context.WithValue(t.Context(), ctxKey{}, "v"))
	cancel() // the parent's cancellation must not reach the task
	var gotValue any
	var errBefore, errAfter error
	o.Submit(parent, "", func(ctx context.Context) {
		gotValue = ctx.Value(ctxKey{})
		errBefore = ctx.Err()
		<-ctx.Done()
		errAfter = ctx.Err()
	})
	if err := o.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if gotValue != "v" {
		t.Errorf("task context lost the parent's values: %v", gotValue)
	}
	if errBefore != nil {
		t.Errorf("task context inherited the parent's cancellation: %v", errBefore)
	}
	if !errors.Is(errAfter, context.DeadlineExceeded) {
		t.Errorf("task context after the timeout: %v, want deadline exceeded", errAfter)
	}
	if st := o.Stats(); st.TimedOut != 1 {
		t.Errorf("stats %+v, want 1 timed out", st)
	}
	if o.Timeout() != 30*time.Millisecond || o.Limit() != offload.DefaultLimit {
		t.Errorf("Timeout %v Limit %d", o.Timeout(), o.Limit())
	}
}

func TestCloseDrains(t *testing.T) {
	o := mustNew(t)
	var done atomic.Int32
	for range 5 {
		o.Submit(t.Context(), "", func(context.Context) { time.Sleep(20 * time.Millisecond); done.Add(1) })
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if done.Load() != 5 {
		t.Fatalf("Close returned with %d of 5 tasks done", done.Load())
	}
	if out := o.Submit(t.Context(), "", func(context.Context) { t.Error("ran after Close") }); out != offload.Closed {
		t.Fatalf("Submit after Close = %v, want closed", out)
	}
	if err := o.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if st := o.Stats(); st.Closed != 1 || st.Completed != 5 {
		t.Fatalf("stats %+v", st)
	}
}

func TestShutdownCancelsWhenItsContextEnds(t *testing.T) {
	o := mustNew(t, offload.WithTimeout(time.Hour))
	started := make(chan struct{})
	var sawCancel atomic.Bool
	o.Submit(t.Context(), "", func(ctx context.Context) {
		close(started)
		<-ctx.Done()
		sawCancel.Store(true)
	})
	<-started
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if err := o.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want deadline exceeded", err)
	}
	if !sawCancel.Load() {
		t.Fatal("Shutdown returned before the canceled task did")
	}
}

func TestWaitHonoursContext(t *testing.T) {
	o := mustNew(t)
	release := make(chan struct{})
	o.Submit(t.Context(), "", func(context.Context) { <-release })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	if err := o.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v", err)
	}
	close(release)
	_ = o.Close()
}

func TestPanicIsRecovered(t *testing.T) {
	o := mustNew(t)
	o.Submit(t.Context(), "k", func(context.Context) { panic("boom") })
	_ = o.Wait(t.Context())
	if st := o.Stats(); st.Panics != 1 || st.Running != 0 {
		t.Fatalf("stats %+v", st)
	}
	if out := o.Submit(t.Context(), "k", func(context.Context) {}); out != offload.Accepted {
		t.Fatalf("key stayed taken after a panic: %v", out)
	}
	_ = o.Close()
}

func TestConcurrentSubmitNeverExceedsLimit(t *testing.T) {
	const limit = 4
	o := mustNew(t, offload.WithLimit(limit))
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				key := ""
				if i%2 == 0 {
					key = string(rune('a' + (g+i)%5))
				}
				o.Submit(context.Background(), key, func(context.Context) {
					n := running.Add(1)
					for {
						p := peak.Load()
						if n <= p || peak.CompareAndSwap(p, n) {
							break
						}
					}
					time.Sleep(50 * time.Microsecond)
					running.Add(-1)
				})
			}
		}()
	}
	wg.Wait()
	_ = o.Close()
	if peak.Load() > limit {
		t.Fatalf("%d tasks ran at once, limit %d", peak.Load(), limit)
	}
	st := o.Stats()
	if st.Accepted+st.Dropped() != 8*200 || st.Accepted != st.Completed {
		t.Fatalf("stats do not add up: %+v", st)
	}
}

func TestOutcomeString(t *testing.T) {
	for o, want := range map[offload.Outcome]string{offload.Accepted: "accepted", offload.Duplicate: "duplicate", offload.Full: "full", offload.Closed: "closed", 99: "unknown"} {
		if o.String() != want {
			t.Errorf("%d.String() = %q, want %q", o, o.String(), want)
		}
	}
}

func ExampleOffloader() {
	o, err := offload.New(offload.WithLimit(8), offload.WithTimeout(time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer o.Close()

	done := make(chan struct{})
	out := o.Submit(context.Background(), "refresh:user:42", func(ctx context.Context) {
		// Refresh the entry; honour ctx.
		close(done)
	})
	<-done
	_ = o.Wait(context.Background())
	fmt.Println(out)
	// Output: accepted
}

// Every bad option value, and a nil option, makes New fail with a
// *core.Error of KindConfig; none is ignored.
func TestBadOptionsAreConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		opt  offload.Option
	}{
		{"nil option", nil},
		{"zero limit", offload.WithLimit(0)},
		{"negative limit", offload.WithLimit(-1)},
		{"zero timeout", offload.WithTimeout(0)},
		{"negative timeout", offload.WithTimeout(-time.Second)},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, err := offload.New(offload.WithLimit(4), c.opt)
			if o != nil {
				_ = o.Close()
			}
			var ce *core.Error
			if o != nil || !errors.As(err, &ce) || ce.Kind != core.KindConfig {
				t.Fatalf("New = %v, %v; want a *core.Error of KindConfig", o, err)
			}
		})
	}
	o := mustNew(t, offload.WithLimit(1), offload.WithTimeout(time.Nanosecond))
	defer o.Close()
	if o.Limit() != 1 || o.Timeout() != time.Nanosecond {
		t.Fatalf("Limit, Timeout = %d, %v; want 1, 1ns", o.Limit(), o.Timeout())
	}
}
