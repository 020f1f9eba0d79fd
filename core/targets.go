package core

import (
	"reflect"
	"sync"
)

// Decode targets.
//
// A codec decodes into an `any`, so the *T it is given escapes to the heap:
// one allocation per read for the target alone. decodeValue instead borrows
// a *T from a per-type pool, decodes into it, copies the value out and gives
// the pointer back zeroed, so the pool never keeps a reference to anything a
// caller received. The copy is shallow: strings, slices and maps the codec
// allocated belong to the returned T alone.

// targetPools maps a reflect.Type to the *typedPool of its decode targets.
var targetPools sync.Map

// typedPool is the pool of decode targets of one type. Each client
// remembers the last one it used (shared.lastPool), which saves a
// sync.Map lookup on every read of a client that reads mostly one type;
// switching types stores a pointer, nothing is allocated.
type typedPool struct {
	t reflect.Type
	sync.Pool
}

// targetPool returns the pool of *T decode targets.
func targetPool[T any](c *Client) *sync.Pool {
	t := reflect.TypeFor[T]()
	if tp := c.sh.lastPool.Load(); tp != nil && tp.t == t {
		return &tp.Pool
	}
	var tp *typedPool
	if p, ok := targetPools.Load(t); ok {
		tp = p.(*typedPool)
	} else {
		p, _ := targetPools.LoadOrStore(t, &typedPool{t: t, Pool: sync.Pool{New: func() any { return new(T) }}})
		tp = p.(*typedPool)
	}
	c.sh.lastPool.Store(tp)
	return &tp.Pool
}

// decodeValue decodes stored bytes into a T (see Client.decode) through a
// pooled target. On error it returns the zero T, never a partial value.
func decodeValue[T any](c *Client, data []byte, owned bool, sk string) (T, error) {
	pool := targetPool[T](c)
	p := pool.Get().(*T)
	var zero T
	err := c.decode(data, owned, sk, p)
	v := *p
	*p = zero
	pool.Put(p)
	if err != nil {
		return zero, err
	}
	return v, nil
}
