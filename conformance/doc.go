// Package conformance is the shared test suite every cachekit-go backend
// runs: one call from the backend's own test checks it against the contract
// of core.Backend and of every optional capability it implements.
//
//	func TestConformance(t *testing.T) {
//		conformance.RunBackend(t, conformance.Harness{
//			New:           func(t *testing.T) core.Backend { return newBackend(t) },
//			TTLResolution: time.Millisecond,
//		})
//	}
//
// It follows testing/fstest.TestFS and gocloud.dev's drivertest: the Harness
// makes fresh backends and declares what the backend cannot do; the suite
// reports every misbehaviour it finds, each in a named subtest ("SetGet",
// "Expiry", "Locker", ...), so `go test -run 'TestConformance/suite/Expiry'`
// reruns one check and `-skip` silences one.
//
// The suite covers get/set/delete/exists, missing keys, overwrite, TTL expiry
// and remaining-freshness reporting, empty, binary and large (5 MiB) values,
// awkward keys, many keys, concurrent writers and readers, context
// cancellation and deadlines, error kinds, buffer aliasing, and the optional
// capabilities found by type assertion: TTL inspection and refresh, locks
// (exclusive, released only by the holder, expiring after the lease), batch
// get and set, copies kept apart from their value's freshness (CopySetter),
// stats and Close. RunBackend's documentation lists the exact
// rules.
//
// Every key the suite writes is unique to the run and subtest, so it can run
// against a shared server; subtests run in parallel and expiry tests wait a
// few multiples of Harness.TTLResolution, so a run against an in-process
// backend takes well under a second.
//
// Importing conformance pulls in nothing but core and the standard library.
// Helpers that start containers live in the separate module
// conformance/rig. The package memory (conformance/memory) is a reference
// in-memory backend with every capability, for unit tests of code built on
// core.Backend.
package conformance
