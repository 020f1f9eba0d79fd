package server_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/server"
)

// edgeEnv is a server with the edge tier on: 1 MiB, a 60 s budget, and the
// clock at a whole second + 0.3 s.
func edgeEnv(t *testing.T, opts ...envOption) *env {
	return newEnv(t, append([]envOption{func(c *server.Config) {
		c.EdgeCacheBytes = 1 << 20
		c.EdgeBudget = time.Minute
	}}, opts...)...)
}

// getAt sets the clock to base+at and GETs path.
func (e *env) getAt(base time.Time, at time.Duration, key, path string) resp {
	e.t.Helper()
	e.clock.mu.Lock()
	e.clock.t = base.Add(at)
	e.clock.mu.Unlock()
	return e.do(req{method: "GET", path: path, key: key})
}

// answer is the wire summary of a GET: status, source, freshness label,
// Fresh-For (or "-" when absent), Age (or "-").
func answer(r resp) string {
	hdr := func(name string) string {
		if v := r.h.Values(name); len(v) > 0 {
			return strings.Join(v, ",")
		}
		return "-"
	}
	return strconv.Itoa(r.status) + " " + hdr("X-CacheKit-Store-Source") + " " + hdr("X-CacheKit-Freshness") +
		" ff=" + hdr("X-CacheKit-Fresh-For") + " age=" + hdr("Age")
}

func wantAnswer(t *testing.T, what string, r resp, want string) {
	t.Helper()
	if got := answer(r); got != want {
		t.Fatalf("%s: %s, want %s", what, got, want)
	}
}

// API-3: edge copies are partitioned by tenant: a copy made for one tenant
// is never served to another, whatever the URL.
func TestEdgeAPI3TenantPartition(t *testing.T) {
	e := edgeEnv(t)
	e.put(liveA, "/v1/cache/k", "acme's", ttlHdr("100"))
	r := e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: liveA}, 200)
	if r.h.Get("X-CacheKit-Store-Source") != "edge" || string(r.body) != "acme's" {
		t.Fatalf("tenant A: %s %q", answer(r), r.body)
	}
	// Same path, other tenant: not the copy.
	r = e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: liveB}, 404)
	wantAnswer(t, "tenant B, absent", r, "404 store - ff=- age=-")
	e.put(liveB, "/v1/cache/k", "globex's", ttlHdr("100"))
	if r := e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: liveB}, 200); string(r.body) != "globex's" {
		t.Fatalf("tenant B read %q", r.body)
	}
	if r := e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: liveA}, 200); string(r.body) != "acme's" {
		t.Fatalf("tenant A read %q after B's write", r.body)
	}
	// A delete by B leaves A's copy and entry alone.
	e.mustStatus(req{method: "DELETE", path: "/v1/cache/k", key: liveB}, 200)
	if r := e.mustStatus(req{method: "GET", path: "/v1/cache/k", key: liveA}, 200); string(r.body) != "acme's" {
		t.Fatalf("tenant A read %q after B's delete", r.body)
	}
}

// API-20: the tier emits its copy's bound minus the time since the bound was
// obtained, floored: from an accepted write, measured from its dispatch;
// from a store read, from the read. It never re-stamps.
func TestEdgeAPI20Decay(t *testing.T) {
	e := edgeEnv(t)
	base := e.clock.whole()
	e.put(sdkA, "/v1/cache/k", "v", ttlHdr("100")) // dispatched at base+0.3
	wantAnswer(t, "at once", e.getAt(base, 300*time.Millisecond, sdkA, "/v1/cache/k"), "200 edge fresh ff=100 age=0")
	wantAnswer(t, "+3.4 s", e.getAt(base, 3700*time.Millisecond, sdkA, "/v1/cache/k"), "200 edge fresh ff=96 age=3")
	wantAnswer(t, "+3.4 s again", e.getAt(base, 3700*time.Millisecond, sdkA, "/v1/cache/k"), "200 edge fresh ff=96 age=3")
	wantAnswer(t, "+5 s", e.getAt(base, 5300*time.Millisecond, sdkA, "/v1/cache/k"), "200 edge fresh ff=95 age=5")
	// Past the 60 s budget the store answers (fresh_until = base+100), and
	// the new copy's bound is the store's Fresh-For, decayed from the read.
	wantAnswer(t, "budget over", e.getAt(base, 61500*time.Millisecond, sdkA, "/v1/cache/k"), "200 store fresh ff=38 age=-")
	wantAnswer(t, "read copy", e.getAt(base, 64*time.Second, sdkA, "/v1/cache/k"), "200 edge fresh ff=35 age=2")
	wantAnswer(t, "read copy", e.getAt(base, 64900*time.Millisecond, sdkA, "/v1/cache/k"), "200 edge fresh ff=34 age=3")
}

// API-21: never a value larger than the decayed remainder, whatever the
// copy's own lifetime (the budget): a copy is not served past the TTL it was
// made under, and what it emits never exceeds what the write allowed.
func TestEdgeAPI21NeverLarger(t *testing.T) {
	e := edgeEnv(t, func(c *server.Config) { c.EdgeBudget = server.MaxEdgeBudget })
	base := e.clock.whole()
	e.put(sdkA, "/v1/cache/k", "v", map[string]string{"X-CacheKit-TTL": "2", "X-CacheKit-Stale-TTL": "30"})
	for at := 300 * time.Millisecond; at < 2300*time.Millisecond; at += 100 * time.Millisecond {
		r := e.getAt(base, at, sdkA, "/v1/cache/k")
		ff, err := strconv.ParseFloat(r.h.Get("X-CacheKit-Fresh-For"), 64)
		remainder := 2 - (at - 300*time.Millisecond).Seconds()
		if err != nil || ff > remainder || r.h.Get("X-CacheKit-Store-Source") != "edge" {
			t.Fatalf("at +%v: %s, decayed remainder %.1f", at, answer(r), remainder)
		}
	}
	// Its TTL spent, the copy is not served: the store answers stale (API-27
	// shape, 0) although the 300 s budget has not run out.
	wantAnswer(t, "TTL spent", e.getAt(base, 2300*time.Millisecond, sdkA, "/v1/cache/k"), "200 store stale ff=0 age=-")
	// And a stale read is never held as an edge copy.
	wantAnswer(t, "still the store", e.getAt(base, 2400*time.Millisecond, sdkA, "/v1/cache/k"), "200 store stale ff=0 age=-")
}

// API-19 and API-22: the header is omitted only on positive knowledge of no
// expiry, and a write's TTL is read with the store's precedence
// (X-CacheKit-TTL, else the legacy X-TTL): a legacy X-TTL write is bounded.
func TestEdgeAPI19API22NoExpiryKnowledge(t *testing.T) {
	e := edgeEnv(t)
	base := e.clock.whole()
	e.put(liveA, "/v1/cache/none", "v", nil)
	wantAnswer(t, "no TTL at all", e.getAt(base, time.Second, liveA, "/v1/cache/none"), "200 edge fresh ff=- age=0")
	e.put(liveA, "/v1/cache/legacy", "v", map[string]string{"X-TTL": "60"})
	wantAnswer(t, "legacy X-TTL", e.getAt(base, time.Second, liveA, "/v1/cache/legacy"), "200 edge fresh ff=60 age=0")
	e.put(liveA, "/v1/cache/both", "v", map[string]string{"X-CacheKit-TTL": "5", "X-TTL": "60"})
	wantAnswer(t, "X-CacheKit-TTL wins", e.getAt(base, time.Second, liveA, "/v1/cache/both"), "200 edge fresh ff=5 age=0")
	// Read from a signal-capable store that omitted the header: no expiry.
	wantAnswer(t, "store read", e.getAt(base, 62*time.Second, liveA, "/v1/cache/none"), "200 store fresh ff=- age=-")
	wantAnswer(t, "its copy", e.getAt(base, 63*time.Second, liveA, "/v1/cache/none"), "200 edge fresh ff=- age=1")
}

// API-23, API-25, API-26: in front of a store configured as pre-signal, a
// missing header proves nothing: the tier records such a read as unhinted
// and emits 0, on the relayed answer and on its copy, while a copy from a
// write without any TTL (recorded as unbounded at populate) still omits it.
func TestEdgeAPI23API25API26PreSignalStore(t *testing.T) {
	e := edgeEnv(t, func(c *server.Config) { c.EdgeStorePreSignal = true })
	base := e.clock.whole()
	e.put(liveA, "/v1/cache/k", "v", nil)
	wantAnswer(t, "write copy, unbounded", e.getAt(base, time.Second, liveA, "/v1/cache/k"), "200 edge fresh ff=- age=0")
	wantAnswer(t, "pre-signal read", e.getAt(base, 62*time.Second, liveA, "/v1/cache/k"), "200 store fresh ff=0 age=-")
	wantAnswer(t, "unhinted copy", e.getAt(base, 63*time.Second, liveA, "/v1/cache/k"), "200 edge fresh ff=0 age=1")
	// A bounded entry keeps the store's number.
	e.put(liveA, "/v1/cache/b", "v", ttlHdr("100"))
	wantAnswer(t, "bounded", e.getAt(base, 124*time.Second, liveA, "/v1/cache/b"), "200 store fresh ff=39 age=-")
}

// API-24: a Fresh-For received from the store is never dropped: every GET
// 200 of a bounded entry carries it, relayed or from a copy, fresh or stale.
func TestEdgeAPI24NeverDrops(t *testing.T) {
	e := edgeEnv(t, func(c *server.Config) { c.EdgeBudget = 2 * time.Second })
	base := e.clock.whole()
	e.put(liveA, "/v1/cache/k", "v", map[string]string{"X-CacheKit-TTL": "6", "X-CacheKit-Stale-TTL": "6"})
	for at := 300 * time.Millisecond; at < 12*time.Second; at += 700 * time.Millisecond {
		r := e.getAt(base, at, liveA, "/v1/cache/k")
		if r.status != 200 || len(r.h.Values("X-CacheKit-Fresh-For")) != 1 {
			t.Fatalf("at +%v: %s", at, answer(r))
		}
	}
}

// API-27: shapes other than fresh + positive are emitted with 0 and their
// label unchanged: a fresh entry in its final sub-second stays "fresh" with
// 0; a stale one stays "stale" with 0 (and is not held).
func TestEdgeAPI27ZeroShapes(t *testing.T) {
	e := edgeEnv(t)
	base := e.clock.whole()
	e.put(liveA, "/v1/cache/k", "v", map[string]string{"X-CacheKit-TTL": "3", "X-CacheKit-Stale-TTL": "10"})
	// The write's copy is bounded by its dispatch (base+0.3 .. base+3.3);
	// at +3.0 the store's fresh_until has passed: the store answers stale.
	wantAnswer(t, "copy, final sub-second", e.getAt(base, 2500*time.Millisecond, liveA, "/v1/cache/k"), "200 edge fresh ff=0 age=2")
	wantAnswer(t, "copy past fresh_until", e.getAt(base, 3100*time.Millisecond, liveA, "/v1/cache/k"), "200 edge fresh ff=0 age=2")
	wantAnswer(t, "stale relay", e.getAt(base, 3400*time.Millisecond, liveA, "/v1/cache/k"), "200 store stale ff=0 age=-")
	wantAnswer(t, "stale not held", e.getAt(base, 3500*time.Millisecond, liveA, "/v1/cache/k"), "200 store stale ff=0 age=-")
}

// The tier drops its copy on every PUT, DELETE and PATCH /ttl through the
// server, so the next read sees the change at once; a PUT's own copy is
// the new value.
func TestEdgeInvalidation(t *testing.T) {
	e := edgeEnv(t)
	base := e.clock.whole()
	e.put(liveA, "/v1/cache/k", "one", ttlHdr("100"))
	e.put(liveA, "/v1/cache/k", "two", ttlHdr("50"))
	r := e.getAt(base, time.Second, liveA, "/v1/cache/k")
	if string(r.body) != "two" {
		t.Fatalf("after a second PUT: %q", r.body)
	}
	wantAnswer(t, "PUT's copy", r, "200 edge fresh ff=49 age=0")
	e.mustStatus(req{method: "PATCH", path: "/v1/cache/k/ttl", key: liveA, body: []byte(`{"ttl":10}`)}, 200)
	wantAnswer(t, "after PATCH", e.getAt(base, 2*time.Second, liveA, "/v1/cache/k"), "200 store fresh ff=9 age=-")
	wantAnswer(t, "copy of the patched entry", e.getAt(base, 3*time.Second, liveA, "/v1/cache/k"), "200 edge fresh ff=8 age=1")
	e.mustStatus(req{method: "DELETE", path: "/v1/cache/k", key: liveA}, 200)
	wantAnswer(t, "after DELETE", e.getAt(base, 3*time.Second, liveA, "/v1/cache/k"), "404 store - ff=- age=-")
	// Not-found results are not held: a write shows at once.
	e.put(liveA, "/v1/cache/k", "three", ttlHdr("100"))
	if r := e.getAt(base, 3*time.Second, liveA, "/v1/cache/k"); string(r.body) != "three" {
		t.Fatalf("after re-PUT: %q", r.body)
	}
}

// HEAD from a copy: GET's status and label, no body and no Fresh-For
// (API-47), Store-Source and Age; the size bound keeps values that do not
// fit out of the tier; the budget is capped at 300 s.
func TestEdgeHeadSizeAndConfig(t *testing.T) {
	e := edgeEnv(t, func(c *server.Config) { c.EdgeCacheBytes = 64 << 10 }) // 1 KiB a shard
	base := e.clock.whole()
	e.put(liveA, "/v1/cache/small", "v", ttlHdr("100"))
	r := e.do(req{method: "HEAD", path: "/v1/cache/small", key: liveA})
	if r.status != 200 || len(r.body) != 0 || answer(r) != "200 edge fresh ff=- age=0" {
		t.Fatalf("HEAD: %s body %d", answer(r), len(r.body))
	}
	e.put(liveA, "/v1/cache/big", strings.Repeat("x", 2048), ttlHdr("100"))
	wantAnswer(t, "too big to hold", e.getAt(base, time.Second, liveA, "/v1/cache/big"), "200 store fresh ff=99 age=-")
	wantAnswer(t, "still not held", e.getAt(base, time.Second, liveA, "/v1/cache/big"), "200 store fresh ff=99 age=-")
	keys, _ := server.NewStaticKeys(testKeys)
	for _, c := range []server.Config{
		{EdgeCacheBytes: 1, EdgeBudget: server.MaxEdgeBudget + time.Second},
		{EdgeCacheBytes: -1},
	} {
		c.Storage, c.Keys = e.store, keys
		if _, err := server.New(c); err == nil {
			t.Errorf("%+v: accepted", c)
		}
	}
}
