package core_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// The retry backoff doubles per attempt up to a cap and never overflows
// into "no delay".
func TestRetryDelay(t *testing.T) {
	for _, c := range []struct {
		base    time.Duration
		attempt int
		want    time.Duration
	}{
		{time.Millisecond, 0, time.Millisecond},
		{time.Millisecond, 3, 8 * time.Millisecond},
		{10 * time.Second, 1, 20 * time.Second},
		{10 * time.Second, 2, 30 * time.Second},
		{20 * time.Second, 1, 30 * time.Second},
		{time.Minute, 10, time.Minute},
		{0, 10, 0},
		{math.MaxInt64, 10, math.MaxInt64},
		{math.MaxInt64 / 3, 10, math.MaxInt64 / 3},
	} {
		if got := core.RetryDelay(c.base, c.attempt); got != c.want {
			t.Errorf("retryDelay(%v, %d) = %v, want %v", c.base, c.attempt, got, c.want)
		}
	}
}

func TestWithRetriesRejectsNonsense(t *testing.T) {
	for _, o := range []core.Option{
		core.WithRetries(-1, 0),
		core.WithRetries(11, 0),
		core.WithRetries(2, -time.Millisecond),
		core.WithRetries(2, 2*time.Minute),
		core.WithRetries(2, math.MaxInt64),
	} {
		_, err := core.New(newMem(), o)
		if core.KindOf(err) != core.KindConfig {
			t.Errorf("New with a nonsense WithRetries: %v, want a KindConfig error", err)
		}
	}
}

// The largest payload limit still leaves room for the encryption overhead:
// what was stored can be read back.
func TestMaxPayloadLimitWithEncryption(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, newMem(), core.WithMaxPayload(math.MaxInt), core.WithEncryptor(&xorEncryptor{}))
	if err := c.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, found, err := core.Get[string](ctx, c, "k"); err != nil || !found || v != "v" {
		t.Fatalf("Get = %q %v %v, want \"v\"", v, found, err)
	}
}
