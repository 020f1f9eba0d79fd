// Package bench holds cachekit-go's benchmarks that compare whole paths: an
// L1 hit through the client against the raw library calls it is built on
// (and, in later work, the peer libraries). It is its own module so that
// whatever it compares against never enters the SDK's dependency graph.
//
// Run with `make bench` (benchstat tables) or
//
//	cd bench && go test -run '^$' -bench . -benchmem -count 6 | tee new.txt
//	benchstat old.txt new.txt
//
// Targets (read them off the report, they are not timed tests):
//   - BenchmarkL1Hit/client ≤ 1.25 × BenchmarkL1Hit/raw, and at most 2
//     allocations per hit more than raw (whose allocations are bigcache's
//     copy plus the decode's own).
package bench
