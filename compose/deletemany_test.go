package compose_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
)

// batchDeleter is a tier with DeleteMany that counts its batches and can
// fail them.
type batchDeleter struct {
	core.Backend
	batches atomic.Int64
	fail    error
}

func (b *batchDeleter) DeleteMany(ctx context.Context, keys []string) error {
	b.batches.Add(1)
	if b.fail != nil {
		return b.fail
	}
	for _, k := range keys {
		if err := b.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// DeleteMany removes the keys from both tiers, in one batch per tier that
// has the capability and key by key from one that has not.
func TestDeleteMany(t *testing.T) {
	ctx := context.Background()
	up := plainBackend{memory.New()}
	low := &batchDeleter{Backend: memory.New()}
	b := mustNew(t, up, low)
	var _ core.BatchDeleter = b
	for _, k := range []string{"a", "b", "keep"} {
		if err := b.Set(ctx, k, []byte(k), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	wait(t, b)
	if err := b.DeleteMany(ctx, []string{"a", "b", "missing", "a"}); err != nil {
		t.Fatal(err)
	}
	for _, tr := range []core.Backend{up, low} {
		for _, k := range []string{"a", "b"} {
			if _, found, _ := tr.Get(ctx, k); found {
				t.Errorf("%s still in a tier after DeleteMany", k)
			}
		}
		if _, found, _ := tr.Get(ctx, "keep"); !found {
			t.Error("DeleteMany removed a key it was not given")
		}
	}
	if low.batches.Load() != 1 {
		t.Errorf("the lower tier got %d DeleteMany batches; want 1", low.batches.Load())
	}
	if err := b.DeleteMany(ctx, nil); err != nil {
		t.Errorf("DeleteMany(no keys) = %v", err)
	}

	low.fail = core.NewError(core.KindTransient, "low", "down", errors.New("ECONNRESET"))
	if err := b.DeleteMany(ctx, []string{"keep"}); core.KindOf(err) != core.KindTransient {
		t.Errorf("DeleteMany with the lower tier down = %v; want its transient error", err)
	}
	if _, found, _ := up.Get(ctx, "keep"); found {
		t.Error("the upper copy survived a DeleteMany whose lower tier failed")
	}
}
