package memcached

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/cachekit-io/cachekit-go/core"
)

// Backend is a core.Backend on one or more memcached servers. It also
// implements core.ValueGetter, core.TTLRefresher, core.Locker,
// core.BatchGetter and io.Closer. It is safe for concurrent use.
type Backend struct {
	c        *memcache.Client
	desc     string // the servers, for String
	maxValue int    // longest value Set accepts
	closed   atomic.Bool
}

var (
	_ core.Backend      = (*Backend)(nil)
	_ core.ValueGetter  = (*Backend)(nil)
	_ core.TTLRefresher = (*Backend)(nil)
	_ core.Locker       = (*Backend)(nil)
	_ core.BatchGetter  = (*Backend)(nil)
)

// New returns a Backend on servers, each "host:port" or a unix socket
// path. Keys are spread over several servers as cachekit-py spreads them
// (rendezvous hashing, see the package doc). Host names are resolved once,
// here. A missing or malformed server, or a bad option, is a
// core.KindConfig error that never repeats an address.
func New(servers []string, opts ...Option) (*Backend, error) {
	if len(servers) == 0 {
		return nil, configErr("no servers")
	}
	for i, s := range servers {
		if err := checkServer(i, s); err != nil {
			return nil, err
		}
	}
	set := settings{timeout: DefaultTimeout, maxIdleConns: DefaultMaxIdleConns, maxItemSize: DefaultMaxItemSize}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&set); err != nil {
			return nil, err
		}
	}
	sel, err := newRendezvous(servers)
	if err != nil {
		return nil, &core.Error{Kind: core.KindConfig, Op: "memcached.new", Msg: "cannot resolve the servers"}
	}
	c := memcache.NewFromSelector(sel)
	c.Timeout = set.timeout
	c.MaxIdleConns = set.maxIdleConns
	return &Backend{
		c:        c,
		desc:     strings.Join(servers, ","),
		maxValue: set.maxItemSize - itemHeadroom,
	}, nil
}

// String describes the backend by its servers.
func (b *Backend) String() string { return "memcached.Backend(" + b.desc + ")" }

// MaxValueSize returns the longest value Set accepts, in bytes.
func (b *Backend) MaxValueSize() int { return b.maxValue }

// Client returns the underlying gomemcache client. Keys that memcached
// cannot carry as they are (see the package doc) are stored under their
// hashed form: pass them through StorageKey first.
func (b *Backend) Client() *memcache.Client { return b.c }

// StorageKey returns the key memcached stores key under: key itself when it
// is 1 to 250 bytes without spaces or control characters, else the
// protocol's shortened form (the first 50 characters with those replaced by
// "_", ":", and 32 hexadecimal characters of the key's Blake2b-256 hash).
func StorageKey(key string) string {
	if key == "" {
		return ""
	}
	return storageKey(key)
}

// begin checks what every call checks first: the backend is open, ctx is
// not done, and key is not empty.
func (b *Backend) begin(ctx context.Context, op, key string) error {
	if b.closed.Load() {
		return &core.Error{Kind: core.KindPermanent, Op: op, Key: key, Err: errClosed}
	}
	if err := ctx.Err(); err != nil {
		return classify(ctx, op, key, err)
	}
	if key == "" {
		return invalid(op, key, "empty key")
	}
	return nil
}

// Get implements core.Backend. memcached does not report an entry's
// remaining lifetime over its classic protocol: the Entry's freshness is
// unknown.
func (b *Backend) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	v, found, err := b.get(ctx, "memcached.get", key)
	return core.Entry{Value: v}, found, err
}

// GetValue implements core.ValueGetter.
func (b *Backend) GetValue(ctx context.Context, key string) ([]byte, bool, error) {
	return b.get(ctx, "memcached.get", key)
}

func (b *Backend) get(ctx context.Context, op, key string) ([]byte, bool, error) {
	if err := b.begin(ctx, op, key); err != nil {
		return nil, false, err
	}
	it, err := b.c.Get(storageKey(key))
	switch {
	case errors.Is(err, memcache.ErrCacheMiss):
		return nil, false, nil
	case err != nil:
		return nil, false, classify(ctx, op, key, err)
	}
	return it.Value, true, nil
}

// Set implements core.Backend: it stores value for ttl (see the package
// doc for how TTLs become memcached expiration times). A value longer than
// MaxValueSize is refused with core.KindPayloadTooLarge.
func (b *Backend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	const op = "memcached.set"
	if err := b.begin(ctx, op, key); err != nil {
		return err
	}
	it, err := b.item(op, key, value, ttl)
	if err != nil {
		return err
	}
	if err := b.c.Set(it); err != nil {
		return classify(ctx, op, key, err)
	}
	return nil
}

// item builds the item that stores value under key for ttl, after checking
// the value's size and the TTL.
func (b *Backend) item(op, key string, value []byte, ttl time.Duration) (*memcache.Item, error) {
	if len(value) > b.maxValue {
		return nil, &core.Error{Kind: core.KindPayloadTooLarge, Op: op, Key: key,
			Msg: "value of " + strconv.Itoa(len(value)) + " bytes exceeds the " + strconv.Itoa(b.maxValue) + "-byte limit of the memcached item size"}
	}
	exp, err := expiration(op, key, ttl, time.Now())
	if err != nil {
		return nil, err
	}
	return &memcache.Item{Key: storageKey(key), Value: value, Expiration: exp}, nil
}

// Delete implements core.Backend.
func (b *Backend) Delete(ctx context.Context, key string) error {
	const op = "memcached.delete"
	if err := b.begin(ctx, op, key); err != nil {
		return err
	}
	if err := b.c.Delete(storageKey(key)); err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
		return classify(ctx, op, key, err)
	}
	return nil
}

// Exists implements core.Backend. memcached has no existence check: it
// reads the value.
func (b *Backend) Exists(ctx context.Context, key string) (bool, error) {
	_, found, err := b.get(ctx, "memcached.exists", key)
	return found, err
}

// Expire implements core.TTLRefresher with memcached's touch.
func (b *Backend) Expire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	const op = "memcached.expire"
	if err := b.begin(ctx, op, key); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, invalid(op, key, "TTL "+ttl.String()+" must be positive")
	}
	exp, err := expiration(op, key, ttl, time.Now())
	if err != nil {
		return false, err
	}
	switch err := b.c.Touch(storageKey(key), exp); {
	case errors.Is(err, memcache.ErrCacheMiss):
		return false, nil
	case err != nil:
		return false, classify(ctx, op, key, err)
	}
	return true, nil
}

// GetMany implements core.BatchGetter with one multi-get per server.
func (b *Backend) GetMany(ctx context.Context, keys []string) ([]core.BatchResult, error) {
	const op = "memcached.get_many"
	if b.closed.Load() {
		return nil, &core.Error{Kind: core.KindPermanent, Op: op, Err: errClosed}
	}
	if err := ctx.Err(); err != nil {
		return nil, classify(ctx, op, "", err)
	}
	out := make([]core.BatchResult, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	sks := make([]string, len(keys))
	uniq := make([]string, 0, len(keys))
	seen := make(map[string]bool, len(keys))
	for i, k := range keys {
		if k == "" {
			return nil, invalid(op, "", "empty key at index "+strconv.Itoa(i))
		}
		sks[i] = storageKey(k)
		if !seen[sks[i]] {
			seen[sks[i]] = true
			uniq = append(uniq, sks[i])
		}
	}
	items, err := b.c.GetMulti(uniq)
	if err != nil {
		return nil, classify(ctx, op, "", err)
	}
	claimed := make(map[string]bool, len(items))
	for i, sk := range sks {
		it, ok := items[sk]
		if !ok {
			continue
		}
		v := it.Value
		if claimed[sk] { // a repeated key: each result owns its slice
			v = append([]byte(nil), v...)
		}
		claimed[sk] = true
		out[i] = core.BatchResult{Entry: core.Entry{Value: v}, Found: true}
	}
	return out, nil
}

// Health implements core.Backend: every server must answer.
func (b *Backend) Health(ctx context.Context) error {
	const op = "memcached.health"
	if b.closed.Load() {
		return &core.Error{Kind: core.KindPermanent, Op: op, Err: errClosed}
	}
	if err := ctx.Err(); err != nil {
		return classify(ctx, op, "", err)
	}
	if err := b.c.Ping(); err != nil {
		return classify(ctx, op, "", err)
	}
	return nil
}

// Close releases the idle connections. Calls made after it fail with
// core.KindPermanent. It may be called more than once.
func (b *Backend) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	_ = b.c.Close()
	return nil
}
