package main

import "fmt"

// Example_replay replays one seeded Zipf trace (s = 1.1, 10,000 keys,
// 50,000 accesses) through two caches sized to a tenth of the key space,
// as the command does for every cache, trace and size. Both policies here
// are deterministic, so the ratios are the same on every run.
func Example_replay() {
	const keys, n = 10_000, 50_000
	t := zipfTrace("zipf-1.1", keys, n, 1.1, 2)
	names := make([]string, keys)
	for i := range names {
		names[i] = keyName(int32(i))
	}
	for _, p := range policies {
		if p.name != "cachekit-l1" && p.name != "goredis-tinylfu" {
			continue
		}
		h, err := replay(p, t, 0.10, names)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %.3f\n", p.name, h)
	}
	// Output:
	// cachekit-l1: 0.735
	// goredis-tinylfu: 0.809
}
