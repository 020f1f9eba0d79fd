package main

import (
	"math"
	"slices"
)

// alpha is the significance level of the "faster than" verdicts (benchstat's
// default).
const alpha = 0.05

// minSamples is the fewest runs per side for which the test can reach alpha:
// with 3 against 3 the smallest two-sided p-value is 0.1.
const minSamples = 4

// mannWhitneyP returns the two-sided p-value of the Mann–Whitney U test
// (Wilcoxon rank-sum) that a and b come from the same distribution. Ties get
// midranks. Up to 20 values in all, the p-value is exact: every way of
// choosing len(a) of the pooled ranks is enumerated (at most 184,756 for
// 10 + 10). Beyond that it uses the normal approximation with continuity
// correction. It returns 1 when either sample is empty.
func mannWhitneyP(a, b []float64) float64 {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return 1
	}
	ranks := midranks(slices.Concat(a, b))
	var w float64 // the rank sum of a
	for _, r := range ranks[:n] {
		w += r
	}
	N := n + m
	mean := float64(n) * float64(N+1) / 2
	obs := math.Abs(w - mean)
	if N > 20 {
		// Variance with the tie correction.
		var ties float64
		counts := map[float64]int{}
		for _, r := range ranks {
			counts[r]++
		}
		for _, t := range counts {
			ties += float64(t*t*t - t)
		}
		v := float64(n*m) / 12 * (float64(N+1) - ties/float64(N*(N-1)))
		if v <= 0 {
			return 1
		}
		z := (obs - 0.5) / math.Sqrt(v)
		if z < 0 {
			z = 0
		}
		return math.Erfc(z / math.Sqrt2)
	}
	// Exact: the share of the C(N, n) choices of n ranks whose sum is at
	// least as far from the mean as the observed one.
	var extreme, total int
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	for {
		var s float64
		for _, i := range idx {
			s += ranks[i]
		}
		total++
		if math.Abs(s-mean) >= obs-1e-9 {
			extreme++
		}
		// Next combination in lexicographic order.
		i := n - 1
		for i >= 0 && idx[i] == N-n+i {
			i--
		}
		if i < 0 {
			break
		}
		idx[i]++
		for j := i + 1; j < n; j++ {
			idx[j] = idx[j-1] + 1
		}
	}
	return float64(extreme) / float64(total)
}

// midranks returns the rank (1-based) of each value of xs, tied values
// sharing the mean of their ranks.
func midranks(xs []float64) []float64 {
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		switch {
		case xs[i] < xs[j]:
			return -1
		case xs[i] > xs[j]:
			return 1
		}
		return 0
	})
	ranks := make([]float64, len(xs))
	for i := 0; i < len(order); {
		j := i
		for j+1 < len(order) && xs[order[j+1]] == xs[order[i]] {
			j++
		}
		r := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			ranks[order[k]] = r
		}
		i = j + 1
	}
	return ranks
}

// outcome is how one library compares with another on a row.
type outcome int

const (
	tie    outcome = iota // no significant difference (or too few runs, medians equal)
	faster                // smaller, significantly (or by median when too few runs)
	slower                // larger, significantly (or by median when too few runs)
)

// compare says whether the values a are smaller than b (time, overhead):
// by the Mann–Whitney test when both sides have minSamples runs or more,
// by the medians otherwise (tested is then false). p is the test's p-value
// (1 when untested).
func compare(a, b []float64) (o outcome, p float64, tested bool) {
	ma, mb := medianOf(a), medianOf(b)
	if len(a) < minSamples || len(b) < minSamples {
		switch {
		case ma < mb:
			return faster, 1, false
		case ma > mb:
			return slower, 1, false
		}
		return tie, 1, false
	}
	p = mannWhitneyP(a, b)
	switch {
	case p > alpha || ma == mb:
		return tie, p, true
	case ma < mb:
		return faster, p, true
	}
	return slower, p, true
}

// medianOf returns the median of xs (0 for none).
func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	vs := slices.Clone(xs)
	slices.Sort(vs)
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2]
	}
	return (vs[n/2-1] + vs[n/2]) / 2
}
