// Package cachekitio is the CacheKit HTTP API backend: a core.Backend that
// stores values in the managed cachekit.io service, or in a self-hosted
// reference server (module github.com/cachekit-io/cachekit-go/server), over
// HTTPS with HTTP/2 where the server offers it.
//
// # Endpoints
//
// Get, Set, Delete and Exists map to GET, PUT, DELETE and HEAD on
// /v1/cache/{key}; TTL and Expire to GET and PATCH on /v1/cache/{key}/ttl
// (a null ttl is core.NoExpiry); Lock and Unlock to POST and DELETE on
// /v1/cache/{key}/lock, with the lock id in the X-CacheKit-Lock-Id header,
// never in the URL, and contention read from a null lock_id, never from the
// status; Health to GET /v1/cache/health.
//
// # Keys
//
// The key is one path segment: RFC 3986 unreserved characters raw, every
// other byte %HH with uppercase hex (url.PathEscape is not used: it leaves
// ':' and other sub-delimiters raw). Before any request, every keyed call
// checks the key against the service's rules and fails with a *core.Error of
// core.KindInvalidInput, naming the broken rule, for a key the service would
// answer 400 or that the path encoding reserves: the keys "", ".", "..",
// "health", "ttl" and "lock"; keys outside 1–400 characters of
// [A-Za-z0-9_.:-]; keys containing ".."; and "ns:"/"nsapi:" keys not of the
// form {prefix}:{namespace}:{rest} (namespace: 1–64 characters of
// [A-Za-z0-9_-]; rest non-empty). ValidateKey runs the same check.
//
// # Freshness
//
// A hit's core.Freshness comes from the response: Stale unless
// X-CacheKit-Freshness is absent or exactly "fresh"; FreshFor from
// X-CacheKit-Fresh-For when it is 1–7 ASCII digits and at most 2,592,000
// (anything else is 0). Without X-CacheKit-Fresh-For, Freshness.Known is
// false: no server-side bound applies and an upper tier keeps its own TTL.
// core.Freshness.Bound then gives an upper tier min(local TTL, fresh_for),
// and no copy at all for a stale or exhausted entry.
//
// # TTLs
//
// Set sends X-CacheKit-TTL in whole seconds (sub-second rounded up, more than
// 30 days rejected); core.NoExpiry sends none, which stores the entry without
// expiry. WithStaleTTL adds X-CacheKit-Stale-TTL to writes with a TTL. The
// deprecated X-TTL header is never sent.
//
// # Headers
//
// Every request carries Authorization: Bearer, X-CacheKit-L1-Status (from
// ContextWithL1Status; else, under a composition (compose), what its upper
// tier did: "miss" when the L1 did not answer the request — a read it did
// not hold, or a write or delete going through both tiers — and "hit" when
// it held a stale copy being revalidated; else WithL1Status; else
// "disabled", the value for a stack without an L1), and the process's
// X-CacheKit-Session-ID (a random UUID) and X-CacheKit-Session-Start (ms
// since the epoch); the metrics headers ride along at most once a second:
// X-CacheKit-L2-Hits and X-CacheKit-Misses are the backend's own counts
// (stale hits included), and, under a composition, X-CacheKit-L1-Hits is
// the L1's hit count and X-CacheKit-L1-Hit-Rate L1 hits over all three
// (WithMetrics replaces all four).
//
// # Errors
//
// Errors are *core.Error: 401 and 403 are core.KindAuth; 408, 429 and 5xx
// core.KindTransient (retried, for idempotent calls, up to WithMaxRetries
// times with jittered backoff); 413 core.KindPayloadTooLarge ("value too
// large"); 400 core.KindInvalidInput; other 4xx core.KindPermanent. A 404 is
// a miss for Get, Exists and TTL. Redirects are never followed. The API key
// never appears in an error, a log record, or any fmt or slog rendering of
// the Backend.
//
// # Endpoint safety
//
// The API URL must be HTTPS. Its host must be api.cachekit.io or
// api.staging.cachekit.io unless CACHEKIT_ALLOW_CUSTOM_HOST=true (or
// WithAllowCustomHost); literal loopback, private, link-local, unspecified,
// carrier-grade-NAT and IPv4-mapped addresses, numeric host forms and
// localhost are always rejected, and connections to the API host are refused
// at dial time when its name resolves to such an address. For tests and
// self-hosted servers on a private network, WithInsecureCustomEndpoint
// switches those checks off explicitly, and WithRootCAs trusts a private CA.
//
// # Configuration
//
// New reads CACHEKIT_API_KEY, CACHEKIT_API_URL (default
// https://api.cachekit.io), CACHEKIT_TIMEOUT (seconds per attempt, default
// 5), CACHEKIT_MAX_RETRIES (default 3), CACHEKIT_CONNECTION_POOL_SIZE
// (default 10) and CACHEKIT_ALLOW_CUSTOM_HOST through core.ConfigFromLookup,
// whose rules on empty values, trimming and bounds every module shares;
// options override them.
package cachekitio
