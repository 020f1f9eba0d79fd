// Package memory is a small in-memory core.Backend that implements the
// optional capabilities of core that an in-process store can offer
// (InMemory, ValueGetter, TTLInspector, TTLRefresher, Locker, BatchGetter,
// BatchSetter, Clearer, StatsReporter and io.Closer; not Invalidator, which
// is for stores shared between processes) and passes the conformance suite.
// It is the reference backend for unit tests of code built on core.Backend
// (tier compositions, the client): it is exact rather than fast (one mutex, a
// Go map), its clock can be replaced, and faults can be injected per
// operation.
package memory
