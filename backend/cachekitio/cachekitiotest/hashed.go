// Package cachekitiotest helps test code run suites written for any key
// against the CacheKit HTTP API, in the manner of net/http/httptest.
//
// The API accepts keys of 1–400 bytes in [A-Za-z0-9_.:-] and answers 400 to
// any other. Generic suites (the conformance suite among them) use keys
// with '/', spaces, non-ASCII bytes and up to a kilobyte, to prove that a
// backend stores keys byte for byte. HashKeys maps each such key onto one
// the API accepts, so the rest of the suite still runs over real HTTP.
package cachekitiotest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/cachekit-io/cachekit-go/backend/cachekitio"
	"github.com/cachekit-io/cachekit-go/core"
)

// Hashed is a core.Backend that sends every key to the wrapped backend as
// Key(key). It has every capability of *cachekitio.Backend: TTL, Expire,
// Lock, batch reads, writes and deletes, Stats and the upper-tier report.
type Hashed struct {
	b *cachekitio.Backend
}

// HashKeys wraps b so that any key may be used; see Key.
func HashKeys(b *cachekitio.Backend) *Hashed { return &Hashed{b: b} }

// Key is the key Hashed sends for k: "conformance:" and the hex SHA-256 of
// k (76 bytes, within the API's alphabet). Distinct keys stay distinct.
func Key(k string) string {
	sum := sha256.Sum256([]byte(k))
	return "conformance:" + hex.EncodeToString(sum[:])
}

func keys(ks []string) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = Key(k)
	}
	return out
}

// Unwrap returns the wrapped backend.
func (h *Hashed) Unwrap() *cachekitio.Backend { return h.b }

// Get reads Key(k).
func (h *Hashed) Get(ctx context.Context, k string) (core.Entry, bool, error) {
	return h.b.Get(ctx, Key(k))
}

// Set writes Key(k).
func (h *Hashed) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	return h.b.Set(ctx, Key(k), v, ttl)
}

// Delete deletes Key(k).
func (h *Hashed) Delete(ctx context.Context, k string) error { return h.b.Delete(ctx, Key(k)) }

// Exists reports whether Key(k) holds a value.
func (h *Hashed) Exists(ctx context.Context, k string) (bool, error) {
	return h.b.Exists(ctx, Key(k))
}

// Health checks the service.
func (h *Hashed) Health(ctx context.Context) error { return h.b.Health(ctx) }

// TTL reads Key(k)'s remaining time to live.
func (h *Hashed) TTL(ctx context.Context, k string) (time.Duration, bool, error) {
	return h.b.TTL(ctx, Key(k))
}

// Expire sets Key(k)'s time to live.
func (h *Hashed) Expire(ctx context.Context, k string, ttl time.Duration) (bool, error) {
	return h.b.Expire(ctx, Key(k), ttl)
}

// Lock takes Key(k)'s lock.
func (h *Hashed) Lock(ctx context.Context, k string, lease time.Duration) (string, bool, error) {
	return h.b.Lock(ctx, Key(k), lease)
}

// Unlock releases Key(k)'s lock.
func (h *Hashed) Unlock(ctx context.Context, k, token string) (bool, error) {
	return h.b.Unlock(ctx, Key(k), token)
}

// GetMany reads the keys' hashed forms, in order.
func (h *Hashed) GetMany(ctx context.Context, ks []string) ([]core.BatchResult, error) {
	return h.b.GetMany(ctx, keys(ks))
}

// SetMany writes every item under its key's hashed form.
func (h *Hashed) SetMany(ctx context.Context, items []core.BatchItem) error {
	out := make([]core.BatchItem, len(items))
	for i, it := range items {
		out[i] = core.BatchItem{Key: Key(it.Key), Value: it.Value, TTL: it.TTL}
	}
	return h.b.SetMany(ctx, out)
}

// DeleteMany deletes the keys' hashed forms.
func (h *Hashed) DeleteMany(ctx context.Context, ks []string) error {
	return h.b.DeleteMany(ctx, keys(ks))
}

// ReadsUpperReport reports that the wrapped backend reads a composition's
// upper-tier report (tier.UpperReportReader), as *cachekitio.Backend does.
func (h *Hashed) ReadsUpperReport() bool { return h.b.ReadsUpperReport() }

// Stats reports the wrapped backend's counters.
func (h *Hashed) Stats() []core.TierStats { return h.b.Stats() }

// Close closes the wrapped backend.
func (h *Hashed) Close() error { return h.b.Close() }

var (
	_ core.Backend       = (*Hashed)(nil)
	_ core.TTLInspector  = (*Hashed)(nil)
	_ core.TTLRefresher  = (*Hashed)(nil)
	_ core.Locker        = (*Hashed)(nil)
	_ core.BatchGetter   = (*Hashed)(nil)
	_ core.BatchSetter   = (*Hashed)(nil)
	_ core.BatchDeleter  = (*Hashed)(nil)
	_ core.StatsReporter = (*Hashed)(nil)
)
