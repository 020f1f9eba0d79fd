package core

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// versionStripes is the number of write-generation stripes of a client.
// Keys that share a stripe only cost each other a skipped write-back, an
// uncached object or a second read.
const versionStripes = 256

// versions orders this client's writes of a key against its reads and loads
// of that key, so that the client always reads its own writes.
//
// Every stripe (keys are hashed onto stripes) has a generation that each Set,
// Delete, Expire and batch write of a key of the stripe advances when it
// begins and again when it ends: a read that began while the write was
// under way may have seen the value from before it. Work that read the
// backend before a write began carries the generation it saw before the
// read, and is judged against the current one:
//
//   - A loaded value is written back only if its generation is still
//     current (beginStore): a write of this client that began after the read
//     which missed wins over the load.
//   - A decoded value enters the object cache only if its generation is
//     still current (keepIf): a read under way while a write ran does not
//     cache what it saw.
//   - A GetOrLoad that joins a flight (a shared backend read or load) takes
//     the flight's result only if no write began between the flight's read
//     and its own start (joinedAfterWrite); otherwise it reads again, once.
//
// And in the other direction: while a loaded value is being written back
// (between beginStore and endStore), a write of the same key waits for it in
// beginWrite, so that the loaded value can never land after the write. Other
// keys of the stripe never wait, and nobody holds a stripe lock across a
// backend call.
type versions struct {
	seed    maphash.Seed
	stripes [versionStripes]stripe
	objects *objectCache // nil unless WithObjectCache; its entry of a key is dropped by every write
}

// stripe is the write state of the keys hashed onto it.
type stripe struct {
	mu sync.Mutex
	// gen is advanced under mu and read without it.
	gen atomic.Uint64
	// storing holds the keys of the stripe whose loaded value is being
	// written back, each with a channel closed when that write is done.
	storing map[string]chan struct{}
}

func newVersions(objects *objectCache) *versions {
	return &versions{seed: maphash.MakeSeed(), objects: objects}
}

func (v *versions) stripe(sk string) *stripe {
	return &v.stripes[maphash.String(v.seed, sk)%versionStripes]
}

// current returns the generation of sk's stripe. Take it before a backend
// read whose result may be written back, cached or shared.
func (v *versions) current(sk string) uint64 { return v.stripe(sk).gen.Load() }

// joinedAfterWrite reports whether a caller that took generation joined
// before asking for a flight's result began after a write that the flight's
// backend read, taken at generation read, may not have seen. Such a caller
// must not take the flight's result: it reads again.
func joinedAfterWrite(joined, read uint64) bool { return joined > read }

// lockIdle locks st once no loaded value of sk is being written back,
// waiting for such a write to finish, or returns ctx's error (unlocked).
func (st *stripe) lockIdle(ctx context.Context, sk string) error {
	for {
		st.mu.Lock()
		ch, busy := st.storing[sk]
		if !busy {
			return nil
		}
		st.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// advanceLocked advances st's generation for a write of sk and drops sk's
// object-cache entry; st.mu is held.
func (v *versions) advanceLocked(st *stripe, sk string) {
	st.gen.Add(1)
	if v.objects != nil {
		v.objects.forget(sk)
	}
}

// beginWrite marks a write of sk (Set, Delete, Expire, a batch write) as
// begun: it waits for a loaded value of sk being written back, advances the
// generation (so that reads and loads under way neither write back nor
// cache what they saw) and drops the object-cache entry. It fails only with
// ctx's error. The caller calls endWrite once its backend write returned.
func (v *versions) beginWrite(ctx context.Context, sk string) error {
	st := v.stripe(sk)
	if err := st.lockIdle(ctx, sk); err != nil {
		return err
	}
	v.advanceLocked(st, sk)
	st.mu.Unlock()
	return nil
}

// endWrite marks a write of sk as finished. It advances the generation
// again (and drops the object-cache entry), so that work whose backend read
// began during the write, and may have seen the value from before it, is
// judged as older than the write: it is not written back, not cached, and
// a GetOrLoad that begins after the write returned does not take its
// result.
func (v *versions) endWrite(sk string) {
	st := v.stripe(sk)
	st.mu.Lock()
	v.advanceLocked(st, sk)
	st.mu.Unlock()
}

// storeVerdict is beginStore's decision about a loaded value.
type storeVerdict uint8

const (
	// storeNow: write the value back, then call endStore.
	storeNow storeVerdict = iota
	// storeOvertaken: a write of this client began since the load's read;
	// the value must not be written back.
	storeOvertaken
	// storeGaveUp: ctx ended while another load's write-back of the key
	// was under way; no write of this client overtook the value.
	storeGaveUp
)

// beginStore decides whether a value loaded after a read of sk taken at
// generation gen may be written back. On storeNow, writes of sk wait until
// endStore(sk, done). Another load's write-back of sk (a refresh next to a
// miss) goes first.
func (v *versions) beginStore(ctx context.Context, sk string, gen uint64) (storeVerdict, chan struct{}) {
	st := v.stripe(sk)
	if err := st.lockIdle(ctx, sk); err != nil {
		return storeGaveUp, nil
	}
	defer st.mu.Unlock()
	if st.gen.Load() != gen {
		return storeOvertaken, nil
	}
	done := make(chan struct{})
	if st.storing == nil {
		st.storing = make(map[string]chan struct{})
	}
	st.storing[sk] = done
	return storeNow, done
}

// endStore ends a write-back begun by beginStore and releases the writes of
// sk waiting for it. With an object cache it advances the generation, so
// that reads that began before the write-back do not cache what they saw.
// It returns the generation after the write-back: a write of sk that begins
// later has a newer one.
func (v *versions) endStore(sk string, done chan struct{}) uint64 {
	st := v.stripe(sk)
	st.mu.Lock()
	delete(st.storing, sk)
	if v.objects != nil {
		v.advanceLocked(st, sk)
	}
	gen := st.gen.Load()
	st.mu.Unlock()
	close(done)
	return gen
}

// keepIf calls keep, under sk's stripe lock, if gen is still the current
// generation of sk (no write of sk began since); it reports whether it did.
// The object cache inserts through it, so that an insert and a write's drop
// of the same entry are ordered.
func (v *versions) keepIf(sk string, gen uint64, keep func()) bool {
	st := v.stripe(sk)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.gen.Load() != gen {
		return false
	}
	keep()
	return true
}
