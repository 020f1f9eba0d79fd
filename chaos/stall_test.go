package chaos_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/chaos"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/protocol"
)

// slowGets is a memory backend whose every Get takes 100 ms.
type slowGets struct{ *memory.Backend }

func (s slowGets) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	time.Sleep(100 * time.Millisecond)
	return s.Backend.Get(ctx, key)
}

// A call slower than StallAfter writes one goroutine dump naming it; the
// dump is written once however many calls stall, and all of it before Run
// returns.
func TestStallDump(t *testing.T) {
	c, err := core.New(slowGets{memory.New()}, core.WithCodec(protocol.Msgpack()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out bytes.Buffer // Run writes to it on its own goroutines, and not after it returns
	chaos.Run(context.Background(), c, chaos.Workload{ID: "slow", Goroutines: 2, Keys: 10, Duration: 500 * time.Millisecond,
		StallAfter: 20 * time.Millisecond, StallOut: &out})
	dump := out.String()
	if n := strings.Count(dump, "still waits after 20ms"); n != 1 {
		t.Fatalf("%d stall headers, want 1:\n%.500s", n, dump)
	}
	if !strings.Contains(dump, "=== slow: Get") || !strings.Contains(dump, "goroutine ") {
		t.Fatalf("the dump names no call or holds no stacks:\n%.500s", dump)
	}
}
