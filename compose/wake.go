package compose

import "sync"

// Change notices: a caller waiting for another process to write a key (the
// client's distributed fill lock) asks the composition to tell it when the
// lower tier reports a change of that key, instead of polling for it.

// changeWaiters are the callers waiting for a change of each key.
type changeWaiters struct {
	mu sync.Mutex
	m  map[string]map[*chan struct{}]struct{}
}

// add registers a waiter for key; cancel unregisters it.
func (w *changeWaiters) add(key string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	p := &ch
	w.mu.Lock()
	if w.m == nil {
		w.m = make(map[string]map[*chan struct{}]struct{})
	}
	set := w.m[key]
	if set == nil {
		set = make(map[*chan struct{}]struct{})
		w.m[key] = set
	}
	set[p] = struct{}{}
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		if set, ok := w.m[key]; ok {
			delete(set, p)
			if len(set) == 0 {
				delete(w.m, key)
			}
		}
		w.mu.Unlock()
	}
}

// wake wakes (once) every waiter of keys.
func (w *changeWaiters) wake(keys []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, k := range keys {
		for p := range w.m[k] {
			close(*p)
		}
		delete(w.m, k)
	}
}

// wakeAll wakes every waiter (a Reset: any key may have changed).
func (w *changeWaiters) wakeAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, set := range w.m {
		for p := range set {
			close(*p)
		}
		delete(w.m, k)
	}
}

// WaitChange returns a channel that is closed when the lower tier reports a
// change of key (or of every key), and a cancel func that the caller calls
// when it stops waiting. ok is false, and nothing is registered, while the
// composition does not follow live invalidations: the caller must poll.
// A change may be reported for a write that happened before WaitChange:
// callers re-read the key when woken, and keep a polling bound anyway.
func (b *Backend) WaitChange(key string) (ch <-chan struct{}, cancel func(), ok bool) {
	v := b.inv
	if v == nil || !v.live.Load() {
		return nil, nil, false
	}
	ch, cancel = v.waiters.add(key)
	return ch, cancel, true
}
