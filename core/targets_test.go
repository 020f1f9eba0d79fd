package core_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
)

type tagged struct {
	ID   int
	Name string
	Tags []string
	Meta map[string]int
}

// Reads decode into pooled targets. Each read must start from a zero T: a
// value whose encoding lacks fields (JSON here, which leaves absent fields
// untouched) must not inherit them from an earlier read, and a failed
// decode must return the zero value, not a half-filled one.
func TestDecodeTargetsStartZero(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := newClient(t, m)
	full := tagged{ID: 1, Name: "Ada", Tags: []string{"x"}, Meta: map[string]int{"k": 1}}
	if err := c.Set(ctx, "full", full); err != nil {
		t.Fatal(err)
	}
	_ = m.Set(ctx, "sparse", []byte(`{"ID":2}`), 0)
	_ = m.Set(ctx, "broken", []byte(`{"ID":3,"Name":"half","Tags":[1]}`), 0)
	for range 3 {
		got, found, err := core.Get[tagged](ctx, c, "full")
		if err != nil || !found || got.Name != "Ada" || len(got.Tags) != 1 || got.Meta["k"] != 1 {
			t.Fatalf("full = %+v %v %v", got, found, err)
		}
		got, found, err = core.Get[tagged](ctx, c, "sparse")
		if err != nil || !found || fmt.Sprint(got) != fmt.Sprint(tagged{ID: 2}) {
			t.Fatalf("sparse = %+v %v %v (fields leaked from an earlier read?)", got, found, err)
		}
		got, found, err = core.Get[tagged](ctx, c, "broken")
		wantKind(t, err, core.KindSerialization)
		if found || got.ID != 0 || got.Name != "" || got.Tags != nil {
			t.Fatalf("broken = %+v %v: a failed decode returned a partial value", got, found)
		}
		v, err := core.GetOrLoad(ctx, c, "sparse", func(context.Context) (tagged, error) {
			return tagged{}, fmt.Errorf("loaded a hit")
		})
		if err != nil || fmt.Sprint(v) != fmt.Sprint(tagged{ID: 2}) {
			t.Fatalf("GetOrLoad sparse = %+v %v", v, err)
		}
	}
}

// Values returned by concurrent reads share no memory: each caller may
// mutate what it got (run with -race).
func TestDecodedValuesAreTheCallers(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, newMem())
	if err := c.Set(ctx, "k", tagged{ID: 1, Tags: []string{"a", "b"}, Meta: map[string]int{"n": 0}}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				v, found, err := core.Get[tagged](ctx, c, "k")
				if err != nil || !found || v.Tags[0] != "a" || v.Meta["n"] != 0 {
					t.Errorf("read %d/%d = %+v %v %v", g, i, v, found, err)
					return
				}
				v.Tags[0] = "mutated"
				v.Meta["n"] = g + 1
				v.ID = -1
			}
		})
	}
	wg.Wait()
}

// A client remembers the pool of the type it decoded last. Reads that
// alternate types, from many goroutines and over two clients, must each
// get a target of their own type (a wrong pool would panic or mix values),
// and switching types must allocate nothing more than reading one type.
func TestDecodeTargetsAcrossTypes(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c1, c2 := newClient(t, m), newClient(t, m)
	if err := c1.Set(ctx, "t", tagged{ID: 7, Tags: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	if err := c1.Set(ctx, "u", user{ID: 8, Name: "Bo"}); err != nil {
		t.Fatal(err)
	}
	if err := c1.Set(ctx, "s", "str"); err != nil {
		t.Fatal(err)
	}
	read := func(c *core.Client) error {
		if v, _, err := core.Get[tagged](ctx, c, "t"); err != nil || v.ID != 7 || v.Tags[0] != "x" {
			return fmt.Errorf("tagged = %+v, %v", v, err)
		}
		if v, _, err := core.Get[user](ctx, c, "u"); err != nil || v != (user{ID: 8, Name: "Bo"}) {
			return fmt.Errorf("user = %+v, %v", v, err)
		}
		if v, _, err := core.Get[string](ctx, c, "s"); err != nil || v != "str" {
			return fmt.Errorf("string = %q, %v", v, err)
		}
		return nil
	}
	var wg sync.WaitGroup
	for g := range 8 {
		c := c1
		if g%2 == 1 {
			c = c2
		}
		wg.Go(func() {
			for range 200 {
				if err := read(c); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()

	one := testing.AllocsPerRun(200, func() {
		_, _, _ = core.Get[user](ctx, c1, "u")
		_, _, _ = core.Get[user](ctx, c1, "u")
	})
	type sameUser user // another type, decoded exactly as user is
	alternating := testing.AllocsPerRun(200, func() {
		_, _, _ = core.Get[user](ctx, c1, "u")
		_, _, _ = core.Get[sameUser](ctx, c1, "u")
	})
	if alternating != one {
		t.Errorf("alternating types: %.0f allocs per pair of reads, one type: %.0f", alternating, one)
	}
}
