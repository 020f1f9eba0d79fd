// Package tier holds the interfaces between the tiers of a cache stack: what
// an in-process cache (an L1) or a shared store offers beyond core.Backend so
// that a composition can stack them. Applications do not need it; they use
// core's Client over whatever stack they built. Read it if you write an L1,
// a shared backend that reports changes, or a composition of tiers.
//
// Every interface here is an optional capability of a core.Backend,
// discovered by type assertion in the manner of database/sql/driver: a
// backend implements the ones it can, and a caller that finds one missing
// does without it. Who asks for what:
//
//   - LocalGetter: core's client, in GetOrLoad, asks an in-process tier for
//     a fresh hit before it coordinates a backend read. compose passes its
//     upper tier's answer on.
//   - InMemory: compose writes backfills into an in-memory upper tier on the
//     reader's goroutine, and follows invalidations only for such a tier.
//   - CopySetter: compose stores the copy of a lower-tier hit with it, so the
//     copy reports its value's freshness rather than its own shorter life.
//   - MarkedCopySetter and MarkedLocalGetter: a composition given its
//     clients' codec (compose.WithGuard) checks each copy it backfills with
//     the codec's hostile-input guard and stores the verdict with it (a
//     core.GuardMark); core's Get reads in-process hits with their marks
//     first and decodes a marked one without walking the guard again.
//   - Clearer: compose drops every upper-tier copy when its lower tier loses
//     track of changes (see InvalidationWatcher.Reset).
//   - UpperReport and UpperReportReader: compose tells a lower tier that
//     reads them (backend/cachekitio) what its upper tier did for each
//     request, for the X-CacheKit-L1-Status and metrics headers.
//   - Invalidator and InvalidationWatcher: a shared lower tier
//     (backend/redis) reports which keys changed, and compose deletes its
//     upper-tier copies of them, whichever process made the change.
//
// An L1 that wants the most out of a composition over Redis implements
// LocalGetter, InMemory, CopySetter, MarkedCopySetter, MarkedLocalGetter
// and Clearer, as l1/bigcache and l1/otter do. The
// conformance module checks the contracts of LocalGetter, CopySetter and
// Invalidator for a backend that implements them; run it on yours.
//
// The package depends on core (for Entry and Freshness) and the standard
// library only; core itself does not import it: its client asks for
// GetLocal through an interface of its own with the same method set.
package tier
