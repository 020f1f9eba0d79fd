package core

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// The client's entry points to the backend's optional capabilities (TTL
// inspection and refresh, locks, batches), in the manner of sql.DB over
// database/sql/driver: each validates keys, applies the namespace, the
// codec, encryption, retries and statistics as Get and Set do, and decides
// in one place (useCapability) whether the backend has the capability.

// MaxLockLease bounds the lease of Client.Lock: one hour, the longest lease
// the CacheKit HTTP API grants (timeout_ms ≤ 3,600,000).
const MaxLockLease = time.Hour

// useCapability calls f with the backend's implementation of the optional
// capability I (named name in errors), under the client's retries. It is
// the one place where the client decides that the backend lacks a
// capability: when the backend does not implement I, or when f fails with
// KindNotSupported, which a wrapper that implements I by delegating
// (compose) returns when what it wraps lacks it. absent reports that; err is
// then the client's own KindNotSupported *Error for op, naming the
// capability. Otherwise err is f's last error, unwrapped.
func useCapability[I any](ctx context.Context, c *Client, op, name string, f func(context.Context, I) error) (absent bool, err error) {
	impl, ok := c.backend.(I)
	if !ok {
		return true, notSupportedErr(op, name, nil)
	}
	err = c.withRetry(ctx, func(ctx context.Context) error { return f(ctx, impl) })
	if err != nil && KindOf(err) == KindNotSupported {
		return true, notSupportedErr(op, name, err)
	}
	return false, err
}

func notSupportedErr(op, name string, cause error) error {
	return &Error{Kind: KindNotSupported, Op: op, Msg: "the backend does not support " + name, Err: cause}
}

// TTL returns the remaining lifetime of key (core.TTLInspector). found is
// false for a missing key, which is not an error; ttl == NoExpiry with found
// == true means the key never expires. A backend without the capability is
// a KindNotSupported error.
func (c *Client) TTL(ctx context.Context, key string) (ttl time.Duration, found bool, err error) {
	sk, err := c.StorageKey(key)
	if err != nil {
		return 0, false, err
	}
	absent, err := useCapability(ctx, c, "ttl", "TTLInspector", func(ctx context.Context, ti TTLInspector) (err error) {
		ttl, found, err = ti.TTL(ctx, sk)
		return err
	})
	if absent {
		return 0, false, err
	}
	if err != nil {
		c.sh.counters.errors.Add(1)
		return 0, false, Wrap(err, KindUnknown, "ttl")
	}
	return ttl, found, nil
}

// Expire sets the remaining lifetime of key to ttl without rewriting its
// value (core.TTLRefresher). found is false when the key does not exist
// (nothing is stored then). ttl follows the same rules as TTL for Set:
// 0 < ttl ≤ MaxTTL, a sub-second TTL rounds up to one second; a bad ttl is
// a KindInvalidInput error. It counts as a write of key: a load or refresh
// of key under way is not written back over it, and the object cache drops
// the key. A backend without the capability is a KindNotSupported error.
func (c *Client) Expire(ctx context.Context, key string, ttl time.Duration) (found bool, err error) {
	sk, err := c.StorageKey(key)
	if err != nil {
		return false, err
	}
	if ttl, err = NormalizeTTL(ttl); err != nil {
		return false, err
	}
	if err := c.sh.versions.beginWrite(ctx, sk); err != nil {
		return false, Wrap(err, KindCanceled, "expire")
	}
	absent, err := useCapability(ctx, c, "expire", "TTLRefresher", func(ctx context.Context, tr TTLRefresher) (err error) {
		found, err = tr.Expire(ctx, sk, ttl)
		return err
	})
	c.sh.versions.endWrite(sk)
	if absent {
		return false, err
	}
	if err != nil {
		c.sh.counters.errors.Add(1)
		return false, Wrap(err, KindUnknown, "expire")
	}
	if found {
		c.sh.counters.expires.Add(1)
	}
	return found, nil
}

// Lock is a distributed lock held on a key of a Client, returned by
// Client.Lock. Release it with Unlock; it is released anyway when its lease
// runs out. A Lock is safe for concurrent use. Printing it shows its key
// only, never its token.
type Lock struct {
	c      *Client
	locker Locker
	key    string // the caller's key
	sk     string // the storage key the backend locks
	token  string
}

// Lock tries once to take the distributed lock of key for lease
// (core.Locker): the backend locks the namespaced storage key (Redis at
// "<storage key>:lock", the CacheKit API under the key's /lock). acquired is
// false, with a nil *Lock and no error, when somebody else holds it. The
// lease must be positive and at most MaxLockLease (KindInvalidInput
// otherwise); backends round it up to a whole millisecond. A backend
// without the capability is a KindNotSupported error.
//
// Lock is retried like every backend call. A retry after an attempt whose
// reply was lost can report the lock as held (by that attempt's token,
// which nobody can release): the lock is then free again once its lease
// runs out. It never hands the lock to two callers.
func (c *Client) Lock(ctx context.Context, key string, lease time.Duration) (lock *Lock, acquired bool, err error) {
	sk, err := c.StorageKey(key)
	if err != nil {
		return nil, false, err
	}
	if lease <= 0 || lease > MaxLockLease {
		return nil, false, &Error{Kind: KindInvalidInput, Op: "lock", Key: sk,
			Msg: "lease " + lease.String() + " is outside (0, " + MaxLockLease.String() + "]"}
	}
	var (
		locker Locker
		token  string
	)
	absent, err := useCapability(ctx, c, "lock", "Locker", func(ctx context.Context, l Locker) (err error) {
		locker = l
		token, acquired, err = l.Lock(ctx, sk, lease)
		return err
	})
	if absent {
		return nil, false, err
	}
	if err != nil {
		c.sh.counters.errors.Add(1)
		return nil, false, Wrap(err, KindUnknown, "lock")
	}
	if !acquired {
		c.sh.counters.locksBusy.Add(1)
		return nil, false, nil
	}
	c.sh.counters.locks.Add(1)
	return &Lock{c: c, locker: locker, key: key, sk: sk, token: token}, true, nil
}

// Key returns the key the lock was taken on, as passed to Client.Lock.
func (l *Lock) Key() string { return l.key }

// Unlock releases the lock if it still holds it. released is false when it
// did not (its lease ran out and perhaps somebody else took it, or it was
// released already); that is not an error. Unlock is retried like every
// backend call: a retry after an attempt whose reply was lost reports
// released == false although that attempt released it.
func (l *Lock) Unlock(ctx context.Context) (released bool, err error) {
	if l == nil || l.locker == nil {
		return false, &Error{Kind: KindInvalidInput, Op: "unlock", Msg: "nil or zero Lock"}
	}
	err = l.c.withRetry(ctx, func(ctx context.Context) (err error) {
		released, err = l.locker.Unlock(ctx, l.sk, l.token)
		return err
	})
	if err != nil {
		l.c.sh.counters.errors.Add(1)
		return false, Wrap(err, KindUnknown, "unlock")
	}
	return released, nil
}

// String describes the lock by its key, without its token.
func (l *Lock) String() string {
	if l == nil {
		return "core.Lock(nil)"
	}
	return "core.Lock{key=" + strconv.Quote(l.key) + "}"
}

// GoString implements fmt.GoStringer like String.
func (l *Lock) GoString() string { return l.String() }

// Format implements fmt.Formatter so that no verb prints the token.
func (l *Lock) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(l.String())) }

// GetMany reads keys into a map of T: only hits are in the map, a miss is
// not an error. Every key is validated before any I/O; keys may repeat.
// Stored bytes that do not decode (or, with encryption, do not
// authenticate) fail the whole call, as they fail Get; so does a stored
// value over the payload limit.
//
// Cost: with a backend that is a core.BatchGetter (backend/redis: one
// pipeline; compose: one batch per tier) it is one batch call for the keys
// the object cache did not answer; otherwise one backend Get per distinct
// key, one after the other.
func GetMany[T any](ctx context.Context, c *Client, keys []string) (map[string]T, error) {
	sks, err := c.storageKeys(keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]T, len(keys))
	todo := make([]int, 0, len(keys)) // the index of each distinct key the object cache did not answer
	seen := make(map[string]struct{}, len(keys))
	for i, k := range keys {
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		if c.sh.objects != nil {
			if v, ok := lookupObject[T](c, k); ok {
				out[k] = v
				continue
			}
		}
		todo = append(todo, i)
	}
	if len(todo) == 0 {
		return out, nil
	}
	read := make([]string, len(todo))
	var gens []uint64
	if c.sh.objects != nil {
		gens = make([]uint64, len(todo))
	}
	for j, i := range todo {
		read[j] = sks[i]
		if gens != nil {
			gens[j] = c.sh.versions.current(sks[i]) // before the read, for the object cache
		}
	}
	res, owned, err := c.readMany(ctx, read, c.sh.objects != nil)
	if err != nil {
		return nil, err
	}
	for j, i := range todo {
		r := res[j]
		if !r.Found {
			continue
		}
		v, err := decodeValue[T](c, r.Entry.Value, owned, read[j])
		if err == ErrAbsent {
			continue // a negative-cache entry: no value
		}
		if err != nil {
			return nil, err
		}
		if gens != nil {
			c.keepObject(read[j], gens[j], v, r.Entry.Freshness)
		}
		out[keys[i]] = v
	}
	return out, nil
}

// readMany reads sks (validated storage keys, distinct) with the backend's
// BatchGetter, or one read at a time without it, counting hits, misses and
// errors, and bounding each value by the stored-size limit. owned says
// whether the values are this call's alone (they may be decrypted in
// place).
func (c *Client) readMany(ctx context.Context, sks []string, fresh bool) (res []BatchResult, owned bool, err error) {
	t := c.opStart()
	if !fresh {
		var has bool
		if res, has, err = c.readValues(ctx, sks); has {
			if err != nil {
				c.opDoneEach(ctx, OpGet, len(sks), err, nil, t)
				return nil, false, err
			}
			return c.countMany(ctx, sks, res, true, t) // GetValues' slices are ours
		}
	}
	absent, err := useCapability(ctx, c, "getmany", "BatchGetter", func(ctx context.Context, bg BatchGetter) (err error) {
		res, err = bg.GetMany(ctx, sks)
		return err
	})
	if absent {
		res = make([]BatchResult, len(sks))
		for i, sk := range sks {
			e, found, err := c.read(ctx, sk, fresh)
			if err != nil {
				return nil, false, err
			}
			res[i] = BatchResult{Entry: e, Found: found}
		}
		return res, true, nil
	}
	if err == nil && len(res) != len(sks) {
		err = &Error{Kind: KindPermanent, Op: "getmany", Msg: "the backend returned " + strconv.Itoa(len(res)) + " results for " + strconv.Itoa(len(sks)) + " keys"}
	}
	if err != nil {
		c.sh.counters.errors.Add(1)
		err = Wrap(err, KindUnknown, "getmany")
		c.opDoneEach(ctx, OpGet, len(sks), err, nil, t)
		return nil, false, err
	}
	return c.countMany(ctx, sks, res, false, t)
}

// countMany counts (and reports, as reads that began at start) the hits
// and misses of a batch read and bounds each value by the stored-size
// limit; owned is passed through.
func (c *Client) countMany(ctx context.Context, sks []string, res []BatchResult, owned bool, start time.Time) ([]BatchResult, bool, error) {
	for i, r := range res {
		if !r.Found {
			c.sh.counters.misses.Add(1)
			c.opDoneBatch(ctx, OpGet, ResultMiss, nil, 0, start, len(res))
			continue
		}
		if len(r.Entry.Value) > c.maxStored {
			c.sh.counters.errors.Add(1)
			err := &Error{Kind: KindPayloadTooLarge, Op: "getmany", Key: sks[i],
				Msg: "stored value is " + strconv.Itoa(len(r.Entry.Value)) + " bytes; the limit is " + strconv.Itoa(c.maxPayload)}
			c.opDoneBatch(ctx, OpGet, ResultError, err, 0, start, len(res))
			return nil, false, err
		}
		c.sh.counters.hits.Add(1)
		c.opDoneBatch(ctx, OpGet, hitResult(r.Entry.Freshness), nil, len(r.Entry.Value), start, len(res))
	}
	return res, owned, nil
}

// SetMany stores every value of items under its key, for the client's
// default TTL or the one given with TTL (the only CallOption it takes).
// Every key is validated and every value encoded (within WithMaxPayload,
// encrypted for its own key) before any I/O: one bad item fails the call
// and nothing is written. It is not atomic: on a backend error some items
// may be stored. Once it returns nil, every read of this client sees the
// values (or later writes), as after Set.
//
// Cost: with a backend that is a core.BatchSetter (backend/redis: one
// pipeline; compose: one batch per tier) one batch call; otherwise one
// backend Set per item, one after the other, stopping at the first error.
func (c *Client) SetMany(ctx context.Context, items map[string]any, opts ...CallOption) error {
	cs, err := c.callSettings("setmany", false, opts)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(items))
	for k := range items {
		keys = append(keys, k)
	}
	slices.Sort(keys) // a deterministic order: the first bad key is always the same
	sks, err := c.storageKeys(keys)
	if err != nil {
		return err
	}
	batch := make([]BatchItem, len(keys))
	for i, k := range keys {
		data, err := c.encode(sks[i], items[k])
		if err != nil {
			return err
		}
		batch[i] = BatchItem{Key: sks[i], Value: data, TTL: cs.storeTTL()}
	}
	if len(batch) == 0 {
		return nil
	}
	if err := c.beginWrites(ctx, sks); err != nil {
		return Wrap(err, KindCanceled, "setmany")
	}
	defer c.endWrites(sks)
	t := c.opStart()
	absent, err := useCapability(ctx, c, "setmany", "BatchSetter", func(ctx context.Context, bs BatchSetter) error {
		return bs.SetMany(ctx, batch)
	})
	if absent {
		for _, it := range batch {
			if err := c.write(ctx, it.Key, it.Value, it.TTL); err != nil {
				return err
			}
			c.sh.counters.sets.Add(1)
		}
		return nil
	}
	c.opDoneEach(ctx, OpSet, len(batch), err, func(i int) int { return len(batch[i].Value) }, t)
	if err != nil {
		c.sh.counters.errors.Add(1)
		return Wrap(err, KindUnknown, "setmany")
	}
	c.sh.counters.sets.Add(uint64(len(batch)))
	return nil
}

// DeleteMany removes every key; deleting a missing key succeeds, and keys
// may repeat. Every key is validated before any I/O. It is not atomic: on a
// backend error some keys may be deleted. Once it returns nil, no read of
// this client sees the deleted values.
//
// Cost: with a backend that is a core.BatchDeleter one batch call;
// otherwise one backend Delete per distinct key, one after the other,
// stopping at the first error.
func (c *Client) DeleteMany(ctx context.Context, keys []string) error {
	sks, err := c.storageKeys(keys)
	if err != nil {
		return err
	}
	slices.Sort(sks)
	sks = slices.Compact(sks)
	if len(sks) == 0 {
		return nil
	}
	if err := c.beginWrites(ctx, sks); err != nil {
		return Wrap(err, KindCanceled, "deletemany")
	}
	defer c.endWrites(sks)
	t := c.opStart()
	absent, err := useCapability(ctx, c, "deletemany", "BatchDeleter", func(ctx context.Context, bd BatchDeleter) error {
		return bd.DeleteMany(ctx, sks)
	})
	if absent {
		for _, sk := range sks {
			t := c.opStart()
			err := c.withRetry(ctx, func(ctx context.Context) error { return c.backend.Delete(ctx, sk) })
			c.opDone(ctx, OpDelete, ResultOK, err, 0, t)
			if err != nil {
				c.sh.counters.errors.Add(1)
				return Wrap(err, KindUnknown, "deletemany")
			}
			c.sh.counters.deletes.Add(1)
		}
		return nil
	}
	c.opDoneEach(ctx, OpDelete, len(sks), err, nil, t)
	if err != nil {
		c.sh.counters.errors.Add(1)
		return Wrap(err, KindUnknown, "deletemany")
	}
	c.sh.counters.deletes.Add(uint64(len(sks)))
	return nil
}

// storageKeys validates every key and returns its storage key, before any
// I/O; the first bad key fails the call.
func (c *Client) storageKeys(keys []string) ([]string, error) {
	sks := make([]string, len(keys))
	for i, k := range keys {
		sk, err := c.StorageKey(k)
		if err != nil {
			return nil, err
		}
		sks[i] = sk
	}
	return sks, nil
}

// beginWrites begins a write of every key of sks (see versions.beginWrite);
// on ctx's end it ends those it began and returns ctx's error.
func (c *Client) beginWrites(ctx context.Context, sks []string) error {
	for i, sk := range sks {
		if err := c.sh.versions.beginWrite(ctx, sk); err != nil {
			c.endWrites(sks[:i])
			return err
		}
	}
	return nil
}

// endWrites ends the writes begun by beginWrites.
func (c *Client) endWrites(sks []string) {
	for _, sk := range sks {
		c.sh.versions.endWrite(sk)
	}
}
