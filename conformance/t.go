package conformance

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// tester is the part of testing.T the suite uses. RunBackend runs the suite
// on a real *testing.T; the suite's own tests run it on a recorder that keeps
// failures instead of reporting them, to prove that broken backends fail.
type tester interface {
	Helper()
	Name() string
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Skipf(format string, args ...any)
	Cleanup(func())
	Context() context.Context
	Parallel()
	// run runs f as a subtest, like testing.T.Run.
	run(name string, f func(tester)) bool
	// std returns the *testing.T that backs this tester (for Harness.New).
	std() *testing.T
}

// stdT adapts a *testing.T to tester.
type stdT struct{ *testing.T }

func (s stdT) run(name string, f func(tester)) bool {
	return s.T.Run(name, func(t *testing.T) { f(stdT{t}) })
}

func (s stdT) std() *testing.T { return s.T }

// recorder is a tester that records Errorf/Fatalf messages (keyed by subtest
// name) instead of failing the test. Fatalf records, then ends the subtest
// with SkipNow so that the real test stays green.
type recorder struct {
	*testing.T
	log *failureLog
}

// failureLog collects the failures of a recorded run, per subtest name.
type failureLog struct {
	mu   sync.Mutex
	msgs map[string][]string
}

func (l *failureLog) add(name, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.msgs == nil {
		l.msgs = make(map[string][]string)
	}
	l.msgs[name] = append(l.msgs[name], msg)
}

// snapshot returns a copy of the recorded failures.
func (l *failureLog) snapshot() map[string][]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string][]string, len(l.msgs))
	for k, v := range l.msgs {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func (r recorder) Errorf(format string, args ...any) {
	r.log.add(r.T.Name(), fmt.Sprintf(format, args...))
}

func (r recorder) Fatalf(format string, args ...any) {
	r.log.add(r.T.Name(), "FATAL: "+fmt.Sprintf(format, args...))
	r.T.SkipNow()
}

func (r recorder) run(name string, f func(tester)) bool {
	return r.T.Run(name, func(t *testing.T) { f(recorder{T: t, log: r.log}) })
}

func (r recorder) std() *testing.T { return r.T }
