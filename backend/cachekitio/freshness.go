package cachekitio

import (
	"net/http"
	"strings"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// maxFreshForSeconds is the 30-day TTL cap, the largest X-CacheKit-Fresh-For.
const maxFreshForSeconds = 2_592_000

// headerValue returns a header's field value as a recipient that combines
// repeated field lines sees it (RFC 9110 §5.3), and whether it is present.
func headerValue(h http.Header, name string) (string, bool) {
	vals := h[name]
	switch len(vals) {
	case 0:
		return "", false
	case 1:
		return vals[0], true
	}
	return strings.Join(vals, ", "), true
}

// parseStale classifies X-CacheKit-Freshness on a GET 200 (API-18): fresh
// when the header is absent or exactly "fresh", stale for any other value.
func parseStale(value string, present bool) bool {
	return present && value != "fresh"
}

// parseFreshFor reads X-CacheKit-Fresh-For (API-32/33/34): the number when
// the value is 1–7 ASCII digits and at most 2,592,000, otherwise 0. The
// length is checked before any conversion, so no overflow can wrap a huge
// value back into range. present is false when the header is absent (no
// server-side bound).
func parseFreshFor(value string, present bool) (seconds int64, ok bool) {
	if !present {
		return 0, false
	}
	if len(value) < 1 || len(value) > 7 {
		return 0, true
	}
	var n int64
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c < '0' || c > '9' {
			return 0, true
		}
		n = n*10 + int64(c-'0')
	}
	if n > maxFreshForSeconds {
		return 0, true
	}
	return n, true
}

// freshnessOf turns a GET 200's headers into core.Freshness: Stale from
// X-CacheKit-Freshness; Known and FreshFor from X-CacheKit-Fresh-For. An
// absent Fresh-For is Known == false: the server set no bound (a no-expiry
// entry, or a pre-signal server; the two cannot be told apart), so the reader
// keeps its own TTL (API-29..33, API-58/59 via core.Freshness.Bound).
func freshnessOf(h http.Header) core.Freshness {
	var f core.Freshness
	f.Stale = parseStale(headerValue(h, hdrFreshness))
	if secs, present := parseFreshFor(headerValue(h, hdrFreshFor)); present {
		f.Known = true
		f.FreshFor = time.Duration(secs) * time.Second
	}
	return f
}
