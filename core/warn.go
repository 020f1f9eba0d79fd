package core

import (
	"log/slog"
	"sync"
	"time"
)

// warnInterval is how often at most a warning of one message is logged: the
// first occurrence at once, then at most one line per interval that counts
// the occurrences not logged since (the "suppressed" attribute).
const warnInterval = 10 * time.Second

// warnings logs the client's background warnings (degraded reads, failed
// write-backs and refreshes, self-healed values) without flooding: per
// message, the first at once, then at most one per warnInterval with the
// count of those suppressed meanwhile. Only a message and an error kind are
// logged, never a key, a value or a secret.
type warnings struct {
	logger *slog.Logger
	clk    clock
	mu     sync.Mutex
	last   map[string]*warnState
}

type warnState struct {
	at         int64 // clk.now() of the last line logged
	suppressed uint64
}

func newWarnings(l *slog.Logger, clk clock) *warnings {
	return &warnings{logger: l, clk: clk, last: make(map[string]*warnState)}
}

// warn logs msg with the error kind k and attrs (key-value pairs under the
// LogKey* names), rate-limited per msg: a summary line carries the attrs of
// the occurrence that ends the interval.
func (w *warnings) warn(msg string, k Kind, attrs ...any) {
	now := w.clk.now()
	w.mu.Lock()
	st, seen := w.last[msg]
	if seen && now-st.at < int64(warnInterval) {
		st.suppressed++
		w.mu.Unlock()
		return
	}
	var suppressed uint64
	if seen {
		suppressed, st.at, st.suppressed = st.suppressed, now, 0
	} else {
		w.last[msg] = &warnState{at: now}
	}
	w.mu.Unlock()
	args := append([]any{LogKeyKind, k.String()}, attrs...)
	if suppressed > 0 {
		args = append(args, LogKeySuppressed, suppressed, LogKeyInterval, warnInterval.String())
	}
	w.logger.Warn(msg, args...)
}
