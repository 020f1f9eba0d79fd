package main

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestMannWhitneyP(t *testing.T) {
	seq := func(from, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = float64(from + i)
		}
		return out
	}
	cases := []struct {
		name string
		a, b []float64
		want float64
	}{
		// Fully separated samples: only the observed split and its mirror
		// are as extreme, out of C(8,4) = 70 and C(12,6) = 924.
		{"4v4 separated", seq(1, 4), seq(5, 4), 2.0 / 70},
		{"6v6 separated", seq(10, 6), seq(1, 6), 2.0 / 924},
		{"identical", []float64{5, 5, 5, 5}, []float64{5, 5, 5, 5}, 1},
		{"interleaved", []float64{1, 3, 5, 7}, []float64{2, 4, 6, 8}, 0.6857142857142857},
		{"empty", nil, seq(1, 4), 1},
	}
	for _, c := range cases {
		if got := mannWhitneyP(c.a, c.b); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s: p = %g, want %g", c.name, got, c.want)
		}
	}
	// Beyond 20 values: the normal approximation.
	if p := mannWhitneyP(seq(1, 11), seq(12, 11)); p > 0.001 {
		t.Errorf("11v11 separated: p = %g, want < 0.001", p)
	}
	if p := mannWhitneyP(seq(1, 11), seq(1, 11)); p < 0.9 {
		t.Errorf("11v11 identical: p = %g, want ≈ 1", p)
	}
}

func TestMidranks(t *testing.T) {
	got := midranks([]float64{10, 20, 10, 30})
	want := []float64{1.5, 3, 1.5, 4}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("midranks = %v, want %v", got, want)
		}
	}
}

func TestCompare(t *testing.T) {
	if o, _, tested := compare([]float64{1}, []float64{2}); o != faster || tested {
		t.Errorf("one run each: %v tested=%v, want faster by median, untested", o, tested)
	}
	if o, p, tested := compare([]float64{1, 2, 3, 4, 5, 6}, []float64{7, 8, 9, 10, 11, 12}); o != faster || !tested || p > alpha {
		t.Errorf("separated: %v p=%g tested=%v, want faster", o, p, tested)
	}
	if o, _, _ := compare([]float64{7, 8, 9, 10, 11, 12}, []float64{1, 2, 3, 4, 5, 6}); o != slower {
		t.Errorf("separated the other way: %v, want slower", o)
	}
	// A better median that the runs do not support is a tie.
	if o, p, _ := compare([]float64{1, 3, 5, 7, 9, 11}, []float64{2, 4, 6, 8, 10, 12}); o != tie || p <= alpha {
		t.Errorf("interleaved: %v p=%g, want a tie", o, p)
	}
}

// Six runs per library: a clear win passes, an overlap is a tie (not a
// pass), and a clear loss fails.
func TestReportSignificance(t *testing.T) {
	var b strings.Builder
	b.WriteString("cpu: Test CPU\n")
	line := func(row, lib string, v float64) {
		b.WriteString("Benchmark" + row + "/lib=" + lib + "-2 \t 100\t " + strconv.FormatFloat(v, 'f', -1, 64) + " ns/op\n")
	}
	for i := range 6 {
		f := float64(i)
		line("L1Hit/size=100B", "cachekit", 1000+f)
		line("L1Hit/size=100B", "gocache", 3000+f)
		line("L1Hit/size=100B", "goredis-cache", 2000+f)
		line("L1Hit/size=1KiB", "cachekit", 1000+2*f) // overlaps goredis-cache
		line("L1Hit/size=1KiB", "gocache", 3000+f)
		line("L1Hit/size=1KiB", "goredis-cache", 1001+2*f)
		line("L1Hit/size=64KiB", "cachekit", 5000+f)
		line("L1Hit/size=64KiB", "gocache", 3000+f)
		line("L1Hit/size=64KiB", "goredis-cache", 2000+f)
	}
	r := newResults()
	if err := r.parse(strings.NewReader(b.String())); err != nil {
		t.Fatal(err)
	}
	got := map[string]verdict{}
	for _, v := range r.targets() {
		got[v.row] = v
	}
	if v := got["L1Hit/size=100B cachekit"]; !v.pass || !strings.Contains(v.detail, "p=0.002") {
		t.Errorf("clear win: %+v, want a pass with p=0.002", v)
	}
	if v := got["L1Hit/size=1KiB cachekit"]; v.pass || !v.tie {
		t.Errorf("overlap: %+v, want a tie", v)
	}
	if v := got["L1Hit/size=64KiB cachekit"]; v.pass || v.tie {
		t.Errorf("clear loss: %+v, want a failure", v)
	}
	var out strings.Builder
	r.writeTargets(&out)
	if !strings.Contains(out.String(), "1 of 3 targets met (1 ties") || !strings.Contains(out.String(), "| tie |") {
		t.Errorf("report:\n%s", out.String())
	}
}
