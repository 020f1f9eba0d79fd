package core_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// A large batch returns every hit decoded into its own key and leaves
// misses out, encrypted (opened in place) or not, through a BatchGetter or
// one read at a time.
func TestGetManyLargeBatch(t *testing.T) {
	ctx := context.Background()
	for _, enc := range []bool{false, true} {
		for _, batch := range []bool{true, false} {
			b := newCapBackend()
			var backend core.Backend = b.memBackend
			if batch {
				backend = b
			}
			var opts []core.Option
			if enc {
				opts = append(opts, core.WithEncryptor(keyBoundEncryptor{}))
			}
			c := newClient(t, backend, opts...)
			keys := make([]string, 300)
			for i := range keys {
				keys[i] = "k" + strconv.Itoa(i)
				if i%7 != 3 { // every seventh key is a miss
					if err := c.Set(ctx, keys[i], i); err != nil {
						t.Fatal(err)
					}
				}
			}
			got, err := core.GetMany[int](ctx, c, keys)
			if err != nil {
				t.Fatalf("enc=%v batch=%v: %v", enc, batch, err)
			}
			for i, k := range keys {
				v, ok := got[k]
				if want := i%7 != 3; ok != want || (ok && v != i) {
					t.Fatalf("enc=%v batch=%v: %s = %d, %v; want %d, %v", enc, batch, k, v, ok, i, want)
				}
			}
			if len(got) != 300-43 {
				t.Fatalf("enc=%v batch=%v: %d values, want %d", enc, batch, len(got), 300-43)
			}
		}
	}
}

// When several values of a batch fail to decode, GetMany returns the error
// of the first one in key order.
func TestGetManyFirstFailureInOrder(t *testing.T) {
	ctx := context.Background()
	b := newCapBackend()
	c := newClient(t, b)
	keys := make([]string, 200)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
		if err := c.Set(ctx, keys[i], i); err != nil {
			t.Fatal(err)
		}
	}
	// Three bad values; the first in order fails with its own message.
	for i, raw := range map[int]string{170: "{not json", 45: `"a string"`, 120: "{not json"} {
		if err := b.memBackend.Set(ctx, keys[i], []byte(raw), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	for range 20 {
		_, err := core.GetMany[int](ctx, c, keys)
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Kind != core.KindSerialization {
			t.Fatalf("GetMany = %v, want a serialization error", err)
		}
		if !strings.Contains(err.Error(), "cannot unmarshal string") {
			t.Fatalf("GetMany = %v, want the error of the first bad value (a string)", err)
		}
	}
}
