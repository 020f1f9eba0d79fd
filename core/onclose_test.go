package core_test

import (
	"errors"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
)

// Close runs the WithOnClose hooks last-registered first, once each however
// often it is called and from whichever namespace view, and returns their
// errors joined.
func TestWithOnCloseRunsOnceInReverseOrder(t *testing.T) {
	var order []string
	boom := errors.New("boom")
	c, err := core.New(newMem(), core.WithCodec(jsonCodec{}),
		core.WithOnClose(func() error { order = append(order, "first"); return nil }),
		core.WithOnClose(func() error { order = append(order, "second"); return boom }))
	if err != nil {
		t.Fatal(err)
	}
	view, err := c.Namespace("v")
	if err != nil {
		t.Fatal(err)
	}
	if err := view.Close(); !errors.Is(err, boom) {
		t.Fatalf("Close: %v, want the hook's error", err)
	}
	if err := c.Close(); !errors.Is(err, boom) {
		t.Fatalf("second Close: %v, want the first call's result", err)
	}
	if len(order) != 2 || order[0] != "second" || order[1] != "first" {
		t.Fatalf("hooks ran %v, want [second first]", order)
	}
	_, err = core.New(newMem(), core.WithCodec(jsonCodec{}), core.WithOnClose(nil))
	wantKind(t, err, core.KindConfig)
}
