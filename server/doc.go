// Package server is the reference CacheKit HTTP API server: the server side
// of the protocol's SaaS API (spec/saas-api.md), self-hostable and the
// server the SDK's own tests run against over real HTTP(S).
//
// A Server is an http.Handler for /v1/cache/. It authenticates every request
// first (401; a key-store fault is 503), except OPTIONS, which is answered
// 204 on any path. Three key classes exist: ck_sdk_ keys (which must send
// X-CacheKit-L1-Status and may not mutate nsapi: keys), ck_api_ keys (which
// may not mutate ns: keys) and legacy ck_live_ keys; namespace grants gate
// reads and writes. Tenancy comes only from the API key: storage keys are
// the cache key prefixed with the key's tenant, so tenants never share data
// or locks.
//
// The request path is parsed as a WHATWG URL parser would (dot segments, in
// any encoding, are removed; a raw backslash separates segments), split on
// raw "/", and the key segment is percent-decoded exactly once and then
// validated (1–400 characters of [A-Za-z0-9_.:-], no "..", well-formed ns:
// and nsapi: prefixes): anything else is 400. Only the routes {key},
// {key}/ttl, {key}/lock and health exist; other methods get 405 with Allow.
//
// Writes are stamped in whole seconds: fresh_until = floor(stored_at) + ttl
// and evict_at = fresh_until + stale_ttl. Reads label the entry fresh or
// stale (X-CacheKit-Freshness) and say how long it stays fresh
// (X-CacheKit-Fresh-For, floored; 0 when stale; omitted for entries without
// expiry), and nothing is served from evict_at on. GET /ttl answers the
// seconds to eviction rounded up, or null; PATCH /ttl renews a fresh entry
// (409 once stale, a no-op 200 when absent). Locks are leases of timeout_ms.
// Values are limited to 25 MB (413). Every response carries
// Cache-Control: no-store and Vary: Authorization.
//
// Entries live in any core.Backend (bigcache in process, Redis, …): the
// server keeps its timing metadata in a 17-byte header in front of the
// stored value. When the store implements core.Locker (Redis), it holds the
// lock leases too, so several server replicas can share one store.
//
// Optional, all off by default (Config): CORS headers for a closed
// allowlist of browser origins, which may send Authorization and
// Content-Type but no X-CacheKit-* header and read no X-CacheKit-* response
// header; a per-tenant token-bucket rate limit, answered 429 with
// Retry-After after authentication; and an edge tier, an in-process cache
// in front of the store that re-serves GET and HEAD answers for a budget
// (5 s by default, at most 300 s) with X-CacheKit-Store-Source: edge and
// Age. The edge tier is partitioned by tenant, never holds not-found or
// stale answers, drops its copy on every PUT, DELETE and PATCH /ttl through
// the server, and emits X-CacheKit-Fresh-For by the re-serving tier rules
// (API-19..27): the copy's bound decayed, never re-stamped; omitted only for
// a copy known to have no expiry; 0 for anything it cannot bound.
//
// The command cachekit-server (cmd/cachekit-server) runs a Server with its
// configuration from flags and environment variables; see its
// documentation and README.md, which lists every requirement implemented
// with the test that proves it.
package server
