package tier_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
)

// bytesCodec stores []byte values as they are.
type bytesCodec struct{}

func (bytesCodec) Format() string   { return "msgpack" }
func (bytesCodec) Compressed() bool { return false }
func (bytesCodec) Marshal(v any) ([]byte, error) {
	b, ok := v.([]byte)
	if !ok {
		return nil, errors.New("bytesCodec: not []byte")
	}
	return b, nil
}
func (bytesCodec) Unmarshal(data []byte, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return errors.New("bytesCodec: not *[]byte")
	}
	*p = append([]byte(nil), data...)
	return nil
}

// countingL1 counts how the client reads it.
type countingL1 struct {
	*mapL1
	gets, locals int
}

func (c *countingL1) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	c.gets++
	return c.mapL1.Get(ctx, key)
}

func (c *countingL1) GetLocal(ctx context.Context, key string) (core.Entry, bool, error) {
	c.locals++
	return c.mapL1.GetLocal(ctx, key)
}

var _ tier.LocalGetter = (*countingL1)(nil)

// core does not import this package: its client finds a LocalGetter through
// an interface of its own with the same method set. A fresh local hit
// answers GetOrLoad without a Get; this test breaks if the two method sets
// drift apart.
func TestClientAsksLocalGetterFirst(t *testing.T) {
	ctx := context.Background()
	l1 := &countingL1{mapL1: newMapL1()}
	c, err := core.New(l1, core.WithCodec(bytesCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	load := func(context.Context) ([]byte, error) { return nil, errors.New("load called on a local hit") }
	v, err := core.GetOrLoad(ctx, c, "k", load)
	if err != nil || string(v) != "v" {
		t.Fatalf("GetOrLoad = %q, %v", v, err)
	}
	if l1.locals != 1 || l1.gets != 0 {
		t.Fatalf("GetOrLoad made %d GetLocal and %d Get calls, want 1 and 0", l1.locals, l1.gets)
	}
}

func TestUpperReportRidesTheContext(t *testing.T) {
	ctx := context.Background()
	if tier.UpperReportFrom(ctx) != nil {
		t.Fatal("a bare context carries a report")
	}
	r := &tier.UpperReport{Status: tier.UpperMiss, Hits: func() uint64 { return 7 }}
	got := tier.UpperReportFrom(tier.WithUpperReport(ctx, r))
	if got != r || got.Status != tier.UpperMiss || got.Hits() != 7 {
		t.Fatalf("report %+v", got)
	}
}
