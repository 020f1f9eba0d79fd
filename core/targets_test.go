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
