package compose_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/compose"
	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
)

// reportingLower is a lower tier that reads the upper tier's reports and
// keeps the status of each call.
type reportingLower struct {
	core.Backend
	mu       sync.Mutex
	statuses []string
}

func (r *reportingLower) ReadsUpperReport() bool { return true }

func (r *reportingLower) note(ctx context.Context, op string) {
	s := "none"
	if rep := tier.UpperReportFrom(ctx); rep != nil {
		s = map[tier.UpperStatus]string{tier.UpperHit: "hit", tier.UpperMiss: "miss"}[rep.Status]
	}
	r.mu.Lock()
	r.statuses = append(r.statuses, op+":"+s)
	r.mu.Unlock()
}

func (r *reportingLower) Get(ctx context.Context, k string) (core.Entry, bool, error) {
	r.note(ctx, "get")
	return r.Backend.Get(ctx, k)
}

func (r *reportingLower) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	r.note(ctx, "set")
	return r.Backend.Set(ctx, k, v, ttl)
}

func (r *reportingLower) Delete(ctx context.Context, k string) error {
	r.note(ctx, "delete")
	return r.Backend.Delete(ctx, k)
}

func (r *reportingLower) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.statuses
	r.statuses = nil
	return s
}

func TestObserverSeesEachTier(t *testing.T) {
	ctx := context.Background()
	var (
		mu     sync.Mutex
		events []core.OpEvent
	)
	obs := &core.Observer{OnOp: func(_ context.Context, e core.OpEvent) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}}
	take := func() []core.OpEvent {
		mu.Lock()
		defer mu.Unlock()
		e := events
		events = nil
		return e
	}
	lower := &reportingLower{Backend: memory.New()}
	b, err := compose.TiersWith([]compose.Option{compose.WithObserver(obs), compose.WithBackfillMode(compose.BackfillInline)}, memory.New(), lower)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	if err := b.Set(ctx, "k", []byte("abc"), time.Minute); err != nil {
		t.Fatal(err)
	}
	want := []core.OpEvent{
		{Op: core.OpSet, Tier: "l2", Result: core.ResultOK, Bytes: 3},
		{Op: core.OpSet, Tier: "l1", Result: core.ResultOK, Bytes: 3},
	}
	if got := take(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("set events %+v", got)
	}
	if _, _, err := b.Get(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if got := take(); len(got) != 1 || got[0] != (core.OpEvent{Op: core.OpGet, Tier: "l1", Result: core.ResultHit, Bytes: 3}) {
		t.Fatalf("hit events %+v", got)
	}
	if _, _, err := b.Get(ctx, "absent"); err != nil {
		t.Fatal(err)
	}
	got := take()
	if len(got) != 2 || got[0] != (core.OpEvent{Op: core.OpGet, Tier: "l1", Result: core.ResultMiss}) ||
		got[1] != (core.OpEvent{Op: core.OpGet, Tier: "l2", Result: core.ResultMiss}) {
		t.Fatalf("miss events %+v", got)
	}
	if err := b.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if got := take(); len(got) != 2 || got[0].Tier != "l1" || got[1].Tier != "l2" || got[1].Op != core.OpDelete {
		t.Fatalf("delete events %+v", got)
	}
	// The lower tier learnt that the upper one did not answer each call.
	st := lower.take()
	if len(st) != 3 || st[0] != "set:miss" || st[1] != "get:miss" || st[2] != "delete:miss" {
		t.Fatalf("statuses seen below: %v", st)
	}
}

func TestNoReportForLowerTiersThatDoNotReadThem(t *testing.T) {
	ctx := context.Background()
	seen := false
	lower := newProbe("lower", &opLog{})
	lower.afterGet = func(ctx context.Context, _ string, _ core.Entry, _ bool) { seen = tier.UpperReportFrom(ctx) != nil }
	b := mustNew(t, memory.New(), lower)
	if _, _, err := b.Get(ctx, "absent"); err != nil {
		t.Fatal(err)
	}
	if lower.gets.Load() != 1 || seen {
		t.Fatalf("gets %d, report attached %v", lower.gets.Load(), seen)
	}
}
