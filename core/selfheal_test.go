package core_test

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// A value GetOrLoad cannot read is a miss: the loader runs once, its value
// overwrites the bad one, the event is counted and logged without the key,
// and Get still reports the typed error.
func TestGetOrLoadHealsUnreadableValues(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		stored []byte
		opts   []core.Option
		kind   core.Kind
	}{
		{"truncated frame", []byte(`{"id":4`), nil, core.KindSerialization},
		{"foreign frame", []byte("\x80\x04\x95pickle"), nil, core.KindSerialization},
		{"another type", []byte(`"a string"`), nil, core.KindSerialization},
		{"sealed for another key", []byte(`other|{"id":4}`), []core.Option{core.WithEncryptor(keyBoundEncryptor{})}, core.KindEncryption},
		{"oversized", []byte(`{"id":4,"name":"` + strings.Repeat("x", 300) + `"}`), []core.Option{core.WithMaxPayload(200)}, core.KindPayloadTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMem()
			h := &countingHandler{}
			c := newClient(t, m, append(tc.opts, core.WithLogger(slog.New(h)), core.WithStaleWhileRevalidate(false))...)
			_ = m.Set(ctx, "user:7", tc.stored, time.Hour)
			_, _, err := core.Get[user](ctx, c, "user:7")
			wantKind(t, err, tc.kind)

			var loads atomic.Int64
			load := func(context.Context) (user, error) { loads.Add(1); return user{ID: 7, Name: "Ada"}, nil }
			for range 3 {
				u, err := core.GetOrLoad(ctx, c, "user:7", load)
				if err != nil || u.ID != 7 {
					t.Fatalf("GetOrLoad = %v, %v; want the loader's value", u, err)
				}
			}
			if n := loads.Load(); n != 1 {
				t.Fatalf("loader ran %d times, want 1 (the healed value is read after)", n)
			}
			if u, found, err := core.Get[user](ctx, c, "user:7"); err != nil || !found || u.Name != "Ada" {
				t.Fatalf("after healing Get = %v, %v, %v", u, found, err)
			}
			if s := c.Stats(); s.SelfHealed != 1 {
				t.Fatalf("SelfHealed %d, want 1", s.SelfHealed)
			}
			lines := h.get()
			if len(lines) != 1 || strings.Contains(lines[0], "user:7") || strings.Contains(lines[0], "Ada") {
				t.Fatalf("log %q: want one line naming neither key nor value", lines)
			}
		})
	}
}

func TestCachedHealsAndLogsAreRateLimited(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	h := &countingHandler{}
	c := newClient(t, m, core.WithLogger(slog.New(h)))
	f := core.Cached(c, "sq", func(_ context.Context, n int) (int, error) { return n * n, nil })
	for i := range 50 {
		_ = m.Set(ctx, "sq:"+strconv.Itoa(i), []byte("\xc1garbage"), time.Hour)
		if v, err := f(ctx, i); err != nil || v != i*i {
			t.Fatalf("Cached(%d) = %v, %v", i, v, err)
		}
	}
	if s := c.Stats(); s.SelfHealed != 50 {
		t.Fatalf("SelfHealed %d, want 50", s.SelfHealed)
	}
	if n := len(h.get()); n != 1 {
		t.Fatalf("%d log lines for 50 healed values, want 1", n)
	}
}

// A heal never overwrites a Set of this client that began after the bad
// read.
func TestHealDoesNotOverwriteOwnLaterSet(t *testing.T) {
	ctx := context.Background()
	m := newMem()
	c := newClient(t, m, core.WithStaleWhileRevalidate(false))
	_ = m.Set(ctx, "k", []byte("\xc1"), time.Hour)
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	started := make(chan struct{})
	go func() {
		defer wg.Done()
		_, _ = core.GetOrLoad(ctx, c, "k", func(context.Context) (int, error) {
			close(started)
			<-release
			return 1, nil
		})
	}()
	<-started
	if err := c.Set(ctx, "k", 2); err != nil {
		t.Fatal(err)
	}
	close(release)
	wg.Wait()
	raw, _ := m.raw("k")
	if !bytes.Equal(raw, []byte("2")) {
		t.Fatalf("stored %q, want this client's Set (2)", raw)
	}
}
