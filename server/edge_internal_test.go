package server

import (
	"strconv"
	"testing"
	"time"
)

// The tier's emission rules on every shape an answer from below can take,
// including those this server's own store never produces (an unrecognized
// label, no label, a positive Fresh-For on a stale answer): API-19, API-20,
// API-23, API-24, API-26 and API-27.
func TestEdgeEmissionShapes(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	type shape struct {
		label       string
		labelled    bool
		freshFor    int64
		hasFreshFor bool
	}
	cases := []struct {
		name        string
		in          shape
		signals     bool
		wantFF      string // "-" = omitted
		wantLabel   string // "-" = none
		wantHeld    bool
		heldFFAfter string // what the held copy emits 2.5 s later
	}{
		{"fresh positive", shape{"fresh", true, 10, true}, true, "10", "fresh", true, "7"},
		{"unlabelled positive (pre-SWR fresh)", shape{"", false, 10, true}, true, "10", "-", true, "7"},
		{"fresh zero", shape{"fresh", true, 0, true}, true, "0", "fresh", false, ""},
		{"stale zero", shape{"stale", true, 0, true}, true, "0", "stale", false, ""},
		{"stale positive (a bug below)", shape{"stale", true, 9, true}, true, "0", "stale", false, ""},
		{"unrecognized label", shape{"Fresh", true, 9, true}, true, "0", "Fresh", false, ""},
		{"no header, signal-capable store", shape{"fresh", true, 0, false}, true, "-", "fresh", true, "-"},
		{"no header, pre-signal store", shape{"fresh", true, 0, false}, false, "0", "fresh", true, "0"},
		{"no header, pre-signal store, stale", shape{"stale", true, 0, false}, false, "0", "stale", false, ""},
		{"no header, no label, pre-signal store", shape{"", false, 0, false}, false, "0", "-", true, "0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tier := newEdgeTier(1<<20, time.Minute, c.signals)
			in := readAnswer{found: true, value: []byte("v"), label: c.in.label, labelled: c.in.labelled,
				freshFor: c.in.freshFor, hasFreshFor: c.in.hasFreshFor, source: sourceStore}
			out, held := tier.fromStore("t:a:k", in, now, false)
			if ff := ffString(out); ff != c.wantFF {
				t.Errorf("relayed Fresh-For %s, want %s", ff, c.wantFF)
			}
			if l := labelString(out); l != c.wantLabel {
				t.Errorf("relayed label %s, want %s", l, c.wantLabel)
			}
			if c.in.hasFreshFor && !out.hasFreshFor {
				t.Error("API-24: a received Fresh-For was dropped")
			}
			if (held != nil) != c.wantHeld {
				t.Fatalf("held: %v, want %v", held != nil, c.wantHeld)
			}
			if held == nil {
				return
			}
			tier.install(held, tier.seqOf("t:a:k"), true)
			a, ok := tier.serve("t:a:k", now.Add(2500*time.Millisecond), false)
			if !ok || a.source != sourceEdge || ffString(a) != c.heldFFAfter || labelString(a) != c.wantLabel {
				t.Fatalf("copy 2.5 s later: ok %v source %s Fresh-For %s label %s, want %s %s", ok, a.source, ffString(a), labelString(a), c.heldFFAfter, c.wantLabel)
			}
			if head, _ := tier.serve("t:a:k", now, true); head.hasFreshFor {
				t.Error("a HEAD from a copy carries Fresh-For")
			}
		})
	}
}

func ffString(a readAnswer) string {
	if !a.hasFreshFor {
		return "-"
	}
	return strconv.FormatInt(a.freshFor, 10)
}

func labelString(a readAnswer) string {
	if !a.labelled {
		return "-"
	}
	return a.label
}

// freshForOf decays and floors, and never exceeds the remainder (API-20/21).
func TestFreshForOfDecay(t *testing.T) {
	for _, c := range []struct {
		bound   int64
		elapsed time.Duration
		want    int64
	}{
		{10, 0, 10}, {10, 1, 9}, {10, 999 * time.Millisecond, 9}, {10, time.Second, 9},
		{10, 9*time.Second + 1, 0}, {10, 10 * time.Second, 0}, {10, time.Hour, 0}, {2_592_000, 0, 2_592_000},
	} {
		got, ok := freshForOf("fresh", true, boundKnown, c.bound, c.elapsed)
		if !ok || got != c.want {
			t.Errorf("bound %d after %v: %d %v, want %d", c.bound, c.elapsed, got, ok, c.want)
		}
		if float64(got) > float64(c.bound)-c.elapsed.Seconds() && got != 0 {
			t.Errorf("bound %d after %v: %d exceeds the remainder", c.bound, c.elapsed, got)
		}
	}
}

// A read that raced an invalidation is not installed: the copy it carries
// may predate the write or delete (the shard's sequence moved on).
func TestEdgeInstallAfterInvalidation(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tier := newEdgeTier(1<<20, time.Minute, true)
	seq := tier.seqOf("k")
	tier.invalidate("k", nil)
	_, c := tier.fromStore("k", readAnswer{found: true, value: []byte("old"), label: "fresh", labelled: true, freshFor: 5, hasFreshFor: true}, now, false)
	tier.install(c, seq, true)
	if _, ok := tier.serve("k", now, false); ok {
		t.Fatal("a copy read before an invalidation was installed after it")
	}
	tier.install(c, tier.seqOf("k"), true)
	if _, ok := tier.serve("k", now, false); !ok {
		t.Fatal("a copy read after the invalidation was not installed")
	}
}

// Eviction keeps each shard within its byte budget, oldest first.
func TestEdgeEviction(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tier := newEdgeTier(edgeShards*2000, time.Minute, true)
	keys := make([]string, 0, 400)
	for i := 0; i < 400; i++ {
		k := "t:a:" + strconv.FormatInt(int64(i+1), 10)
		keys = append(keys, k)
		tier.invalidate(k, writeCopy(k, make([]byte, 500), true, 100, now))
	}
	held := 0
	for i := range tier.shards {
		sh := &tier.shards[i]
		if sh.bytes > tier.maxShard {
			t.Fatalf("shard %d holds %d bytes, over %d", i, sh.bytes, tier.maxShard)
		}
		held += len(sh.m)
	}
	if held == 0 || held >= 400 {
		t.Fatalf("%d of 400 copies held", held)
	}
	// The newest copy of a shard is always there.
	if _, ok := tier.serve(keys[399], now, false); !ok {
		t.Fatal("the newest copy was evicted")
	}
}
