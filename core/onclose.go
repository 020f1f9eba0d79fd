package core

import (
	"errors"
	"sync"
)

// WithOnClose makes Client.Close call f once the client's own background
// work has stopped, for resources that were built for this client alone (a
// stack a constructor composed, a backend it opened). Hooks run in the
// reverse order of registration, each at most once however often Close is
// called (and whichever namespace view calls it); Close returns their
// errors joined. A nil f is a KindConfig error.
func WithOnClose(f func() error) Option {
	return func(s *settings) error {
		if f == nil {
			return configErr("WithOnClose(nil)")
		}
		s.onClose = append(s.onClose, sync.OnceValue(f))
		return nil
	}
}

// runOnClose calls the WithOnClose hooks, last registered first.
func runOnClose(hooks []func() error) error {
	var errs []error
	for i := len(hooks) - 1; i >= 0; i-- {
		errs = append(errs, hooks[i]())
	}
	return errors.Join(errs...)
}
