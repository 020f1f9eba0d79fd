// Command hitratio replays seeded access traces through each in-process
// cache cachekit-go offers or is compared with, and reports the hit ratio
// of each at cache sizes of 1 % and 10 % of the key space (issue 27).
//
//	go run . [-svg hitratio.svg] [-readme ../README.md] [-n 1000000]
//
// It prints a Markdown table, writes an SVG plot (hit ratio by workload and
// size, one bar per cache) and, with -readme, replaces the table between
// the hitratio markers of that file. Every trace is generated from a fixed
// seed and replayed on one goroutine, so the figures are the same on every
// run (ristretto's excepted: see the README).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// The default experiment: a key space of 100 000 keys and traces of
// 1 000 000 accesses, the first 10 % of which warm the cache up and are not
// counted.
const (
	defaultKeys = 100_000
	defaultReqs = 1_000_000
)

var sizes = []float64{0.01, 0.10}

func traces(keys, n int) []trace {
	return []trace{
		zipfTrace("zipf-0.9", keys, n, 0.9, 1),
		zipfTrace("zipf-1.1", keys, n, 1.1, 2),
		scanTrace("zipf-0.9+scan", keys, n, 0.9, 50_000, keys/5, 3),
		loopTrace("loop", keys, n, 0.5, keys/20*3, 0.9, 4),
	}
}

// result is one replay: a policy, a trace, a size.
type result struct {
	policy, trace string
	size          float64
	hitRatio      float64
}

func keyName(i int32) string {
	return fmt.Sprintf("k%07d", i) // keyLen bytes
}

// replay runs t through a fresh cache of the policy and returns its hit
// ratio over the accesses after the warm-up (the first tenth).
func replay(p policy, t trace, size float64, names []string) (float64, error) {
	capacity := int(float64(t.keys) * size)
	c, err := p.build(capacity)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", p.name, err)
	}
	defer c.close()
	warm := len(t.reqs) / 10
	hits, counted := 0, 0
	for i, k := range t.reqs {
		key := names[k]
		hit := c.get(key)
		if !hit {
			c.set(key)
		}
		if i >= warm {
			counted++
			if hit {
				hits++
			}
		}
	}
	return float64(hits) / float64(counted), nil
}

func main() {
	svgPath := flag.String("svg", "hitratio.svg", "write the plot to this file (empty: none)")
	readme := flag.String("readme", "", "replace the table between the hitratio markers of this file")
	n := flag.Int("n", defaultReqs, "accesses per trace")
	keys := flag.Int("keys", defaultKeys, "size of the key space")
	flag.Parse()
	if err := run(os.Stdout, *keys, *n, *svgPath, *readme); err != nil {
		fmt.Fprintln(os.Stderr, "hitratio:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, keys, n int, svgPath, readme string) error {
	names := make([]string, keys)
	for i := range names {
		names[i] = keyName(int32(i))
	}
	ts := traces(keys, n)
	var results []result
	for _, t := range ts {
		for _, size := range sizes {
			for _, p := range policies {
				hr, err := replay(p, t, size, names)
				if err != nil {
					return err
				}
				results = append(results, result{p.name, t.name, size, hr})
				fmt.Fprintf(os.Stderr, "%-14s %4.0f%%  %-20s %6.2f%%\n", t.name, size*100, p.name, hr*100)
			}
		}
	}
	table := markdown(ts, keys, n, results)
	fmt.Fprint(w, table)
	if svgPath != "" {
		if err := os.WriteFile(svgPath, []byte(plot(ts, results)), 0o644); err != nil {
			return err
		}
	}
	if readme != "" {
		return replaceBetweenMarkers(readme, table)
	}
	return nil
}

// markdown renders the results as one row per workload and size, one
// column per policy, the best of each row in bold.
func markdown(ts []trace, keys, n int, results []result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hit ratio (%%) after a warm-up of %d accesses, over %d accesses; key space %d keys.\n\n", n/10, n-n/10, keys)
	b.WriteString("| workload | size |")
	for _, p := range policies {
		b.WriteString(" " + p.name + " |")
	}
	b.WriteString("\n|---|---:|")
	for range policies {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, t := range ts {
		for _, size := range sizes {
			row := make([]float64, len(policies))
			best := 0.0
			for i, p := range policies {
				row[i] = lookup(results, p.name, t.name, size)
				best = max(best, row[i])
			}
			fmt.Fprintf(&b, "| %s | %s |", t.name, pct(size))
			for _, v := range row {
				s := strconv.FormatFloat(v*100, 'f', 2, 64)
				if v == best {
					s = "**" + s + "**"
				}
				b.WriteString(" " + s + " |")
			}
			b.WriteString("\n")
		}
	}
	b.WriteString("\nWorkloads:\n\n")
	for _, t := range ts {
		fmt.Fprintf(&b, "- `%s`: %s.\n", t.name, t.desc)
	}
	b.WriteString("\nCaches:\n\n")
	for _, p := range policies {
		note := ""
		if p.varies {
			note = " Seeded inside the library from the clock or the runtime, so a rerun can differ by up to a point or two (three for ristretto; up to four for otter on `loop`, where its adaptive window swings)."
		}
		fmt.Fprintf(&b, "- `%s`: %s.%s\n", p.name, p.desc, note)
	}
	return b.String()
}

func lookup(results []result, policy, trace string, size float64) float64 {
	for _, r := range results {
		if r.policy == policy && r.trace == trace && r.size == size {
			return r.hitRatio
		}
	}
	return 0
}

const (
	beginMarker = "<!-- hitratio:begin (generated by make hitratio; do not edit) -->"
	endMarker   = "<!-- hitratio:end -->"
)

// replaceBetweenMarkers puts text between the markers of the file at path.
func replaceBetweenMarkers(path, text string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(data)
	i := strings.Index(s, beginMarker)
	j := strings.Index(s, endMarker)
	if i < 0 || j < i {
		return fmt.Errorf("%s: no %q … %q markers", path, beginMarker, endMarker)
	}
	out := s[:i+len(beginMarker)] + "\n" + text + s[j:]
	return os.WriteFile(path, []byte(out), 0o644)
}

func pct(f float64) string  { return strconv.FormatFloat(f*100, 'f', -1, 64) + " %" }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
func itoa(i int) string     { return strconv.Itoa(i) }
