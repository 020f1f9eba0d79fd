// Package bigcache is an in-process L1 core.Backend on
// github.com/allegro/bigcache/v3: values live in large byte slices that the
// garbage collector does not scan, bounded by bytes and/or by entries.
//
// # Per-entry expiry
//
// bigcache has only one, global life window, while every CacheKit entry has
// its own TTL. This backend therefore stores each value behind an 8-byte
// header: the entry's expiry as little-endian Unix nanoseconds, 0 meaning no
// expiry (core.NoExpiry). bigcache's own life window is set to about a
// century and its cleaner is off, so bigcache never drops an entry by age.
// A read that finds an expired entry reports a miss and deletes it; expired
// entries that are never read again stay until pushed out by the size bound.
// Get reports the remaining lifetime in core.Entry.Freshness, which tier
// compositions use to bound backfill. The header cannot hold an expiry past
// 2262-04-11 (the end of UnixNano's range): a longer TTL (by Set, Expire or
// SetCopy, its freshness included) is clamped to that instant, so an entry
// stored for, say, math.MaxInt64 lives until then and reports the time left
// to it, a finite freshness, as conformance/memory does.
//
// A composition's copy of a lower-tier value (tier.CopySetter's SetCopy) is
// kept for less time than the value stays fresh, and reports the value's
// freshness, not its own. It has a 16-byte header: the expiry with its top
// bit set (which marks a copy; Unix nanoseconds never reach it), then the
// value's fresh deadline in Unix nanoseconds, or -1 for an unknown freshness
// and -2 for none. A copy stored with a guard mark (tier.MarkedCopySetter's
// SetCopyMarked) has a 24-byte header: the expiry word, then -256 less the
// mark (a word no freshness uses), then the freshness word; GetLocalMarked
// returns the mark. Expire turns a copy back into a plain entry, without a
// mark.
//
// # Bounds
//
// WithMaxBytes sets bigcache's HardMaxCacheSize, which counts whole MiB and
// is split evenly across the shards: when a shard is full bigcache evicts
// its oldest entries (FIFO), and a single entry larger than one shard's share
// (max bytes / shards, less a few bytes of headers) is rejected with
// core.KindPayloadTooLarge. Pick fewer shards when large values must fit.
// WithMaxEntries bounds the entry count: bigcache has no such bound, so a
// write that takes the count above it evicts entries (expired ones and then
// arbitrary ones, never the one just written) until about 1/16 of the room is
// free again. A bound of 0 means none; a negative bound is a
// core.KindConfig error, and a byte bound beyond what an int can count is
// clamped to it. Every shard allocates about 13.5 KiB up front, whatever the
// bounds, so WithShards accepts at most MaxShards (4096).
//
// # Performance
//
// Get is one bigcache.Get, which already copies the stored bytes out of the
// shard: the backend slices the header off that copy instead of copying
// again, so a hit costs exactly bigcache's one allocation. Writes (Set,
// Delete, Expire) serialise per key on a striped mutex so that Expire's
// read-modify-write and the lazy delete of expired entries never clobber a
// concurrent write; reads take no lock of this package.
//
// # Capabilities
//
// Backend implements core.Backend, core.TTLInspector, core.TTLRefresher,
// core.StatsReporter (one tier named "bigcache") and io.Closer, and the
// tier plumbing of package core/tier: tier.LocalGetter, tier.InMemory,
// tier.CopySetter and tier.Clearer. It does not implement
// core.Locker: an in-process lock is not a distributed one. Being InMemory,
// it receives a composition's backfills inline (see compose.BackfillMode);
// being a Clearer, it lets a composition over backend/redis follow Redis's
// invalidations (see compose.WithInvalidation).
package bigcache
