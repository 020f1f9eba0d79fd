// Package bench measures cachekit-go side by side with its peers,
// eko/gocache (lib/v4, a bigcache → Redis chain) and go-redis/cache (v9,
// TinyLFU → Redis), and with the bare library calls underneath (raw), on
// the work users do: L1 hits (serial and parallel), Redis hits with a cold
// L1, write-through sets, miss + load, and a 1000-way stampede on one cold
// key, for 100 B, 1 KiB and 64 KiB values, plaintext and encrypted. It is
// its own module so that the peers never enter the SDK's dependency graph;
// it holds only tests, benchmarks and the report command cmd/benchreport.
//
// Benchmarks are named Benchmark<Row>/size=<size>/lib=<library>, so that
// benchstat -col /lib puts the libraries in columns. Every cachekit
// configuration (lib=cachekit, cachekit-objects, cachekit-enc) is built by
// one constructor, newCachekit.
//
// The Redis rows share one Redis container for the whole run
// (conformance/rig; CACHEKIT_REDIS_IMAGE). Without a container engine they
// are skipped, or fail under CI=true; the L1 rows then run over an
// in-process miniredis, which an L1 hit never reaches.
//
// Run with `make bench BENCHMODULES=bench` at the repository root (benchstat
// table with one column per library, then the target report), or
//
//	cd bench && go test -run '^$' -bench . -benchmem -count 6 -timeout 0 | tee new.txt
//	benchstat -col /lib new.txt
//	go run ./cmd/benchreport new.txt
//
// README.md explains how each row is measured, shows the latest results and
// the profile analysis of the L1-hit path. The targets (issue #8) are read off
// the report, never asserted by a timed test.
package bench
