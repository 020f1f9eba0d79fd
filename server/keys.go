package server

import (
	"net/url"
	"strings"
)

// MaxKeyLength is the longest decoded cache key the server accepts.
const MaxKeyLength = 400

// routeKind is what a request path addresses.
type routeKind uint8

const (
	routeNotFound routeKind = iota
	routeEntry              // /v1/cache/{key}
	routeTTL                // /v1/cache/{key}/ttl
	routeLock               // /v1/cache/{key}/lock
	routeHealth             // /v1/cache/health
)

func (k routeKind) String() string {
	switch k {
	case routeEntry:
		return "entry"
	case routeTTL:
		return "ttl"
	case routeLock:
		return "lock"
	case routeHealth:
		return "health"
	}
	return "not_found"
}

// allow is the Allow header value of each route (API 405 rule).
func (k routeKind) allow() string {
	switch k {
	case routeEntry:
		return "GET, HEAD, PUT, DELETE"
	case routeTTL:
		return "GET, PATCH"
	case routeLock:
		return "POST, DELETE"
	case routeHealth:
		return "GET"
	}
	return ""
}

// rawRequestPath returns the request target's path exactly as the client sent
// it (no decoding), without the query. It does not use r.URL.Path or
// EscapedPath, which decode or re-encode and could turn an encoded %2F into a
// segment boundary.
func rawRequestPath(requestURI string) (string, bool) {
	p := requestURI
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if strings.HasPrefix(p, "/") {
		return p, true
	}
	// absolute-form request target (proxies): take its raw path, undecoded.
	for _, scheme := range [...]string{"https://", "http://"} {
		if len(p) > len(scheme) && strings.EqualFold(p[:len(scheme)], scheme) {
			rest := p[len(scheme):]
			if i := strings.IndexByte(rest, '/'); i > 0 {
				return rest[i:], true
			}
		}
	}
	return "", false
}

// isSingleDot reports a WHATWG single-dot path segment: "." or "%2e".
func isSingleDot(s string) bool {
	return s == "." || strings.EqualFold(s, "%2e")
}

// isDoubleDot reports a WHATWG double-dot path segment: "..", ".%2e",
// "%2e." or "%2e%2e" (ASCII case-insensitive).
func isDoubleDot(s string) bool {
	switch strings.ToLower(s) {
	case "..", ".%2e", "%2e.", "%2e%2e":
		return true
	}
	return false
}

// normalizePath applies the WHATWG URL Standard's path parsing to a raw path
// of a special (https) URL: a raw backslash is a separator and dot segments
// (including their percent-encoded forms) are removed. It returns the
// segments after the leading "/".
func normalizePath(raw string) []string {
	raw = strings.ReplaceAll(raw, "\\", "/")
	segs := strings.Split(strings.TrimPrefix(raw, "/"), "/")
	out := make([]string, 0, len(segs))
	for i, seg := range segs {
		last := i == len(segs)-1
		switch {
		case isDoubleDot(seg):
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		case isSingleDot(seg):
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, seg)
		}
	}
	return out
}

// route maps a raw request path to a route and the still-encoded key segment.
// Only the four routes of the spec exist under /v1/cache/ (API-12), and
// /v1/cache/ itself serves nothing (API-13).
func route(raw string) (routeKind, string) {
	segs := normalizePath(raw)
	if len(segs) < 3 || segs[0] != "v1" || segs[1] != "cache" {
		return routeNotFound, ""
	}
	rest := segs[2:]
	switch len(rest) {
	case 1:
		switch rest[0] {
		case "":
			return routeNotFound, ""
		case "health":
			return routeHealth, ""
		case "ttl": // an empty key plus /ttl
			return routeTTL, ""
		case "lock":
			return routeLock, ""
		}
		return routeEntry, rest[0]
	case 2:
		switch rest[1] {
		case "ttl":
			return routeTTL, rest[0]
		case "lock":
			return routeLock, rest[0]
		}
	}
	return routeNotFound, ""
}

// cacheKey is a decoded, validated cache key.
type cacheKey struct {
	key       string
	prefix    string // "ns", "nsapi" or "" (default namespace)
	namespace string // the namespace name; "default" for unprefixed keys
}

// DefaultNamespace is the namespace of keys with neither an ns: nor an nsapi:
// prefix.
const DefaultNamespace = "default"

// decodeKey percent-decodes the key segment exactly once and validates the
// result against the server-side key rules (cache-key-format.md, Server-Side
// Requirements). The returned message explains a rejection (400).
func decodeKey(seg string) (cacheKey, string) {
	k, err := url.PathUnescape(seg)
	if err != nil {
		return cacheKey{}, "malformed percent-encoding in cache key"
	}
	return validateKey(k)
}

// validateKey checks a decoded key: length, charset, traversal, namespace.
func validateKey(k string) (cacheKey, string) {
	if len(k) == 0 || len(k) > MaxKeyLength {
		return cacheKey{}, "cache key must be 1-400 characters"
	}
	for i := 0; i < len(k); i++ {
		if !keyByte(k[i]) {
			return cacheKey{}, "cache key contains a character outside [A-Za-z0-9_.:-]"
		}
	}
	if k == "." || strings.Contains(k, "..") {
		return cacheKey{}, "cache key must not contain '..' or be '.'"
	}
	ck := cacheKey{key: k, namespace: DefaultNamespace}
	for _, p := range [...]string{"ns", "nsapi"} {
		if !strings.HasPrefix(k, p+":") {
			continue
		}
		rest := k[len(p)+1:]
		i := strings.IndexByte(rest, ':')
		if i < 0 || !ValidNamespace(rest[:i]) || i == len(rest)-1 {
			return cacheKey{}, "a key starting " + p + ": must be " + p + ":{namespace}:{rest}"
		}
		ck.prefix, ck.namespace = p, rest[:i]
	}
	return ck, ""
}

func keyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '.' || c == ':' || c == '-'
}

// ValidNamespace reports whether s is a namespace name: 1–64 characters of
// [A-Za-z0-9_-].
func ValidNamespace(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
