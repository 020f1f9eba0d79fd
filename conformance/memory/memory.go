package memory

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sort"
	"sync"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
)

// Backend is an in-memory core.Backend. The zero value is not usable: call
// New (its operations fail with a *core.Error of KindConfig). A Backend is
// safe for concurrent use.
type Backend struct {
	mu     sync.Mutex
	items  map[string]item
	locks  map[string]lock
	now    func() time.Time
	fault  func(op, key string) error
	name   string
	closed bool
	stats  core.TierStats
}

type item struct {
	value []byte
	exp   time.Time // zero: no expiry
	// copyOf, for an entry stored by SetCopy, is the value's freshness at
	// the time, and copied that time; Get reports it aged.
	copyOf core.Freshness
	isCopy bool
	copied time.Time
}

type lock struct {
	token string
	exp   time.Time
}

// Option configures a Backend.
type Option func(*Backend)

// WithClock makes the backend read time from now instead of time.Now, so
// that tests can move time forward without sleeping. nil means time.Now.
func WithClock(now func() time.Time) Option {
	return func(b *Backend) {
		if now == nil {
			now = time.Now
		}
		b.now = now
	}
}

// WithFault installs a fault hook: before each operation the backend calls
// fault with the operation's name ("get", "set", "setcopy", "delete",
// "exists", "health", "ttl", "expire", "lock", "unlock", "getmany",
// "setmany", "clear") and the key ("" for health, clear and batch
// operations); a non-nil result is returned as the operation's error
// (wrapped in a *core.Error of KindTransient unless it already carries a
// kind) and the operation has no effect.
func WithFault(fault func(op, key string) error) Option {
	return func(b *Backend) { b.fault = fault }
}

// WithName sets the tier name reported by Stats (default "memory").
func WithName(name string) Option {
	return func(b *Backend) { b.name = name }
}

// New returns an empty Backend. nil options are skipped.
func New(opts ...Option) *Backend {
	b := &Backend{
		items: make(map[string]item),
		locks: make(map[string]lock),
		now:   time.Now,
		name:  "memory",
	}
	for _, o := range opts {
		if o != nil {
			o(b)
		}
	}
	return b
}

// Compile-time checks of the capabilities.
var (
	_ core.Backend       = (*Backend)(nil)
	_ core.ValueGetter   = (*Backend)(nil)
	_ core.TTLInspector  = (*Backend)(nil)
	_ core.TTLRefresher  = (*Backend)(nil)
	_ core.Locker        = (*Backend)(nil)
	_ core.BatchGetter   = (*Backend)(nil)
	_ core.BatchSetter   = (*Backend)(nil)
	_ core.StatsReporter = (*Backend)(nil)
	_ tier.Clearer       = (*Backend)(nil)
	_ tier.CopySetter    = (*Backend)(nil)
	_ tier.InMemory      = (*Backend)(nil)
)

// begin checks the context, the fault hook and the closed state, and locks
// b.mu when the operation may go ahead.
func (b *Backend) begin(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return &core.Error{Kind: core.ContextKind(err), Op: "memory." + op, Key: key, Err: err}
	}
	if b.fault != nil {
		if err := b.fault(op, key); err != nil {
			b.mu.Lock()
			b.stats.Errors++
			b.mu.Unlock()
			return core.Wrap(err, core.KindTransient, "memory."+op)
		}
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return core.NewError(core.KindPermanent, "memory."+op, "backend closed", nil)
	}
	if b.items == nil {
		b.mu.Unlock()
		return core.NewError(core.KindConfig, "memory."+op, "Backend not created by New", nil)
	}
	return nil
}

// live returns key's entry if it exists and has not expired, deleting it
// when expired. b.mu is held.
func (b *Backend) live(key string, now time.Time) (item, bool) {
	it, ok := b.items[key]
	if !ok {
		return item{}, false
	}
	if !it.exp.IsZero() && !now.Before(it.exp) {
		delete(b.items, key)
		return item{}, false
	}
	return it, true
}

func freshness(it item, now time.Time) core.Freshness {
	if it.exp.IsZero() {
		return core.ForeverFresh()
	}
	left := it.exp.Sub(now)
	if it.isCopy {
		f := it.copyOf
		if f.Known && !f.NoExpiry {
			f.FreshFor = max(f.FreshFor-now.Sub(it.copied), left)
		}
		return f
	}
	return core.FreshFor(left)
}

func invalidTTL(op, key string, ttl time.Duration) error {
	return &core.Error{Kind: core.KindInvalidInput, Op: "memory." + op, Key: key, Msg: "negative TTL " + ttl.String()}
}

// InMemory implements tier.InMemory: everything is in a Go map.
func (b *Backend) InMemory() bool { return true }

// Get implements core.Backend.
func (b *Backend) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	if err := b.begin(ctx, "get", key); err != nil {
		return core.Entry{}, false, err
	}
	defer b.mu.Unlock()
	now := b.now()
	it, ok := b.live(key, now)
	if !ok {
		b.stats.Misses++
		return core.Entry{}, false, nil
	}
	b.stats.Hits++
	return core.Entry{Value: append([]byte{}, it.value...), Freshness: freshness(it, now)}, true, nil
}

// GetValue implements core.ValueGetter: Get without the freshness.
func (b *Backend) GetValue(ctx context.Context, key string) ([]byte, bool, error) {
	e, found, err := b.Get(ctx, key)
	return e.Value, found, err
}

// Set implements core.Backend.
func (b *Backend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl < 0 {
		return invalidTTL("set", key, ttl)
	}
	if err := b.begin(ctx, "set", key); err != nil {
		return err
	}
	defer b.mu.Unlock()
	b.put(key, value, ttl)
	return nil
}

// put stores a copy of value. b.mu is held.
func (b *Backend) put(key string, value []byte, ttl time.Duration) {
	it := item{value: append([]byte{}, value...)}
	if ttl > 0 {
		it.exp = b.now().Add(ttl)
	}
	b.items[key] = it
}

// SetCopy implements tier.CopySetter: the entry expires after keep, and Get
// reports fresh, aged, until then.
func (b *Backend) SetCopy(ctx context.Context, key string, value []byte, keep time.Duration, fresh core.Freshness) error {
	if err := tier.CheckCopy("memory.setcopy", key, keep, fresh); err != nil {
		return err
	}
	if err := b.begin(ctx, "setcopy", key); err != nil {
		return err
	}
	defer b.mu.Unlock()
	now := b.now()
	b.items[key] = item{value: append([]byte{}, value...), exp: now.Add(keep), copyOf: fresh, isCopy: true, copied: now}
	return nil
}

// Delete implements core.Backend.
func (b *Backend) Delete(ctx context.Context, key string) error {
	if err := b.begin(ctx, "delete", key); err != nil {
		return err
	}
	defer b.mu.Unlock()
	delete(b.items, key)
	return nil
}

// Clear implements tier.Clearer: it drops every entry (locks stay). Its
// fault hook sees the operation "clear".
func (b *Backend) Clear(ctx context.Context) error {
	if err := b.begin(ctx, "clear", ""); err != nil {
		return err
	}
	defer b.mu.Unlock()
	clear(b.items)
	return nil
}

// Exists implements core.Backend.
func (b *Backend) Exists(ctx context.Context, key string) (bool, error) {
	if err := b.begin(ctx, "exists", key); err != nil {
		return false, err
	}
	defer b.mu.Unlock()
	_, ok := b.live(key, b.now())
	return ok, nil
}

// Health implements core.Backend: it fails only through the fault hook, a
// done context, or after Close.
func (b *Backend) Health(ctx context.Context) error {
	if err := b.begin(ctx, "health", ""); err != nil {
		return err
	}
	b.mu.Unlock()
	return nil
}

// TTL implements core.TTLInspector.
func (b *Backend) TTL(ctx context.Context, key string) (time.Duration, bool, error) {
	if err := b.begin(ctx, "ttl", key); err != nil {
		return 0, false, err
	}
	defer b.mu.Unlock()
	now := b.now()
	it, ok := b.live(key, now)
	if !ok {
		return 0, false, nil
	}
	if it.exp.IsZero() {
		return core.NoExpiry, true, nil
	}
	return it.exp.Sub(now), true, nil
}

// Expire implements core.TTLRefresher.
func (b *Backend) Expire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, &core.Error{Kind: core.KindInvalidInput, Op: "memory.expire", Key: key, Msg: "TTL must be positive, got " + ttl.String()}
	}
	if err := b.begin(ctx, "expire", key); err != nil {
		return false, err
	}
	defer b.mu.Unlock()
	now := b.now()
	it, ok := b.live(key, now)
	if !ok {
		return false, nil
	}
	it.exp = now.Add(ttl)
	it.isCopy = false // a copy's value is now fresh for ttl
	b.items[key] = it
	return true, nil
}

// Lock implements core.Locker. Locks live apart from values: locking a key
// neither creates nor hides its value.
func (b *Backend) Lock(ctx context.Context, key string, lease time.Duration) (string, bool, error) {
	if lease <= 0 {
		return "", false, &core.Error{Kind: core.KindInvalidInput, Op: "memory.lock", Key: key, Msg: "lease must be positive, got " + lease.String()}
	}
	if err := b.begin(ctx, "lock", key); err != nil {
		return "", false, err
	}
	defer b.mu.Unlock()
	now := b.now()
	if l, ok := b.locks[key]; ok && now.Before(l.exp) {
		return "", false, nil
	}
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	tok := hex.EncodeToString(raw[:])
	b.locks[key] = lock{token: tok, exp: now.Add(lease)}
	return tok, true, nil
}

// Unlock implements core.Locker.
func (b *Backend) Unlock(ctx context.Context, key, token string) (bool, error) {
	if err := b.begin(ctx, "unlock", key); err != nil {
		return false, err
	}
	defer b.mu.Unlock()
	l, ok := b.locks[key]
	if !ok || l.token != token || !b.now().Before(l.exp) {
		return false, nil
	}
	delete(b.locks, key)
	return true, nil
}

// GetMany implements core.BatchGetter.
func (b *Backend) GetMany(ctx context.Context, keys []string) ([]core.BatchResult, error) {
	if err := b.begin(ctx, "getmany", ""); err != nil {
		return nil, err
	}
	defer b.mu.Unlock()
	now := b.now()
	out := make([]core.BatchResult, len(keys))
	for i, k := range keys {
		it, ok := b.live(k, now)
		if !ok {
			b.stats.Misses++
			continue
		}
		b.stats.Hits++
		out[i] = core.BatchResult{Found: true, Entry: core.Entry{Value: append([]byte{}, it.value...), Freshness: freshness(it, now)}}
	}
	return out, nil
}

// SetMany implements core.BatchSetter. It validates every item before
// storing any.
func (b *Backend) SetMany(ctx context.Context, items []core.BatchItem) error {
	for _, it := range items {
		if it.TTL < 0 {
			return invalidTTL("setmany", it.Key, it.TTL)
		}
	}
	if err := b.begin(ctx, "setmany", ""); err != nil {
		return err
	}
	defer b.mu.Unlock()
	for _, it := range items {
		b.put(it.Key, it.Value, it.TTL)
	}
	return nil
}

// Stats implements core.StatsReporter: one tier with Hits, Misses, Errors
// (faults injected), Entries and SizeBytes (value bytes) filled in.
func (b *Backend) Stats() []core.TierStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.stats
	st.Name = b.name
	st.Entries = int64(len(b.items))
	for _, it := range b.items {
		st.SizeBytes += int64(len(it.value))
	}
	return []core.TierStats{st}
}

// Keys returns the keys currently stored and not expired, sorted. It is a
// test helper, not part of any port.
func (b *Backend) Keys() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.items == nil {
		return nil // not created by New
	}
	now := b.now()
	keys := make([]string, 0, len(b.items))
	for k := range b.items {
		if _, ok := b.live(k, now); ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// Close implements io.Closer: later calls fail with KindPermanent. Close may
// be called more than once.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.items = map[string]item{}
	b.locks = map[string]lock{}
	return nil
}
