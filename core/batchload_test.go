package core_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

func userKey(id int) string { return "user:" + strconv.Itoa(id) }

// countingLoader returns "u<id>" for every id except those in absent, and
// records every batch it was called with.
type countingLoader struct {
	mu      sync.Mutex
	batches [][]int
	perKey  map[int]int
	absent  map[int]bool
	gate    chan struct{} // if set, each call waits for it
	entered chan struct{} // if set, each call signals it
}

func (l *countingLoader) load(ctx context.Context, ids []int) (map[int]string, error) {
	if l.entered != nil {
		l.entered <- struct{}{}
	}
	if l.gate != nil {
		<-l.gate
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perKey == nil {
		l.perKey = map[int]int{}
	}
	l.batches = append(l.batches, slices.Clone(ids))
	out := map[int]string{}
	for _, id := range ids {
		l.perKey[id]++
		if !l.absent[id] {
			out[id] = "u" + strconv.Itoa(id)
		}
	}
	out[999] = "never asked" // ignored
	return out, nil
}

func TestGetOrLoadManyLoadsOnlyMissingInOneCall(t *testing.T) {
	b := newCapBackend()
	c, err := core.New(b, core.WithCodec(jsonCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, id := range []int{1, 3} {
		if err := c.Set(ctx, userKey(id), "cached"+strconv.Itoa(id)); err != nil {
			t.Fatal(err)
		}
	}
	l := &countingLoader{absent: map[int]bool{4: true}}
	got, err := core.GetOrLoadMany(ctx, c, []int{1, 2, 3, 4, 5, 2}, userKey, l.load)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{1: "cached1", 2: "u2", 3: "cached3", 5: "u5"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("GetOrLoadMany = %v; want %v", got, want)
	}
	if len(l.batches) != 1 || fmt.Sprint(l.batches[0]) != "[2 4 5]" {
		t.Fatalf("loader batches %v; want one call with [2 4 5]", l.batches)
	}
	if b.batchGets.Load() != 1 || b.batchSets.Load() != 1 {
		t.Errorf("backend batch reads %d, writes %d; want 1 and 1", b.batchGets.Load(), b.batchSets.Load())
	}
	if _, found := b.raw(userKey(4)); found {
		t.Error("a key the loader left out was cached")
	}
	if _, found := b.raw(userKey(999)); found {
		t.Error("a key the loader was not asked for was cached")
	}
	// Everything is cached now: no load.
	got, err = core.GetOrLoadMany(ctx, c, []int{2, 5}, userKey, l.load)
	if err != nil || got[2] != "u2" || got[5] != "u5" || len(l.batches) != 1 {
		t.Fatalf("second call = %v, %v with %d loads; want the cached values, no load", got, err, len(l.batches))
	}
}

// Concurrent calls of overlapping keys load each key once between them,
// and a GetOrLoad of a key a batch is loading shares that load.
func TestGetOrLoadManySharesLoadsPerKey(t *testing.T) {
	c, err := core.New(newCapBackend(), core.WithCodec(jsonCodec{}), core.WithoutFillLock())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	l := &countingLoader{gate: make(chan struct{}), entered: make(chan struct{}, 4)}
	var wg sync.WaitGroup
	results := make([]map[int]string, 2)
	errs := make([]error, 2)
	wg.Go(func() { results[0], errs[0] = core.GetOrLoadMany(ctx, c, []int{1, 2, 3, 4, 5, 6}, userKey, l.load) })
	<-l.entered // the first call leads 1..6 and is inside its load
	wg.Go(func() { results[1], errs[1] = core.GetOrLoadMany(ctx, c, []int{4, 5, 6, 7, 8}, userKey, l.load) })
	var single string
	var singleErr error
	var singleLoads atomic.Int64
	wg.Go(func() {
		single, singleErr = core.GetOrLoad(ctx, c, userKey(3), func(context.Context) (string, error) {
			singleLoads.Add(1)
			return "own", nil
		})
	})
	<-l.entered // the second call leads 7 and 8 only
	time.Sleep(20 * time.Millisecond)
	close(l.gate)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	for id, n := range l.perKey {
		if n != 1 {
			t.Errorf("key %d loaded %d times; want once", id, n)
		}
	}
	if fmt.Sprint(l.batches) != "[[1 2 3 4 5 6] [7 8]]" && fmt.Sprint(l.batches) != "[[7 8] [1 2 3 4 5 6]]" {
		t.Errorf("loader batches %v; want [1..6] and [7 8]", l.batches)
	}
	if results[1][4] != "u4" || results[1][8] != "u8" || len(results[1]) != 5 {
		t.Errorf("second call = %v", results[1])
	}
	if single != "u3" || singleErr != nil || singleLoads.Load() != 0 {
		t.Errorf("GetOrLoad of a key the batch loads = %q, %v with %d own loads; want the batch's value", single, singleErr, singleLoads.Load())
	}
}

func TestGetOrLoadManyErrors(t *testing.T) {
	b := newCapBackend()
	c, err := core.New(b, core.WithCodec(jsonCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	boom := errors.New("db down")
	_, err = core.GetOrLoadMany(ctx, c, []int{1, 2}, userKey, func(context.Context, []int) (map[int]string, error) {
		return nil, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("loader error: got %v", err)
	}
	if _, found := b.raw(userKey(1)); found {
		t.Fatal("a failed load cached something")
	}
	// The flights a failed batch led are closed: the next call loads.
	got, err := core.GetOrLoadMany(ctx, c, []int{1}, userKey, (&countingLoader{}).load)
	if err != nil || got[1] != "u1" {
		t.Fatalf("after a failed batch: %v, %v", got, err)
	}
	_, err = core.GetOrLoadMany(ctx, c, []int{1}, func(int) string { return "" }, (&countingLoader{}).load)
	if core.KindOf(err) != core.KindInvalidInput {
		t.Errorf("bad key: %v; want KindInvalidInput", err)
	}
	_, err = core.GetOrLoadMany[int, string](ctx, c, []int{1}, userKey, nil)
	if core.KindOf(err) != core.KindInvalidInput {
		t.Errorf("nil loader: %v; want KindInvalidInput", err)
	}
	_, err = core.GetOrLoadMany(ctx, c, []int{1}, userKey, (&countingLoader{}).load, core.FreshRatio(2))
	if core.KindOf(err) != core.KindInvalidInput {
		t.Errorf("bad option: %v; want KindInvalidInput", err)
	}
	// A panicking loader is an error, and leaves no flight open.
	_, err = core.GetOrLoadMany(ctx, c, []int{7}, userKey, func(context.Context, []int) (map[int]string, error) {
		panic("loader bug")
	})
	if err == nil {
		t.Fatal("a panicking loader returned no error")
	}
	got, err = core.GetOrLoadMany(ctx, c, []int{7}, userKey, (&countingLoader{}).load)
	if err != nil || got[7] != "u7" {
		t.Fatalf("after a panicking loader: %v, %v", got, err)
	}
}

// A backend read failing with a retryable kind is answered by the loader.
func TestGetOrLoadManyDegraded(t *testing.T) {
	b := newCapBackend()
	c, err := core.New(b, core.WithCodec(jsonCodec{}), core.WithRetries(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	e := errTransient
	b.failGet.Store(&e)
	got, err := core.GetOrLoadMany(context.Background(), c, []int{1, 2}, userKey, (&countingLoader{}).load)
	if err != nil || got[1] != "u1" || got[2] != "u2" {
		t.Fatalf("with the backend down: %v, %v; want the loaded values", got, err)
	}
	if c.Stats().Degraded != 2 {
		t.Errorf("Degraded = %d; want 2", c.Stats().Degraded)
	}
}

// A batch's write-back is bounded by OpTimeout under the reliability stack,
// not by the 30 s load timeout: with SetMany hanging (a backend that stopped
// answering after the read), GetOrLoadMany still returns the loaded values
// in about OpTimeout (old code: after the load timeout).
func TestGetOrLoadManyWriteBackBoundedByOpTimeout(t *testing.T) {
	b := newCapBackend()
	b.hangSets.Store(true)
	r := core.DefaultReliability()
	r.OpTimeout = 50 * time.Millisecond
	c, err := core.New(b, core.WithCodec(jsonCodec{}), core.WithReliability(r))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	start := time.Now()
	got, err := core.GetOrLoadMany(context.Background(), c, []int{1, 2}, userKey, (&countingLoader{}).load)
	if err != nil || got[1] != "u1" || got[2] != "u2" {
		t.Fatalf("GetOrLoadMany = %v, %v; want the loaded values", got, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("GetOrLoadMany took %v with SetMany hanging; want about OpTimeout (50ms)", d)
	}
	if b.batchSets.Load() == 0 {
		t.Fatal("SetMany was never called")
	}
}
