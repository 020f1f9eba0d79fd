package server

import (
	"hash/maphash"
	"sync"
	"time"
)

// The edge tier (saas-api.md, Remaining Freshness, "Re-serving tiers", and
// Consistency) is an optional in-process cache in front of the store that
// answers GET and HEAD from copies it read from or wrote to the store within
// its budget. It is part of the server: it is partitioned by tenant (API-3:
// copies are keyed by the tenant-scoped storage key), and the
// X-CacheKit-Fresh-For it emits follows the fail-closed tier rules:
//
//   - a copy has one bound source, recorded when it is populated: the
//     store's response it was read from (its Fresh-For), or an accepted
//     write (its effective TTL, X-CacheKit-TTL else X-TTL, API-22), measured
//     from when the write was dispatched;
//   - the emitted value is that bound minus the time since it was obtained,
//     floored, never re-stamped and never larger (API-20/21);
//   - the header is omitted only for a copy positively known to have no
//     expiry: read from a store configured as signal-capable that omitted
//     it, or written without any TTL (API-19/22/25); every other copy
//     without a known bound gets 0 (API-23/26), and a header received is
//     never dropped (API-24);
//   - a positive value only for a fresh (or unlabelled) copy with a positive
//     bound; every other shape gets 0 with its label passed through
//     (API-27).
//
// As the deployed edge does, it holds no not-found results and no copy of a
// value read in its stale window (nor under an unrecognized label), serves a
// copy only within the budget and never past the TTL it was made under, and
// drops its copy of a key on every PUT, DELETE and PATCH /ttl through this
// server. Responses from a copy carry X-CacheKit-Store-Source: edge and
// Age (whole seconds since the copy was made).

// Edge budget limits (saas-api.md, Consistency).
const (
	// DefaultEdgeBudget is how long an edge copy may be served after it was
	// read from or written to the store.
	DefaultEdgeBudget = 5 * time.Second
	// MaxEdgeBudget is the largest edge budget.
	MaxEdgeBudget = 300 * time.Second
)

// Store-Source values.
const (
	sourceStore = "store"
	sourceEdge  = "edge"
)

const edgeShards = 64

// boundKind is what a copy's populate recorded about its freshness bound
// (API-25).
type boundKind uint8

const (
	// boundKnown: a number of seconds (possibly 0), obtained at a known time.
	boundKnown boundKind = iota
	// boundNone: positively no expiry.
	boundNone
	// boundUnknown: unhinted; the tier cannot tell unbounded from bounded.
	boundUnknown
)

// readAnswer is a GET or HEAD answer as it goes on the wire.
type readAnswer struct {
	found       bool
	value       []byte
	label       string // X-CacheKit-Freshness
	labelled    bool
	freshFor    int64 // X-CacheKit-Fresh-For
	hasFreshFor bool
	source      string // X-CacheKit-Store-Source
	age         int64  // Age, for an edge copy
	hasAge      bool
}

// edgeCopy is one held copy.
type edgeCopy struct {
	key      string
	value    []byte
	label    string
	labelled bool
	kind     boundKind
	bound    int64     // seconds; boundKnown only
	obtained time.Time // when the bound was obtained
	made     time.Time // when the copy was read from or written to the store
	size     int64
}

// edgeTier holds the copies, sharded; each shard has a byte budget and drops
// its oldest copies first (copies also age out with the edge budget).
type edgeTier struct {
	budget       time.Duration
	storeSignals bool
	maxShard     int64
	seed         maphash.Seed
	shards       [edgeShards]edgeShard
}

type edgeShard struct {
	mu    sync.Mutex
	m     map[string]*edgeCopy
	order []*edgeCopy // insertion order, for eviction
	bytes int64
	seq   uint64 // bumped by every invalidation
}

func newEdgeTier(maxBytes int64, budget time.Duration, storeSignals bool) *edgeTier {
	t := &edgeTier{budget: budget, storeSignals: storeSignals, maxShard: maxBytes / edgeShards, seed: maphash.MakeSeed()}
	for i := range t.shards {
		t.shards[i].m = make(map[string]*edgeCopy)
	}
	return t
}

func (t *edgeTier) shard(key string) *edgeShard {
	return &t.shards[maphash.String(t.seed, key)%edgeShards]
}

// copyOverhead approximates a copy's bookkeeping bytes.
const copyOverhead = 160

// serve returns the answer from key's copy, if one may be served at now.
func (t *edgeTier) serve(key string, now time.Time, head bool) (readAnswer, bool) {
	sh := t.shard(key)
	sh.mu.Lock()
	c, ok := sh.m[key]
	if ok && !t.servable(c, now) {
		sh.removeLocked(c)
		ok = false
	}
	sh.mu.Unlock()
	if !ok {
		return readAnswer{}, false
	}
	a := readAnswer{found: true, value: c.value, label: c.label, labelled: c.labelled, source: sourceEdge, hasAge: true}
	if age := now.Sub(c.made); age > 0 {
		a.age = int64(age / time.Second)
	}
	if !head { // API-47: HEAD carries no Fresh-For
		a.freshFor, a.hasFreshFor = freshForOf(c.label, c.labelled, c.kind, c.bound, now.Sub(c.obtained))
	}
	return a, true
}

// servable: within the budget, and never past the TTL the copy was made
// under.
func (t *edgeTier) servable(c *edgeCopy, now time.Time) bool {
	if now.Sub(c.made) >= t.budget || now.Before(c.made) {
		return false
	}
	return c.kind != boundKnown || now.Sub(c.obtained) < time.Duration(c.bound)*time.Second
}

// freshForOf is the X-CacheKit-Fresh-For a tier emits for a copy whose bound
// was obtained elapsed ago; false means the header is omitted.
func freshForOf(label string, labelled bool, kind boundKind, bound int64, elapsed time.Duration) (int64, bool) {
	switch kind {
	case boundNone: // API-19/22/25: positive knowledge of no expiry
		return 0, false
	case boundUnknown: // API-23/26: unhinted, or a pre-signal store below
		return 0, true
	}
	if labelled && label != "fresh" || bound <= 0 { // API-27
		return 0, true
	}
	rem := time.Duration(bound)*time.Second - elapsed // API-20/21: decay
	if rem <= 0 {
		return 0, true
	}
	return int64(rem / time.Second), true
}

// fromStore turns the store's answer into what the tier emits when it relays
// it, and the copy it would hold of it. hold is false for answers the tier
// never copies: not found, stale or unrecognized labels, exhausted bounds.
func (t *edgeTier) fromStore(key string, a readAnswer, now time.Time, head bool) (readAnswer, *edgeCopy) {
	if !a.found {
		return a, nil
	}
	kind, bound := boundKnown, int64(0)
	switch {
	case a.hasFreshFor:
		bound = a.freshFor
	case t.storeSignals:
		kind = boundNone // a signal-capable store omits only for no expiry
	default:
		kind = boundUnknown
	}
	out := a
	out.freshFor, out.hasFreshFor = 0, false
	if !head {
		out.freshFor, out.hasFreshFor = freshForOf(a.label, a.labelled, kind, bound, 0)
	}
	if head || (a.labelled && a.label != "fresh") || (kind == boundKnown && bound <= 0) {
		return out, nil
	}
	return out, &edgeCopy{key: key, value: a.value, label: a.label, labelled: a.labelled,
		kind: kind, bound: bound, obtained: now, made: now}
}

// writeCopy is the copy populated from an accepted write with the given
// effective TTL (hasTTL false: no TTL at all, so positively no expiry),
// dispatched at sent.
func writeCopy(key string, value []byte, hasTTL bool, ttl int64, sent time.Time) *edgeCopy {
	c := &edgeCopy{key: key, value: value, label: "fresh", labelled: true, kind: boundNone, obtained: sent, made: sent}
	if hasTTL {
		c.kind, c.bound = boundKnown, ttl
	}
	return c
}

// seqOf returns the invalidation sequence of key's shard: a copy read from
// the store is installed only if no invalidation happened in between.
func (t *edgeTier) seqOf(key string) uint64 {
	sh := t.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.seq
}

// install holds c unless key's shard was invalidated since seq (when
// checkSeq), or c does not fit.
func (t *edgeTier) install(c *edgeCopy, seq uint64, checkSeq bool) {
	c.size = int64(len(c.key)+len(c.value)) + copyOverhead
	if c.size > t.maxShard {
		return
	}
	sh := t.shard(c.key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if checkSeq && sh.seq != seq {
		return
	}
	if old, ok := sh.m[c.key]; ok {
		sh.removeLocked(old)
	}
	sh.m[c.key] = c
	sh.order = append(sh.order, c)
	sh.bytes += c.size
	for sh.bytes > t.maxShard && len(sh.order) > 0 {
		if old := sh.order[0]; sh.m[old.key] == old {
			sh.removeLocked(old)
		}
		sh.order[0] = nil
		sh.order = sh.order[1:]
	}
	if len(sh.order) > 2*len(sh.m)+32 { // drop replaced entries from the order
		live := make([]*edgeCopy, 0, len(sh.m))
		for _, o := range sh.order {
			if sh.m[o.key] == o {
				live = append(live, o)
			}
		}
		sh.order = live
	}
}

// invalidate drops key's copy and bumps its shard's sequence; with c it
// then holds c (a write's own copy) in the same step.
func (t *edgeTier) invalidate(key string, c *edgeCopy) {
	sh := t.shard(key)
	sh.mu.Lock()
	if old, ok := sh.m[key]; ok {
		sh.removeLocked(old)
	}
	sh.seq++
	seq := sh.seq
	sh.mu.Unlock()
	if c != nil {
		t.install(c, seq, true)
	}
}

func (sh *edgeShard) removeLocked(c *edgeCopy) {
	if sh.m[c.key] == c {
		delete(sh.m, c.key)
		sh.bytes -= c.size
	}
}
