package compose

import (
	"hash/maphash"
	"sync/atomic"
)

// stripes is the number of write-generation stripes per composition. Keys
// that share a stripe only cost each other a skipped backfill.
const stripes = 1024

// writeOne is what a write adds to its stripe when it starts: one to the
// start count (high 32 bits) and one to the in-flight count (low 32 bits).
const writeOne = 1<<32 | 1

// generations guards backfills against writes that race with them.
//
// Every stripe is one word: the number of writes (Set, Delete, Expire, ...)
// ever started on keys of the stripe in its high half, the number still in
// flight in its low half. A backfill takes a snapshot before it reads the
// lower tier and gives up if a write is in flight. After it has written the
// upper tier it compares the word with its snapshot: if any write started in
// between, the copy it made may be older than that write's, so it deletes it.
//
// Why this is enough: no write was in flight at the snapshot, so every write
// started before it had finished, and the lower-tier read (which follows the
// snapshot) sees it. A write that starts after the backfill's upper-tier
// write has returned writes the upper tier after it, so it wins. A write that
// starts in between changes the word, and the backfill removes its copy —
// leaving the upper tier empty or holding the write's value, both of which
// agree with the lower tier.
type generations struct {
	seed  maphash.Seed
	words [stripes]atomic.Uint64
}

func newGenerations() *generations {
	return &generations{seed: maphash.MakeSeed()}
}

func (g *generations) stripe(key string) *atomic.Uint64 {
	return &g.words[maphash.String(g.seed, key)&(stripes-1)]
}

// begin marks a write of key as started and returns the stripe word that
// includes it; the caller must call end(key) once the write has finished on
// every tier it touches.
func (g *generations) begin(key string) uint64 { return g.stripe(key).Add(writeOne) }

// startedSince reports whether a write of a key of the stripe started after
// the one whose begin returned word.
func (g *generations) startedSince(key string, word uint64) bool {
	return g.stripe(key).Load()>>32 != word>>32
}

// overlapped reports whether the write whose begin returned word ran at the
// same time as another write of a key of the stripe: one was in flight when
// it began, or one has started since. Two overlapping writes of one key may
// reach the lower tier in either order, so neither may trust the upper-tier
// copy it made to agree with the lower tier.
func (g *generations) overlapped(key string, word uint64) bool {
	return uint32(word) > 1 || g.startedSince(key, word)
}

// end marks a write of key as finished.
func (g *generations) end(key string) { g.stripe(key).Add(^uint64(0)) }

// snapshot returns the stripe word of key for a backfill, and ok == false if
// a write of a key of the stripe is in flight (then no backfill may start).
func (g *generations) snapshot(key string) (word uint64, ok bool) {
	w := g.stripe(key).Load()
	return w, uint32(w) == 0
}

// unchanged reports whether no write of a key of the stripe started since
// snapshot returned word.
func (g *generations) unchanged(key string, word uint64) bool {
	return g.stripe(key).Load() == word
}

// advanceAll counts a write started and finished on every stripe: every
// backfill in progress gives up or deletes its copy (a Reset of the
// invalidations).
func (g *generations) advanceAll() {
	for i := range g.words {
		g.words[i].Add(1 << 32)
	}
}
