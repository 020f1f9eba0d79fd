package compose_test

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
)

// markedL1 is conformance/memory with marks: SetCopyMarked records the mark
// beside the copy, any other write drops it, GetLocalMarked returns it.
type markedL1 struct {
	*memory.Backend
	mu    sync.Mutex
	marks map[string]core.GuardMark
	// remote makes InMemory report false.
	remote bool
}

func newMarkedL1() *markedL1 {
	return &markedL1{Backend: memory.New(memory.WithName("l1")), marks: map[string]core.GuardMark{}}
}

func (m *markedL1) InMemory() bool { return !m.remote }

func (m *markedL1) setMark(key string, mark core.GuardMark) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if mark == 0 {
		delete(m.marks, key)
		return
	}
	m.marks[key] = mark
}

func (m *markedL1) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	m.setMark(key, 0)
	return m.Backend.Set(ctx, key, value, ttl)
}

func (m *markedL1) SetCopy(ctx context.Context, key string, value []byte, keep time.Duration, fresh core.Freshness) error {
	m.setMark(key, 0)
	return m.Backend.SetCopy(ctx, key, value, keep, fresh)
}

func (m *markedL1) SetCopyMarked(ctx context.Context, key string, value []byte, keep time.Duration, fresh core.Freshness, mark core.GuardMark) error {
	if err := m.Backend.SetCopy(ctx, key, value, keep, fresh); err != nil {
		return err
	}
	m.setMark(key, mark)
	return nil
}

func (m *markedL1) GetLocal(ctx context.Context, key string) (core.Entry, bool, error) {
	return m.Backend.Get(ctx, key)
}

func (m *markedL1) GetLocalMarked(ctx context.Context, key string) ([]byte, core.Freshness, core.GuardMark, bool) {
	e, found, err := m.Backend.Get(ctx, key)
	if err != nil || !found {
		return nil, core.Freshness{}, 0, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return e.Value, e.Freshness, m.marks[key], true
}

var (
	_ tier.MarkedCopySetter  = (*markedL1)(nil)
	_ tier.MarkedLocalGetter = (*markedL1)(nil)
)

// guardCodec is a JSON codec whose Check marks valid JSON with goodMark and
// anything else with 0, recording what it checked.
type guardCodec struct {
	mu      sync.Mutex
	checked [][]byte
}

const goodMark core.GuardMark = 0x5a

func (*guardCodec) Format() string                  { return "msgpack" }
func (*guardCodec) Compressed() bool                { return false }
func (*guardCodec) Marshal(v any) ([]byte, error)   { return json.Marshal(v) }
func (*guardCodec) Unmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
func (g *guardCodec) UnmarshalChecked(b []byte, v any, _ core.GuardMark) error {
	return json.Unmarshal(b, v)
}

func (g *guardCodec) Check(b []byte) core.GuardMark {
	g.mu.Lock()
	g.checked = append(g.checked, bytes.Clone(b))
	g.mu.Unlock()
	if json.Valid(b) {
		return goodMark
	}
	return 0
}

// TestGuardMarksBackfilledCopies: with WithGuard, a backfilled copy is
// checked with the codec and stored with its mark (0 for bytes the check
// rejects, which are still copied), and GetLocalMarked returns it; a later
// Set of the upper tier drops it.
func TestGuardMarksBackfilledCopies(t *testing.T) { inBothModes(t, testGuardMarksBackfilledCopies) }

func testGuardMarksBackfilledCopies(t *testing.T, opts ...compose.Option) {
	ctx := context.Background()
	l1, l2 := newMarkedL1(), memory.New()
	g := &guardCodec{}
	b, err := compose.New(l1, l2, append(opts, compose.WithGuard(g))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	must(t, l2.Set(ctx, "good", []byte(`{"a":1}`), time.Hour))
	must(t, l2.Set(ctx, "evil", []byte(`{"a":`), time.Hour))
	for _, k := range []string{"good", "evil"} {
		if _, found, err := b.Get(ctx, k); err != nil || !found {
			t.Fatalf("Get(%s) = %v, %v", k, found, err)
		}
	}
	must(t, b.Wait(ctx))
	for k, want := range map[string]core.GuardMark{"good": goodMark, "evil": 0} {
		v, _, mark, found := b.GetLocalMarked(ctx, k)
		if !found || mark != want {
			t.Errorf("GetLocalMarked(%s) = %q, mark %#x, %v; want the copy with mark %#x", k, v, mark, found, want)
		}
	}
	g.mu.Lock()
	n := len(g.checked)
	g.mu.Unlock()
	if n != 2 {
		t.Errorf("the guard checked %d values, want the 2 copies", n)
	}
	// A write of the upper tier that is not a marked copy drops the mark.
	must(t, l1.Set(ctx, "good", []byte(`{"a":2}`), time.Hour))
	if _, _, mark, found := b.GetLocalMarked(ctx, "good"); !found || mark != 0 {
		t.Errorf("after Set: mark %#x (found %v), want 0", mark, found)
	}
}

// TestNoGuardNoMarks: without WithGuard, or with a codec that cannot
// check, or over an upper tier that is not in memory, copies are stored
// with SetCopy and GetLocalMarked returns no mark.
func TestNoGuardNoMarks(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct {
		opts   []compose.Option
		remote bool
	}{
		"no guard":           {},
		"not checking":       {opts: []compose.Option{compose.WithGuard(plainCodec{})}},
		"remote upper tier":  {opts: []compose.Option{compose.WithGuard(&guardCodec{}), compose.WithBackfillMode(compose.BackfillInline)}, remote: true},
		"nil guard is no-op": {opts: []compose.Option{compose.WithGuard(nil)}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			l1, l2 := newMarkedL1(), memory.New()
			l1.remote = tc.remote
			b, err := compose.New(l1, l2, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			must(t, l2.Set(ctx, "k", []byte(`{"a":1}`), time.Hour))
			if _, found, err := b.Get(ctx, "k"); err != nil || !found {
				t.Fatalf("Get = %v, %v", found, err)
			}
			must(t, b.Wait(ctx))
			if e, _, _ := l1.Backend.Get(ctx, "k"); string(e.Value) != `{"a":1}` {
				t.Fatalf("no copy in the upper tier (%q)", e.Value)
			}
			l1.mu.Lock()
			marks := len(l1.marks)
			l1.mu.Unlock()
			if marks != 0 {
				t.Errorf("%d marked copies, want none", marks)
			}
			if _, _, mark, _ := b.GetLocalMarked(ctx, "k"); mark != 0 {
				t.Errorf("GetLocalMarked mark %#x, want 0", mark)
			}
		})
	}
}

// plainCodec is a codec without the CheckingCodec capability.
type plainCodec struct{}

func (plainCodec) Format() string                  { return "msgpack" }
func (plainCodec) Compressed() bool                { return false }
func (plainCodec) Marshal(v any) ([]byte, error)   { return json.Marshal(v) }
func (plainCodec) Unmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
