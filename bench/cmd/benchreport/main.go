// Command benchreport summarises the output of the bench module's
// benchmarks (go test -bench, any -count) as Markdown tables, one column
// per library (the lib= part of the names), with the median of each
// benchmark's runs, and checks the speed targets of issue #8:
//
//   - cachekit is faster than both peers (eko/gocache, go-redis/cache) on
//     every row of L1Hit, L2Hit and Set;
//   - a Redis hit through cachekit costs at most 5 % more than raw go-redis
//     GET + decode (L2Hit, lib=raw);
//
// "Faster than a peer" means significantly faster over the runs (see
// compare: Mann–Whitney U, p ≤ alpha, at least minSamples runs a side, else
// the medians); no significant difference is a tie, which is not a pass.
// For L1Hit, L2Hit and Set, when the paired rows (L1HitPaired, L2HitPaired,
// SetPaired: each library taking turns with raw in one loop, reporting
// vs-raw-%) are in the input, the verdicts use them (L1HitPaired's
// allocations too): a library beats a peer when its overhead
// over raw is smaller, and the Redis-hit overhead is L2HitPaired's
// vs-raw-%. Without them, the separate rows' medians decide. RedisHitPaired
// (every library without its in-process tier) gets both verdicts too: the
// Redis read alone, where L2HitPaired adds the L1 write (and, for
// cachekit-bounded, the PTTL that bounds the L1 copy);
//   - exactly one load per stampede (Stampede, loads/op);
//   - an L1 hit allocates no more than go-redis/cache's.
//
// The targets are a report, not a test: benchreport exits 0 whatever they
// say, and non-zero only when it cannot read its input.
//
//	go run ./cmd/benchreport results.txt [more.txt ...]
package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchreport FILE...")
		os.Exit(2)
	}
	r := newResults()
	for _, name := range os.Args[1:] {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchreport:", err)
			os.Exit(1)
		}
		err = r.parse(f)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchreport:", name+":", err)
			os.Exit(1)
		}
	}
	r.write(os.Stdout)
}

// libOrder is the column order; libraries not listed follow, sorted.
var libOrder = []string{"cachekit", "cachekit-otter", "cachekit-objects", "cachekit-enc", "cachekit-bounded", "cachekit-nofresh", "cachekit-script", "gocache", "gocache-aside", "goredis-cache", "raw"}

// peers are the libraries cachekit must beat.
var peers = []string{"gocache", "goredis-cache"}

// units are the tables written, in order, with their headings.
var units = []struct{ unit, title string }{
	{"sec/op", "time per op (median)"},
	{"allocs/op", "allocations per op (median)"},
	{"B/op", "bytes allocated per op (median)"},
	{"loads/op", "loads per op (median)"},
	{"redis-cmds/op", "Redis commands per op (median)"},
	{"vs-raw-%", "paired rows: overhead over raw measured in the same loop (median, %)"},
}

// results holds the samples: row ("L1Hit/size=100B") → lib → unit → values.
type results struct {
	config  []string // "cpu: …" and the like, first seen first
	rows    []string // in order of appearance
	libs    map[string]bool
	samples map[string]map[string]map[string][]float64
}

func newResults() *results {
	return &results{libs: map[string]bool{}, samples: map[string]map[string]map[string][]float64{}}
}

// parse reads go test -bench output.
func (r *results) parse(in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "Benchmark"):
			if err := r.parseBenchmark(line); err != nil {
				return err
			}
		case strings.HasPrefix(line, "goos:"), strings.HasPrefix(line, "goarch:"), strings.HasPrefix(line, "cpu:"):
			if !slices.Contains(r.config, line) {
				r.config = append(r.config, line)
			}
		}
	}
	return sc.Err()
}

// parseBenchmark reads "BenchmarkX/size=…/lib=…-N  iters  v unit  v unit …".
func (r *results) parseBenchmark(line string) error {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 {
		return nil // a benchmark that printed something else (a log line)
	}
	name := strings.TrimPrefix(f[0], "Benchmark")
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i] // the GOMAXPROCS suffix
		}
	}
	var row []string
	lib := ""
	for _, part := range strings.Split(name, "/") {
		if v, ok := strings.CutPrefix(part, "lib="); ok {
			lib = v
			continue
		}
		row = append(row, part)
	}
	if lib == "" {
		return nil // not a per-library benchmark
	}
	key := strings.Join(row, "/")
	if r.samples[key] == nil {
		r.samples[key] = map[string]map[string][]float64{}
		r.rows = append(r.rows, key)
	}
	if r.samples[key][lib] == nil {
		r.samples[key][lib] = map[string][]float64{}
	}
	r.libs[lib] = true
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return fmt.Errorf("%q: %w", line, err)
		}
		unit := f[i+1]
		if unit == "ns/op" {
			unit, v = "sec/op", v/1e9
		}
		r.samples[key][lib][unit] = append(r.samples[key][lib][unit], v)
	}
	return nil
}

// median returns the median of row/lib/unit and whether there is one.
func (r *results) median(row, lib, unit string) (float64, bool) {
	vs := r.samples[row][lib][unit]
	return medianOf(vs), len(vs) > 0
}

func (r *results) columns() []string {
	var cols []string
	for _, l := range libOrder {
		if r.libs[l] {
			cols = append(cols, l)
		}
	}
	var rest []string
	for l := range r.libs {
		if !slices.Contains(libOrder, l) {
			rest = append(rest, l)
		}
	}
	slices.Sort(rest)
	return append(cols, rest...)
}

func (r *results) write(w io.Writer) {
	for _, c := range r.config {
		fmt.Fprintf(w, "%s  \n", c)
	}
	cols := r.columns()
	for _, u := range units {
		var rows []string
		for _, row := range r.rows {
			for _, l := range cols {
				if _, ok := r.median(row, l, u.unit); ok {
					rows = append(rows, row)
					break
				}
			}
		}
		if len(rows) == 0 || (u.unit != "sec/op" && u.unit != "allocs/op" && u.unit != "B/op" && !r.anyNonZero(rows, cols, u.unit)) {
			continue
		}
		fmt.Fprintf(w, "\n%s\n\n| benchmark | %s |\n|---|%s\n", u.title, strings.Join(cols, " | "), strings.Repeat("---:|", len(cols)))
		for _, row := range rows {
			cells := make([]string, len(cols))
			for i, l := range cols {
				cells[i] = "–"
				if v, ok := r.median(row, l, u.unit); ok {
					cells[i] = format(v, u.unit)
				}
			}
			fmt.Fprintf(w, "| %s | %s |\n", row, strings.Join(cells, " | "))
		}
	}
	fmt.Fprintln(w)
	r.writeTargets(w)
}

func (r *results) anyNonZero(rows, cols []string, unit string) bool {
	for _, row := range rows {
		for _, l := range cols {
			if v, ok := r.median(row, l, unit); ok && v != 0 {
				return true
			}
		}
	}
	return false
}

// format prints a value of unit compactly.
func format(v float64, unit string) string {
	switch unit {
	case "vs-raw-%":
		return strconv.FormatFloat(v, 'f', 1, 64) + " %"
	case "sec/op":
		switch {
		case v < 1e-6:
			return strconv.FormatFloat(v*1e9, 'f', 0, 64) + " ns"
		case v < 1e-3:
			return strconv.FormatFloat(v*1e6, 'f', 2, 64) + " µs"
		default:
			return strconv.FormatFloat(v*1e3, 'f', 2, 64) + " ms"
		}
	case "B/op":
		switch {
		case v < 1<<10:
			return strconv.FormatFloat(v, 'f', 0, 64) + " B"
		default:
			return strconv.FormatFloat(v/(1<<10), 'f', 1, 64) + " KiB"
		}
	}
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// verdict is one checked target.
type verdict struct {
	target, row, detail string
	pass                bool
	tie                 bool // "faster than": no significant difference either way
}

// threshold is a verdict on a fixed bound (no comparison with a peer).
func threshold(target, row, detail string, pass bool) verdict {
	return verdict{target: target, row: row, detail: detail, pass: pass}
}

// faster checks "faster than both peers" for ck on row, in unit (sec/op, or
// vs-raw-% on a paired row): ck must be faster than each peer with results,
// significantly when both sides have minSamples runs (Mann–Whitney, alpha).
// Slower than a peer fails; otherwise a peer it is not significantly faster
// than makes a tie, which is not a pass. ok is false when no peer has
// results on the row.
func (r *results) faster(ck, row, unit, label string) (v verdict, ok bool) {
	mine := r.samples[row][ck][unit]
	if len(mine) == 0 {
		return verdict{}, false
	}
	best, bestLib := math.Inf(1), ""
	var notes []string
	anySlower, anyTie, untested := false, false, false
	for _, p := range peers {
		theirs := r.samples[row][p][unit]
		if len(theirs) == 0 {
			continue
		}
		if m := medianOf(theirs); m < best {
			best, bestLib = m, p
		}
		o, pv, tested := compare(mine, theirs)
		untested = untested || !tested
		switch o {
		case slower:
			anySlower = true
		case tie:
			anyTie = true
		}
		if tested {
			notes = append(notes, fmt.Sprintf("%s p=%.3f", p, pv))
		}
	}
	if bestLib == "" {
		return verdict{}, false
	}
	mv := medianOf(mine)
	var detail string
	if unit == "vs-raw-%" {
		detail = fmt.Sprintf("%+.1f %% over raw vs %s %+.1f %%", mv, bestLib, best)
	} else {
		detail = fmt.Sprintf("%s vs %s %s (%.2f×)", format(mv, unit), bestLib, format(best, unit), mv/best)
	}
	switch {
	case untested:
		detail += fmt.Sprintf("; medians only (fewer than %d runs)", minSamples)
	case len(notes) > 0:
		detail += "; " + strings.Join(notes, ", ")
	}
	return verdict{target: "faster than both peers", row: label, detail: detail,
		pass: !anySlower && !anyTie, tie: !anySlower && anyTie}, true
}

// targets checks the targets of issue #8 for every cachekit configuration
// that has results (the encrypted one against the peers' plaintext rows).
func (r *results) targets() []verdict {
	var out []verdict
	for _, ck := range []string{"cachekit", "cachekit-otter", "cachekit-objects", "cachekit-enc", "cachekit-bounded", "cachekit-nofresh", "cachekit-script"} {
		if !r.libs[ck] {
			continue
		}
		for _, row := range r.rows {
			bench, size, _ := strings.Cut(row, "/")
			if bench == "L1HitPaired" || bench == "L2HitPaired" || bench == "SetPaired" || bench == "RedisHitPaired" {
				plain := strings.TrimSuffix(bench, "Paired") + "/" + size
				r.pairedTargets(&out, ck, row, plain)
				if bench == "L1HitPaired" {
					r.allocTarget(&out, ck, row, plain+" "+ck+" (paired)")
				}
				continue
			}
			if (bench == "L1Hit" || bench == "L2Hit" || bench == "Set") && r.hasPaired(bench+"Paired/"+size, ck) {
				continue // the paired row decides
			}
			switch bench {
			case "L1Hit", "L2Hit", "Set":
				if v, ok := r.faster(ck, row, "sec/op", row+" "+ck); ok {
					out = append(out, v)
				}
			}
			if bench == "L2Hit" {
				v, ok1 := r.median(row, ck, "sec/op")
				raw, ok2 := r.median(row, "raw", "sec/op")
				if ok1 && ok2 {
					over := v/raw - 1
					out = append(out, threshold("Redis-hit overhead ≤ 5 % over raw", row+" "+ck,
						fmt.Sprintf("%s vs raw %s (%+.1f %%)", format(v, "sec/op"), format(raw, "sec/op"), 100*over), over <= 0.05))
				}
			}
			if bench == "L1Hit" {
				r.allocTarget(&out, ck, row, row+" "+ck)
			}
			if bench == "Stampede" {
				// Every run, not the median: one stampede with two loads fails it.
				vs := r.samples[row][ck]["loads/op"]
				if len(vs) > 0 {
					worst := slices.Max(vs)
					out = append(out, threshold("one load per stampede", row+" "+ck,
						fmt.Sprintf("loads/op max %s over %d runs", format(worst, "loads/op"), len(vs)), worst == 1))
				}
			}
		}
	}
	return out
}

// allocTarget checks that an L1 hit of ck (on row, an L1Hit or L1HitPaired
// row) allocates no more than go-redis/cache's, under label.
func (r *results) allocTarget(out *[]verdict, ck, row, label string) {
	a, ok1 := r.median(row, ck, "allocs/op")
	p, ok2 := r.median(row, "goredis-cache", "allocs/op")
	if ok1 && ok2 {
		*out = append(*out, threshold("L1-hit allocs ≤ go-redis/cache's", label,
			fmt.Sprintf("%s vs %s", format(a, "allocs/op"), format(p, "allocs/op")), a <= p))
	}
}

// hasPaired reports whether the paired row has an overhead (vs-raw-%) for lib.
func (r *results) hasPaired(row, lib string) bool {
	_, ok := r.median(row, lib, "vs-raw-%")
	return ok
}

// pairedTargets checks the L1Hit, L2Hit, RedisHit and Set targets of ck on a paired row
// (named after the unpaired row it stands for): faster than each peer means
// a smaller overhead over raw in the same kind of loop.
func (r *results) pairedTargets(out *[]verdict, ck, row, plain string) {
	over, ok := r.median(row, ck, "vs-raw-%")
	if !ok {
		return
	}
	if v, ok := r.faster(ck, row, "vs-raw-%", plain+" "+ck+" (paired)"); ok {
		*out = append(*out, v)
	}
	if strings.HasPrefix(row, "L2HitPaired") || strings.HasPrefix(row, "RedisHitPaired") {
		*out = append(*out, threshold("Redis-hit overhead ≤ 5 % over raw", plain+" "+ck+" (paired)",
			fmt.Sprintf("%+.1f %% (same loop)", over), over <= 5))
	}
}

func (r *results) writeTargets(w io.Writer) {
	vs := r.targets()
	if len(vs) == 0 {
		return
	}
	pass, ties := 0, 0
	fmt.Fprintf(w, "targets (issue #8; \"faster than\" needs a significant difference, Mann–Whitney p ≤ %.2f over the runs, against each peer; the thresholds use medians)\n\n| target | row | result | |\n|---|---|---|---|\n", alpha)
	for _, v := range vs {
		mark := "FAIL"
		switch {
		case v.pass:
			mark, pass = "pass", pass+1
		case v.tie:
			mark, ties = "tie", ties+1
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", v.target, v.row, v.detail, mark)
	}
	fmt.Fprintf(w, "\n%d of %d targets met (%d ties: no significant difference from a peer)\n", pass, len(vs), ties)
}
