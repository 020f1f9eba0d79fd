package compose_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/core"
)

func TestSequentialWriteThroughOrder(t *testing.T) {
	log := &opLog{}
	up, low := newProbe("up", log), newProbe("low", log)
	b := mustNew(t, up, low)
	set(t, b, "k", "v", time.Minute)
	if err := b.Delete(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	want := []string{"low.set k", "up.set k", "up.delete k", "low.delete k"}
	if got := log.get(); !slices.Equal(got, want) {
		t.Fatalf("operations %q, want %q", got, want)
	}
}

func TestSequentialWriteLowerFailure(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	b := mustNew(t, up, low)
	up.put(t, "k", "old", time.Minute)
	low.put(t, "k", "old", time.Minute)
	low.setErr = errTier(core.KindTransient, "down")
	err := b.Set(context.Background(), "k", []byte("new"), time.Minute)
	if !errors.Is(err, core.ErrTransient) || !isCoreError(err) {
		t.Fatalf("Set = %v, want the lower tier's error", err)
	}
	if _, _, ok := up.peek(t, "k"); ok {
		t.Error("a failed write left the upper copy in place")
	}
	if up.sets.Load() != 0 {
		t.Error("the upper tier was written after the lower write failed")
	}
}

func TestSequentialWriteUpperFailure(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	b := mustNew(t, up, low)
	up.put(t, "k", "old", time.Minute)
	up.setErr = errTier(core.KindTransient, "l1 full")
	if err := b.Set(context.Background(), "k", []byte("new"), time.Minute); err != nil {
		t.Fatalf("Set = %v: the upper copy was invalidated, so it should succeed", err)
	}
	if _, _, ok := up.peek(t, "k"); ok {
		t.Error("the old upper copy survived")
	}
	if v, _, _ := low.peek(t, "k"); v != "new" {
		t.Errorf("lower = %q", v)
	}
	// If the upper copy cannot be invalidated either, the Set fails.
	up.delErr = errTier(core.KindTransient, "l1 broken")
	if err := b.Set(context.Background(), "k", []byte("newer"), time.Minute); !errors.Is(err, core.ErrTransient) {
		t.Fatalf("Set = %v, want an error", err)
	}
}

var (
	errUp  = errors.New("upper broke")
	errLow = errors.New("lower broke")
)

func TestOptimisticParallelWrite(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	b := mustNew(t, up, low, compose.WithWritePolicy(compose.WriteOptimisticParallel))
	set(t, b, "k", "v", time.Minute)
	wait(t, b)
	if v, _, _ := up.peek(t, "k"); v != "v" {
		t.Errorf("upper = %q", v)
	}
	if v, _, _ := low.peek(t, "k"); v != "v" {
		t.Errorf("lower = %q", v)
	}

	up.setErr = &core.Error{Kind: core.KindTransient, Op: "up.set", Err: errUp}
	if err := b.Set(context.Background(), "k", []byte("v2"), time.Minute); err != nil {
		t.Errorf("one tier succeeded, Set = %v", err)
	}
	up.setErr, low.setErr = nil, &core.Error{Kind: core.KindTimeout, Op: "low.set", Err: errLow}
	if err := b.Set(context.Background(), "k", []byte("v3"), time.Minute); err != nil {
		t.Errorf("one tier succeeded, Set = %v", err)
	}

	up.setErr = &core.Error{Kind: core.KindTransient, Op: "up.set", Err: errUp}
	err := b.Set(context.Background(), "k", []byte("v4"), time.Minute)
	checkBothErrors(t, err)
}

// checkBothErrors checks the error of a write where both tiers failed.
func checkBothErrors(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("both tiers failed, Set succeeded")
	}
	if !errors.Is(err, errUp) || !errors.Is(err, errLow) {
		t.Errorf("error %v does not carry both causes", err)
	}
	if !errors.Is(err, core.ErrTransient) || !errors.Is(err, core.ErrTimeout) {
		t.Errorf("error %v does not match both kinds", err)
	}
	if core.KindOf(err) != core.KindTimeout {
		t.Errorf("KindOf = %v, want the lower tier's kind", core.KindOf(err))
	}
}

func TestRaceWrite(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	g := newGate()
	up.beforeSet = func(context.Context, string, []byte) { g.hold() }
	b := mustNew(t, up, low, compose.WithWritePolicy(compose.WriteRace))
	value := []byte("v")
	set(t, b, "k", string(value), time.Minute) // returns once the lower write succeeded
	<-g.entered
	if v, _, _ := low.peek(t, "k"); v != "v" {
		t.Errorf("lower = %q", v)
	}
	value[0] = 'x' // the background write must not see the caller's slice
	close(g.release)
	wait(t, b)
	if v, _, _ := up.peek(t, "k"); v != "v" {
		t.Errorf("upper after the background write = %q", v)
	}

	up.beforeSet = nil
	up.setErr = &core.Error{Kind: core.KindTransient, Op: "up.set", Err: errUp}
	low.setErr = &core.Error{Kind: core.KindTimeout, Op: "low.set", Err: errLow}
	checkBothErrors(t, b.Set(context.Background(), "k", []byte("v2"), time.Minute))
	wait(t, b)
}

func TestParallelWritesFallBackWhenOffloaderIsFull(t *testing.T) {
	for _, p := range []compose.WritePolicy{compose.WriteOptimisticParallel, compose.WriteRace} {
		t.Run(p.String(), func(t *testing.T) {
			up, low := newProbe("up", nil), newProbe("low", nil)
			off := newFullOffloader(t)
			b := mustNew(t, up, low, compose.WithWritePolicy(p), compose.WithOffloader(off.o))
			set(t, b, "k", "v", time.Minute)
			if v, _, _ := low.peek(t, "k"); v != "v" {
				t.Errorf("lower = %q", v)
			}
			if v, _, _ := up.peek(t, "k"); v != "v" {
				t.Errorf("upper = %q", v)
			}
		})
	}
}

func TestDeleteFailures(t *testing.T) {
	log := &opLog{}
	up, low := newProbe("up", log), newProbe("low", log)
	b := mustNew(t, up, low)
	set(t, b, "k", "v", time.Minute)
	up.delErr = &core.Error{Kind: core.KindTransient, Op: "up.delete", Err: errUp}
	err := b.Delete(context.Background(), "k")
	if !errors.Is(err, errUp) {
		t.Fatalf("Delete = %v, want the upper tier's error", err)
	}
	if _, _, ok := low.peek(t, "k"); ok {
		t.Error("the lower tier was not deleted after the upper one failed")
	}
	low.delErr = &core.Error{Kind: core.KindTimeout, Op: "low.delete", Err: errLow}
	checkBothErrors(t, b.Delete(context.Background(), "k"))
}

func TestInvalidInputAndDoneContext(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	b := mustNew(t, up, low)
	if err := b.Set(context.Background(), "k", []byte("v"), -time.Second); core.KindOf(err) != core.KindInvalidInput {
		t.Errorf("negative TTL: %v", err)
	}
	up.put(t, "k", "v", time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Set(ctx, "k", []byte("w"), time.Minute); core.KindOf(err) != core.KindCanceled {
		t.Errorf("Set with a canceled context: %v", err)
	}
	if err := b.Delete(ctx, "k"); core.KindOf(err) != core.KindCanceled {
		t.Errorf("Delete with a canceled context: %v", err)
	}
	if v, _, ok := up.peek(t, "k"); !ok || v != "v" {
		t.Error("a call with a canceled context changed the upper tier")
	}
	if up.sets.Load()+low.sets.Load()+up.deletes.Load()+low.deletes.Load() != 0 {
		t.Error("a call with a canceled context reached a tier")
	}
}

// A losing upper-tier write of WriteRace that lands after a later Delete
// removes its copy again.
func TestRaceWriteLateUpperWriteDoesNotOutliveADelete(t *testing.T) {
	up, low := newProbe("up", nil), newProbe("low", nil)
	g := newGate()
	up.beforeSet = func(context.Context, string, []byte) { g.hold() }
	b := mustNew(t, up, low, compose.WithWritePolicy(compose.WriteRace))
	set(t, b, "k", "v", time.Minute)
	<-g.entered
	if err := b.Delete(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	close(g.release)
	wait(t, b)
	if v, _, ok := up.peek(t, "k"); ok {
		t.Fatalf("the late upper write resurrected %q after Delete", v)
	}
	if _, _, found := get(t, b, "k"); found {
		t.Fatal("a deleted key is found")
	}
}
