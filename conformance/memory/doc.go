// Package memory is a small in-memory core.Backend that implements the
// optional capabilities that an in-process store can offer — core's
// ValueGetter, TTLInspector, TTLRefresher, Locker, BatchGetter, BatchSetter,
// StatsReporter and io.Closer, and core/tier's InMemory, CopySetter and
// Clearer; not tier.Invalidator, which is for stores shared between
// processes — and passes the conformance suite.
// It is the reference backend for unit tests of code built on core.Backend
// (tier compositions, the client): it is exact rather than fast (one mutex, a
// Go map), its clock can be replaced, and faults can be injected per
// operation.
package memory
