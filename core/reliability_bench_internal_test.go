package core

import (
	"context"
	"testing"
	"time"
)

// BenchmarkStackOverhead is what the reliability stack adds to one backend
// call that succeeds at once: a bulkhead slot, the breaker's check and
// record, and the shared deadline of a context.Background() call.
func BenchmarkStackOverhead(b *testing.B) {
	ctx := context.Background()
	var k counters
	nop := func(context.Context) error { return nil }
	b.Run("off", func(b *testing.B) {
		c := &Client{sh: &shared{}}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = c.withRetry(ctx, nop)
		}
	})
	b.Run("on", func(b *testing.B) {
		st := newStack(DefaultReliability(), realClock{epoch: time.Now()}, &k, func(context.Context) error { return nil })
		defer st.close()
		c := &Client{sh: &shared{st: st}}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = c.withRetry(ctx, nop)
		}
	})
}
