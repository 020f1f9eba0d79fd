package compose_test

import (
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/conformance/memory"
)

// isClosed reports whether ch is closed, waiting at most d.
func isClosed(ch <-chan struct{}, d time.Duration) bool {
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}

// WaitChange wakes its waiters when the lower tier reports a change of the
// key (or a Reset), only while invalidations are live.
func TestWaitChange(t *testing.T) {
	upper, lower := memory.New(), newTracked("lower", nil)
	b := mustNew(t, upper, lower)
	w := lower.watcher(t)
	if _, _, ok := b.WaitChange("a"); ok {
		t.Fatal("WaitChange registered before invalidations are live")
	}
	w.Reset(true)
	a, cancelA, ok := b.WaitChange("a")
	if !ok {
		t.Fatal("WaitChange refused while live")
	}
	defer cancelA()
	other, cancelOther, _ := b.WaitChange("b")
	gone, cancelGone, _ := b.WaitChange("a")
	cancelGone() // a canceled waiter is not woken (nor closed twice)
	w.Invalidated([]string{"a"})
	if !isClosed(a, time.Second) {
		t.Fatal("a change of a did not wake its waiter")
	}
	if isClosed(other, 20*time.Millisecond) {
		t.Fatal("a change of a woke the waiter of b")
	}
	if isClosed(gone, 20*time.Millisecond) {
		t.Fatal("a canceled waiter was woken")
	}
	w.Reset(true) // any key may have changed
	if !isClosed(other, time.Second) {
		t.Fatal("a Reset did not wake the waiter of b")
	}
	cancelOther()
	w.Invalidated([]string{"a"}) // nobody waits: nothing to close twice
}
