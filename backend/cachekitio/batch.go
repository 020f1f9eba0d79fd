package cachekitio

import (
	"context"
	"sync"

	"github.com/cachekit-io/cachekit-go/core"
)

// The CacheKit HTTP API has no batch endpoint (spec/saas-api.md: one key
// per request), so the batch capabilities run the per-key requests
// concurrently, at most BatchConcurrency at a time, over the backend's
// connection pool: a batch of n keys costs about n/BatchConcurrency round
// trips instead of n.

// BatchConcurrency bounds the requests one GetMany, SetMany or DeleteMany
// has in flight at once.
const BatchConcurrency = 8

// eachKey calls f(ctx, i) for i in [0, n), at most BatchConcurrency at once.
// The first error cancels the calls not yet started (and the context of
// those under way) and is returned; on success every call ran.
func eachKey(ctx context.Context, n int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		sem   = make(chan struct{}, BatchConcurrency)
	)
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := f(ctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	if err := ctx.Err(); err != nil {
		return core.Wrap(err, core.ContextKind(err), "cachekitio.batch")
	}
	return nil
}

// checkKeys validates every key before any request.
func (b *Backend) checkKeys(op string, keys []string) error {
	for _, k := range keys {
		if err := b.checkKey(op, k); err != nil {
			return err
		}
	}
	return nil
}

// GetMany implements core.BatchGetter with concurrent GETs (see
// BatchConcurrency). Every key is validated before any request; the first
// failing read fails the call.
func (b *Backend) GetMany(ctx context.Context, keys []string) ([]core.BatchResult, error) {
	if err := b.checkKeys("cachekitio.getmany", keys); err != nil {
		return nil, err
	}
	out := make([]core.BatchResult, len(keys))
	err := eachKey(ctx, len(keys), func(ctx context.Context, i int) (err error) {
		out[i].Entry, out[i].Found, err = b.Get(ctx, keys[i])
		return err
	})
	if err != nil {
		return nil, core.Wrap(err, core.KindUnknown, "cachekitio.getmany")
	}
	return out, nil
}

// SetMany implements core.BatchSetter with concurrent PUTs (see
// BatchConcurrency). Every key and TTL is validated before any request. It
// is not atomic: on error some items may be stored.
func (b *Backend) SetMany(ctx context.Context, items []core.BatchItem) error {
	const op = "cachekitio.setmany"
	for _, it := range items {
		if err := b.checkKey(op, it.Key); err != nil {
			return err
		}
		if it.TTL < 0 {
			return &core.Error{Kind: core.KindInvalidInput, Op: op, Key: it.Key, Msg: "negative TTL"}
		}
	}
	err := eachKey(ctx, len(items), func(ctx context.Context, i int) error {
		return b.Set(ctx, items[i].Key, items[i].Value, items[i].TTL)
	})
	if err != nil {
		return core.Wrap(err, core.KindUnknown, op)
	}
	return nil
}

// DeleteMany implements core.BatchDeleter with concurrent DELETEs (see
// BatchConcurrency). Deleting a missing key succeeds. It is not atomic: on
// error some keys may be deleted.
func (b *Backend) DeleteMany(ctx context.Context, keys []string) error {
	const op = "cachekitio.deletemany"
	if err := b.checkKeys(op, keys); err != nil {
		return err
	}
	if err := eachKey(ctx, len(keys), func(ctx context.Context, i int) error { return b.Delete(ctx, keys[i]) }); err != nil {
		return core.Wrap(err, core.KindUnknown, op)
	}
	return nil
}
