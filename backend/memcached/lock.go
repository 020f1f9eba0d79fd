package memcached

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

// lockSuffix names a key's lock entry "<key>:lock", as the other SDKs do.
const lockSuffix = ":lock"

// releasedTTL is how long a released lock's tombstone lingers before
// memcached drops it; a tombstone counts as a free lock.
const releasedTTL = 60 * time.Second

// Lock implements core.Locker. The lock is the entry "<key>:lock" holding
// the holder's random token, stored with memcached's add (which fails when
// the entry exists) for lease, rounded up to whole seconds. A released
// lock's entry holds an empty value (a tombstone, see Unlock); Lock takes it
// over with a compare-and-swap on the CAS value it read, so two processes
// never both win it.
func (b *Backend) Lock(ctx context.Context, key string, lease time.Duration) (string, bool, error) {
	const op = "memcached.lock"
	if err := b.begin(ctx, op, key); err != nil {
		return "", false, err
	}
	if lease <= 0 {
		return "", false, invalid(op, key, "lease "+lease.String()+" must be positive")
	}
	exp, err := expiration(op, key, lease, time.Now())
	if err != nil {
		return "", false, err
	}
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	token := hex.EncodeToString(raw[:])
	lk := storageKey(key + lockSuffix)
	err = b.c.Add(&memcache.Item{Key: lk, Value: []byte(token), Expiration: exp})
	if err == nil {
		return token, true, nil
	}
	if !errors.Is(err, memcache.ErrNotStored) {
		return "", false, classify(ctx, op, key, err)
	}
	// Taken, or a tombstone: take a tombstone over.
	it, err := b.c.Get(lk)
	switch {
	case errors.Is(err, memcache.ErrCacheMiss):
		// Released and dropped in between: one more add.
		if err := b.c.Add(&memcache.Item{Key: lk, Value: []byte(token), Expiration: exp}); err != nil {
			if errors.Is(err, memcache.ErrNotStored) {
				return "", false, nil
			}
			return "", false, classify(ctx, op, key, err)
		}
		return token, true, nil
	case err != nil:
		return "", false, classify(ctx, op, key, err)
	case len(it.Value) != 0:
		return "", false, nil // held
	}
	it.Value, it.Expiration = []byte(token), exp
	switch err := b.c.CompareAndSwap(it); {
	case err == nil:
		return token, true, nil
	case errors.Is(err, memcache.ErrCASConflict), errors.Is(err, memcache.ErrCacheMiss), errors.Is(err, memcache.ErrNotStored):
		return "", false, nil // somebody else was quicker
	default:
		return "", false, classify(ctx, op, key, err)
	}
}

// Unlock implements core.Locker. memcached's classic protocol has no
// conditional delete, so a release replaces the holder's token with a
// tombstone (an empty value) by compare-and-swap: it succeeds only if the
// entry still holds token and has not changed since it was read.
func (b *Backend) Unlock(ctx context.Context, key, token string) (bool, error) {
	const op = "memcached.unlock"
	if err := b.begin(ctx, op, key); err != nil {
		return false, err
	}
	if token == "" {
		return false, nil // no holder has an empty token
	}
	lk := storageKey(key + lockSuffix)
	it, err := b.c.Get(lk)
	switch {
	case errors.Is(err, memcache.ErrCacheMiss):
		return false, nil
	case err != nil:
		return false, classify(ctx, op, key, err)
	case string(it.Value) != token:
		return false, nil
	}
	it.Value, it.Expiration = nil, int32(releasedTTL/time.Second)
	switch err := b.c.CompareAndSwap(it); {
	case err == nil:
		return true, nil
	case errors.Is(err, memcache.ErrCASConflict), errors.Is(err, memcache.ErrCacheMiss), errors.Is(err, memcache.ErrNotStored):
		return false, nil
	default:
		return false, classify(ctx, op, key, err)
	}
}
