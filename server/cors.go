package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/cachekit-io/cachekit-go/core"
)

// CORS (saas-api.md, Authentication, "CORS preflight exception"): OPTIONS on
// any path is 204 before authentication. Access-Control-* headers are sent
// only to a closed allowlist of origins (Config.CORSOrigins); every other
// origin gets none and the browser blocks the request. Even an allowlisted
// origin may send only Authorization and Content-Type, no X-CacheKit-*
// request header (so ck_sdk_ keys, which need X-CacheKit-L1-Status, cannot
// be used cross-origin), and no X-CacheKit-* response header is exposed.

// CORS response values.
const (
	corsAllowMethods = "GET, HEAD, PUT, DELETE, PATCH, POST"
	corsAllowHeaders = "Authorization, Content-Type"
	corsMaxAge       = "600"
)

// corsPolicy is the allowlist, by serialized origin.
type corsPolicy struct {
	origins map[string]bool
}

// newCORSPolicy validates the configured origins: each is a serialized
// origin, scheme://host[:port] with scheme http or https and nothing else.
// The wildcard is refused: the list is closed by design.
func newCORSPolicy(origins []string) (*corsPolicy, error) {
	if len(origins) == 0 {
		return nil, nil
	}
	p := &corsPolicy{origins: make(map[string]bool, len(origins))}
	for _, o := range origins {
		o = strings.TrimSpace(o)
		u, err := url.Parse(o)
		if o == "*" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || strings.HasSuffix(o, "?") {
			return nil, core.NewError(core.KindConfig, "server.new", "CORS origin "+quoteOrigin(o)+" is not scheme://host[:port]", nil)
		}
		p.origins[strings.ToLower(o)] = true
	}
	return p, nil
}

// quoteOrigin bounds a configured origin's length in an error.
func quoteOrigin(o string) string {
	if len(o) > 100 {
		o = o[:100] + "…"
	}
	return `"` + o + `"`
}

// apply sets the CORS headers of a response to r: Vary: Origin always (the
// answer depends on it), Access-Control-* only for an allowlisted origin.
// preflight adds the preflight's method, header and max-age lists.
func (p *corsPolicy) apply(h http.Header, r *http.Request, preflight bool) {
	if p == nil {
		return
	}
	h.Set("Vary", "Authorization, Origin")
	vals := r.Header.Values("Origin")
	if len(vals) != 1 || !p.origins[vals[0]] {
		return
	}
	h.Set("Access-Control-Allow-Origin", vals[0])
	if preflight {
		h.Set("Access-Control-Allow-Methods", corsAllowMethods)
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", corsMaxAge)
	}
}
