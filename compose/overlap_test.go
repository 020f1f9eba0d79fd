package compose_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
)

// heldSet is a tier whose Set of the value held waits until release is
// closed (after closing entered).
type heldSet struct {
	core.Backend
	held     string
	entered  chan struct{}
	release  chan struct{}
	onceHeld sync.Once
}

func newHeldSet(b core.Backend, held string) *heldSet {
	return &heldSet{Backend: b, held: held, entered: make(chan struct{}), release: make(chan struct{})}
}

func (h *heldSet) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	if string(v) == h.held {
		h.onceHeld.Do(func() { close(h.entered) })
		<-h.release
	}
	return h.Backend.Set(ctx, k, v, ttl)
}

// raw is what tier b holds under k, "<miss>" if nothing.
func raw(t *testing.T, b core.Backend, k string) string {
	t.Helper()
	e, found, err := b.Get(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		return "<miss>"
	}
	return string(e.Value)
}

// agree checks that the upper tier holds nothing for k or what the lower
// tier holds.
func agree(t *testing.T, upper, lower core.Backend, k, what string) {
	t.Helper()
	if u, l := raw(t, upper, k), raw(t, lower, k); u != "<miss>" && u != l {
		t.Errorf("%s: the upper tier holds %q, the lower tier %q", what, u, l)
	}
}

// A write whose upper-tier write lands after an overlapping write (a Set,
// Delete or Expire of the same key) has finished must not leave its copy
// in the upper tier: under the default write policy it stayed there for
// its whole TTL, shadowing the lower tier's newer value, its absence, or
// its shorter lifetime.
func TestOverlappingWritesLeaveTiersAgreeing(t *testing.T) {
	ctx := context.Background()
	for _, second := range []string{"Set", "Delete", "Expire"} {
		t.Run(second, func(t *testing.T) {
			upMem, low := memory.New(), memory.New()
			up := newHeldSet(upMem, "A")
			b := mustNew(t, up, low)
			done := make(chan error, 1)
			go func() { done <- b.Set(ctx, "k", []byte("A"), time.Hour) }()
			<-up.entered // A is in the lower tier; its upper write waits
			var err error
			switch second {
			case "Set":
				err = b.Set(ctx, "k", []byte("B"), time.Hour)
			case "Delete":
				err = b.Delete(ctx, "k")
			case "Expire":
				_, err = b.Expire(ctx, "k", time.Millisecond)
			}
			if err != nil {
				t.Fatal(err)
			}
			close(up.release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if second == "Expire" {
				time.Sleep(20 * time.Millisecond)
			}
			agree(t, upMem, low, "k", "Set(A) overlapped by "+second)
			if second != "Set" {
				if _, found, _ := b.Get(ctx, "k"); found {
					t.Errorf("Get after Set(A) overlapped by %s: found", second)
				}
			}
		})
	}
}

// jittery is a lower tier with a random delay before and after each write,
// as a network round trip has, so that concurrent writes reach it in any
// order.
type jittery struct{ core.Backend }

func (j jittery) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
	err := j.Backend.Set(ctx, k, v, ttl)
	time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
	return err
}

// Concurrent writers of one key end with the tiers agreeing, under the
// write policies that promise it (the race policy does not).
func TestConcurrentWritersLeaveTiersAgreeing(t *testing.T) {
	for _, p := range []compose.WritePolicy{compose.WriteSequential, compose.WriteOptimisticParallel} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			for round := range 30 {
				up, low := memory.New(), memory.New()
				b := mustNew(t, up, jittery{low}, compose.WithWritePolicy(p))
				var wg sync.WaitGroup
				for w := range 4 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := range 5 {
							_ = b.Set(context.Background(), "k", []byte(fmt.Sprintf("w%d-%d", w, i)), time.Hour)
						}
					}()
				}
				wg.Wait()
				wait(t, b)
				agree(t, up, low, "k", fmt.Sprintf("round %d", round))
			}
		})
	}
}
