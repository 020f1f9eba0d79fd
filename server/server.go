package server

import (
	"context"
	"encoding/json"
	"errors"
	"hash/maphash"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// Limits of the API.
const (
	// MaxTTLSeconds is the largest TTL, and the cap on TTL + stale TTL.
	MaxTTLSeconds = 2_592_000
	// MaxStaleTTLSeconds is the largest stale-grace window on its own.
	MaxStaleTTLSeconds = MaxTTLSeconds - 1
	// DefaultMaxValueBytes is the largest value a PUT may store (25 MB).
	DefaultMaxValueBytes = 25 << 20
	// DefaultLockTimeout is the lease of a lock requested without timeout_ms.
	DefaultLockTimeout = 5 * time.Second
	// MaxLockTimeout is the longest lock lease a client may ask for.
	MaxLockTimeout = time.Hour
	// maxJSONBody bounds the JSON bodies of the lock and ttl endpoints.
	maxJSONBody = 4 << 10
)

// LivenessPath answers 200 without authentication, for container and load
// balancer probes. It is outside /v1/cache/ and touches no data.
const LivenessPath = "/livez"

// Header names of the API.
const (
	HeaderTTL         = "X-CacheKit-TTL"
	HeaderLegacyTTL   = "X-TTL"
	HeaderStaleTTL    = "X-CacheKit-Stale-TTL"
	HeaderFreshness   = "X-CacheKit-Freshness"
	HeaderFreshFor    = "X-CacheKit-Fresh-For"
	HeaderL1Status    = "X-CacheKit-L1-Status"
	HeaderLockID      = "X-CacheKit-Lock-Id"
	HeaderStoreSource = "X-CacheKit-Store-Source"
)

// Config configures a Server.
type Config struct {
	// Storage holds the entries (required). Any core.Backend works: the
	// server keeps its metadata inside the stored value. Storage keys are
	// the cache key prefixed with the tenant.
	Storage core.Backend
	// Keys authenticates API keys (required).
	Keys KeyStore
	// Logger receives one structured record per request (never a secret).
	// Nil discards logs.
	Logger *slog.Logger
	// Now is the server's clock; nil means time.Now. Tests inject one.
	Now func() time.Time
	// MaxValueBytes is the largest value a PUT may store; 0 means
	// DefaultMaxValueBytes.
	MaxValueBytes int64
	// LocalLocks keeps lock leases in this process even when Storage
	// implements core.Locker. By default a Storage that implements
	// core.Locker (Redis) holds the leases, so that several server replicas
	// share them.
	LocalLocks bool
	// ExposeEntryCount makes the health endpoint report the store's total
	// entry count (all tenants) as cache_entries. Off by default, since it
	// tells one tenant about the others; cache_entries is then 0.
	ExposeEntryCount bool
	// CORSOrigins is the closed allowlist of browser origins
	// ("https://app.example.com") that get Access-Control-* headers. Empty
	// (the default): no response carries any. OPTIONS is answered 204 before
	// authentication either way.
	CORSOrigins []string
	// RateLimit is each tenant's sustained request rate, in requests a
	// second, enforced with a token bucket after authentication: a request
	// beyond it is answered 429 with Retry-After. 0 (the default) is off.
	RateLimit float64
	// RateBurst is the token bucket's size; 0 means RateLimit rounded up
	// (at least 1).
	RateBurst int
	// EdgeCacheBytes turns on the edge tier, an in-process cache of entries
	// in front of Storage bounded to about this many bytes, that re-serves
	// GET and HEAD answers within EdgeBudget (see the package doc). 0 (the
	// default) is off.
	EdgeCacheBytes int64
	// EdgeBudget is how long an edge copy may be served after it was read
	// from or written to the store: 0 means DefaultEdgeBudget; at most
	// MaxEdgeBudget.
	EdgeBudget time.Duration
	// EdgeStorePreSignal tells the edge tier that the store below does not
	// emit X-CacheKit-Fresh-For (a pre-signal store), so that a missing
	// header proves nothing and the tier emits 0 instead of passing the
	// absence through. This server's own stores signal; set it to model a
	// pre-signal deployment, where it makes the tier fail closed.
	EdgeStorePreSignal bool
	// LockQuota is how many live lock leases one tenant may hold at once;
	// a lock request beyond it is answered 429 with Retry-After. 0 means
	// DefaultLockQuota; negative means no quota.
	LockQuota int
	// LockMemoryBytes bounds the estimated memory of all tenants' live
	// lock leases (about 160 bytes plus the key each); a lock request
	// beyond it is answered 503 with Retry-After. 0 means
	// DefaultLockMemoryBytes; negative means no bound.
	LockMemoryBytes int64
	// MaxBodyBytesInFlight bounds the bytes of PUT bodies being received
	// and stored at once, all tenants together: a PUT reserves its
	// Content-Length (MaxValueBytes for a body of unknown length) before
	// reading it, waits up to BodyWait for room, and is answered 503 with
	// Retry-After if none comes. Bodies over 64 KiB leave 1 MiB of the
	// bound to smaller ones, which may also pass them in the queue. 0 means
	// DefaultMaxBodyBytesInFlight; a bound below MaxValueBytes + 1 MiB is
	// raised to it; negative means no bound.
	MaxBodyBytesInFlight int64
	// BodyWait is how long a PUT waits for room under
	// MaxBodyBytesInFlight, and at most for its tenant's upload rate; 0
	// means DefaultBodyWait.
	BodyWait time.Duration
	// UploadBytesPerSecond is each tenant's upload rate: the bytes of PUT
	// bodies one tenant may send a second, beyond a burst of one second's
	// worth. A PUT takes its Content-Length from its tenant's allowance
	// before its body is read and waits for it if need be, at most
	// BodyWait; one that would wait longer is answered 429 with
	// Retry-After, its body unread. A body without Content-Length is
	// counted once read and delays the tenant's next PUT. 0 means
	// DefaultUploadBytesPerSecond; negative means no limit.
	UploadBytesPerSecond int64
}

// Server is the reference CacheKit HTTP API server: an http.Handler for the
// /v1/cache/ API.
//
// The writes of one key (PUT, DELETE, PATCH /ttl) are ordered within a
// Server. PATCH /ttl reads an entry and writes it back with the new
// lifetime, so replicas sharing one store (Redis) can still undo each
// other's PUT or DELETE that lands between the two; run one replica per
// store where that matters.
type Server struct {
	store      core.Backend
	keys       KeyStore
	log        *slog.Logger
	now        func() time.Time
	maxValue   int64
	locks      *lockTable
	locker     core.Locker
	entryCount bool
	cors       *corsPolicy
	limiter    *rateLimiter
	edge       *edgeTier
	bodies     *byteSem    // nil: no bound on bodies in flight
	uploads    *uploadRate // nil: no per-tenant upload rate
	bodyWait   time.Duration
	// writes orders the writes of a key (hashed) within this process:
	// PATCH /ttl reads an entry and writes it back, and a PUT or DELETE
	// landing in between would otherwise be undone.
	writes    [256]sync.Mutex
	writeSeed maphash.Seed
	// conns holds the open connections WrapListener accepted, by connKey.
	conns sync.Map
	// telemetry holds what SDK sessions report in their headers.
	telemetry telemetry
}

// writeLock returns the lock that orders the writes of skey.
func (s *Server) writeLock(skey string) *sync.Mutex {
	return &s.writes[maphash.String(s.writeSeed, skey)%uint64(len(s.writes))]
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Storage == nil {
		return nil, core.NewError(core.KindConfig, "server.new", "Storage is required", nil)
	}
	if cfg.Keys == nil {
		return nil, core.NewError(core.KindConfig, "server.new", "Keys is required", nil)
	}
	s := &Server{
		writeSeed:  maphash.MakeSeed(),
		store:      cfg.Storage,
		keys:       cfg.Keys,
		log:        cfg.Logger,
		now:        cfg.Now,
		maxValue:   cfg.MaxValueBytes,
		entryCount: cfg.ExposeEntryCount,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxValue <= 0 {
		s.maxValue = DefaultMaxValueBytes
	}
	quota, lockBytes := cfg.LockQuota, cfg.LockMemoryBytes
	if quota == 0 {
		quota = DefaultLockQuota
	}
	if lockBytes == 0 {
		lockBytes = DefaultLockMemoryBytes
	}
	s.locks = newLockTable(s.now, quota, lockBytes)
	if cfg.MaxBodyBytesInFlight >= 0 {
		limit := cfg.MaxBodyBytesInFlight
		if limit == 0 {
			limit = DefaultMaxBodyBytesInFlight
		}
		s.bodies = &byteSem{limit: max(limit, s.maxValue+smallHeadroom)}
	}
	s.bodyWait = cfg.BodyWait
	if s.bodyWait <= 0 {
		s.bodyWait = DefaultBodyWait
	}
	uploadRate := cfg.UploadBytesPerSecond
	if uploadRate == 0 {
		uploadRate = DefaultUploadBytesPerSecond
	}
	s.uploads = newUploadRate(uploadRate, s.now)
	if l, ok := cfg.Storage.(core.Locker); ok && !cfg.LocalLocks {
		s.locker = l
	}
	cors, err := newCORSPolicy(cfg.CORSOrigins)
	if err != nil {
		return nil, err
	}
	s.cors = cors
	if cfg.RateLimit < 0 || cfg.RateBurst < 0 {
		return nil, core.NewError(core.KindConfig, "server.new", "RateLimit and RateBurst must not be negative", nil)
	}
	s.limiter = newRateLimiter(cfg.RateLimit, cfg.RateBurst, s.now)
	if cfg.EdgeCacheBytes < 0 || cfg.EdgeBudget < 0 || cfg.EdgeBudget > MaxEdgeBudget {
		return nil, core.NewError(core.KindConfig, "server.new", "EdgeCacheBytes must not be negative and EdgeBudget must be at most 300 s", nil)
	}
	if cfg.EdgeCacheBytes > 0 {
		budget := cfg.EdgeBudget
		if budget == 0 {
			budget = DefaultEdgeBudget
		}
		s.edge = newEdgeTier(cfg.EdgeCacheBytes, budget, !cfg.EdgeStorePreSignal)
	}
	return s, nil
}

// request is one request's state as it moves through the checks.
type request struct {
	w      *statusWriter
	r      *http.Request
	p      Principal
	route  routeKind
	key    cacheKey
	skey   string // storage key: tenant-scoped
	now    time.Time
	tenant string
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	defer s.dispatch(sw, r)()
	// API-2: on every response, whatever path it takes.
	h := sw.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Authorization")
	s.cors.apply(h, r, r.Method == http.MethodOptions)
	req := &request{w: sw, r: r}
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic serving request", "method", r.Method, "panic", v)
			if sw.status == 0 {
				writeError(sw, http.StatusInternalServerError, "internal error")
			}
		}
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelWarn
		}
		s.log.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method),
			slog.String("route", req.route.String()),
			slog.Int("status", sw.status),
			slog.String("tenant", req.tenant),
			slog.Int("key_len", len(req.key.key)),
			slog.Int64("bytes_out", sw.bytes),
			slog.Duration("duration", time.Since(start)),
		)
	}()
	s.serve(req)
}

func (s *Server) serve(q *request) {
	w, r := q.w, q.r
	// CORS preflight: before authentication, on any path.
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	raw, ok := rawRequestPath(r.RequestURI)
	if ok && raw == LivenessPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
		return
	}
	if !ok || !strings.HasPrefix(raw, "/v1/cache") {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	// Authentication precedes every other check.
	p, status, msg := s.authenticate(r)
	if status != 0 {
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cachekit"`)
		}
		writeError(w, status, msg)
		return
	}
	q.p, q.tenant = p, p.Tenant
	s.telemetry.record(p.Tenant, r.Header)
	if s.limiter != nil {
		if ok, wait := s.limiter.allow(p.Tenant); !ok {
			w.Header().Set("Retry-After", strconv.FormatInt(wait, 10))
			writeError(w, http.StatusTooManyRequests, "rate limit exceeded")
			return
		}
	}
	if p.Class == ClassSDK {
		if v := r.Header.Values(HeaderL1Status); len(v) != 1 || (v[0] != "hit" && v[0] != "miss" && v[0] != "disabled") {
			writeError(w, http.StatusBadRequest, "ck_sdk_ keys must send X-CacheKit-L1-Status: hit, miss or disabled")
			return
		}
	}
	kind, seg := route(raw)
	q.route = kind
	if kind == routeNotFound {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	if !methodAllowed(kind, r.Method) {
		w.Header().Set("Allow", kind.allow())
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if kind == routeHealth {
		s.health(q)
		return
	}
	ck, bad := decodeKey(seg)
	if bad != "" {
		writeError(w, http.StatusBadRequest, bad)
		return
	}
	q.key = ck
	if !p.allows(ck.namespace) {
		writeError(w, http.StatusForbidden, "API key has no grant for namespace "+ck.namespace)
		return
	}
	if isMutation(kind, r.Method) && !p.Class.mayMutate(ck.prefix) {
		writeError(w, http.StatusForbidden, p.Class.String()+" keys may not mutate "+ck.prefix+": keys")
		return
	}
	q.skey = storageKey(p.Tenant, ck.key)
	q.now = s.now()
	switch kind {
	case routeEntry:
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			s.get(q)
		case http.MethodPut:
			s.put(q)
		case http.MethodDelete:
			s.delete(q)
		}
	case routeTTL:
		if r.Method == http.MethodGet {
			s.getTTL(q)
		} else {
			s.patchTTL(q)
		}
	case routeLock:
		if r.Method == http.MethodPost {
			s.lock(q)
		} else {
			s.unlock(q)
		}
	}
}

// storageKey scopes a cache key to its tenant. Tenant ids contain no ':',
// so the mapping is injective.
func storageKey(tenant, key string) string {
	return "t:" + tenant + ":" + key
}

// lockStoreKey is the key a store's locks (core.Locker) get for the value
// key skey: outside the "t:" space of values, so that no value key can
// name a lock. (A store may keep a lock next to its key, as backend/redis
// keeps "{key}:lock": under skey itself the lock of "job" and the value of
// "job:lock" would be one Redis key.)
func lockStoreKey(skey string) string { return "lock:" + skey }

func methodAllowed(k routeKind, m string) bool {
	switch k {
	case routeEntry:
		return m == http.MethodGet || m == http.MethodHead || m == http.MethodPut || m == http.MethodDelete
	case routeTTL:
		return m == http.MethodGet || m == http.MethodPatch
	case routeLock:
		return m == http.MethodPost || m == http.MethodDelete
	case routeHealth:
		return m == http.MethodGet
	}
	return false
}

// isMutation: PUT, DELETE, lock and TTL refresh are writes.
func isMutation(k routeKind, m string) bool {
	switch k {
	case routeEntry:
		return m == http.MethodPut || m == http.MethodDelete
	case routeTTL:
		return m == http.MethodPatch
	case routeLock:
		return true
	}
	return false
}

// authenticate returns the principal, or a status (401/503) and message.
func (s *Server) authenticate(r *http.Request) (Principal, int, string) {
	vals := r.Header.Values("Authorization")
	if len(vals) != 1 {
		return Principal{}, http.StatusUnauthorized, "missing or malformed Authorization header"
	}
	scheme, token, ok := strings.Cut(vals[0], " ")
	token = strings.TrimLeft(token, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return Principal{}, http.StatusUnauthorized, "missing or malformed Authorization header"
	}
	if _, ok := ClassOf(token); !ok {
		return Principal{}, http.StatusUnauthorized, "invalid API key"
	}
	p, found, err := s.keys.Lookup(r.Context(), token)
	if err != nil {
		s.log.Warn("key store fault", "error", err.Error())
		return Principal{}, http.StatusServiceUnavailable, "key store unavailable"
	}
	if !found {
		return Principal{}, http.StatusUnauthorized, "invalid API key"
	}
	return p, 0, ""
}

// storeError answers a storage failure: 503 (with Retry-After) for a
// transient fault, 413 for a value the store cannot hold (permanent: an SDK
// must not retry it), 500 otherwise.
func (s *Server) storeError(q *request, op string, err error) {
	kind := core.KindOf(err)
	s.log.Warn("storage error", "op", op, "kind", kind.String(), "error", err.Error())
	if kind == core.KindPayloadTooLarge {
		writeError(q.w, http.StatusRequestEntityTooLarge, "value too large for this server's storage")
		return
	}
	if kind.Retryable() || kind == core.KindCircuitOpen || kind == core.KindUnknown && errors.Is(err, context.DeadlineExceeded) {
		q.w.Header().Set("Retry-After", "1")
		writeError(q.w, http.StatusServiceUnavailable, "storage temporarily unavailable")
		return
	}
	writeError(q.w, http.StatusInternalServerError, "storage failure")
}

// load reads and decodes the entry, treating one past evict_at as absent.
func (s *Server) load(q *request) (m entryMeta, value []byte, found bool, err error) {
	e, found, err := s.store.Get(q.r.Context(), q.skey)
	if err != nil || !found {
		return entryMeta{}, nil, false, err
	}
	m, value, err = decodeEntry(e.Value)
	if err != nil {
		return entryMeta{}, nil, false, core.NewError(core.KindSerialization, "server.load", "", err)
	}
	if m.expired(q.now) { // API-52: never serve past evict_at
		return entryMeta{}, nil, false, nil
	}
	return m, value, true, nil
}

func (s *Server) get(q *request) {
	head := q.r.Method == http.MethodHead
	var seq uint64
	if s.edge != nil {
		if a, ok := s.edge.serve(q.skey, q.now, head); ok {
			writeRead(q, a)
			return
		}
		seq = s.edge.seqOf(q.skey)
	}
	a, err := s.storeRead(q)
	if err != nil {
		s.storeError(q, "get", err)
		return
	}
	if s.edge != nil {
		var c *edgeCopy
		a, c = s.edge.fromStore(q.skey, a, q.now, head)
		if c != nil {
			s.edge.install(c, seq, true)
		}
	}
	writeRead(q, a)
}

// storeRead is the store's answer to a GET (or HEAD) of q's key: the
// freshness label on every hit, Fresh-For on a bounded entry (0 once stale,
// API-50/52), none on a no-expiry entry.
func (s *Server) storeRead(q *request) (readAnswer, error) {
	m, value, found, err := s.load(q)
	if err != nil || !found {
		return readAnswer{source: sourceStore}, err
	}
	a := readAnswer{found: true, value: value, label: "fresh", labelled: true, source: sourceStore}
	stale := m.stale(q.now)
	if stale {
		a.label = "stale"
	}
	if m.bounded {
		a.hasFreshFor = true
		if !stale {
			a.freshFor = m.freshFor(q.now)
		}
	}
	return a, nil
}

// writeRead writes a GET or HEAD answer.
func writeRead(q *request, a readAnswer) {
	h := q.w.Header()
	h.Set(HeaderStoreSource, a.source)
	if a.hasAge {
		h.Set("Age", strconv.FormatInt(a.age, 10))
	}
	if !a.found {
		writeError(q.w, http.StatusNotFound, "not found")
		return
	}
	if a.labelled {
		h.Set(HeaderFreshness, a.label)
	}
	h.Set("Content-Type", "application/octet-stream")
	if q.r.Method == http.MethodHead {
		// API-47: GET's status, no body; no Fresh-For on HEAD.
		q.w.WriteHeader(http.StatusOK)
		return
	}
	if a.hasFreshFor {
		h.Set(HeaderFreshFor, strconv.FormatInt(a.freshFor, 10))
	}
	h.Set("Content-Length", strconv.Itoa(len(a.value)))
	q.w.WriteHeader(http.StatusOK)
	_, _ = q.w.Write(a.value)
}

// parseSeconds reads a seconds header: absent, or exactly one value of
// ASCII digits no larger than max.
func parseSeconds(h http.Header, name string, max int64) (n int64, present, ok bool) {
	vals := h.Values(name)
	if len(vals) == 0 {
		return 0, false, true
	}
	if len(vals) > 1 {
		return 0, true, false
	}
	n, ok = parseDigits(vals[0], max)
	return n, true, ok
}

// parseDigits accepts 1–18 ASCII digits whose value is at most max.
func parseDigits(v string, max int64) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n <= max
}

func (s *Server) put(q *request) {
	r := q.r
	// Effective TTL: X-CacheKit-TTL, else legacy X-TTL (API-43).
	ttlHeader := HeaderTTL
	if len(r.Header.Values(HeaderTTL)) == 0 {
		ttlHeader = HeaderLegacyTTL
	}
	ttl, hasTTL, ok := parseSeconds(r.Header, ttlHeader, MaxTTLSeconds)
	if !ok || hasTTL && ttl == 0 {
		writeError(q.w, http.StatusBadRequest, "TTL must be an integer from 1 to 2592000")
		return
	}
	stale, hasStale, ok := parseSeconds(r.Header, HeaderStaleTTL, MaxStaleTTLSeconds)
	if !ok {
		writeError(q.w, http.StatusBadRequest, "X-CacheKit-Stale-TTL must be an integer from 0 to 2591999")
		return
	}
	if hasStale && !hasTTL {
		writeError(q.w, http.StatusBadRequest, "X-CacheKit-Stale-TTL requires an explicit TTL")
		return
	}
	if ttl+stale > MaxTTLSeconds {
		writeError(q.w, http.StatusBadRequest, "TTL plus stale TTL exceeds 2592000")
		return
	}
	if r.ContentLength > s.maxValue {
		writeError(q.w, http.StatusRequestEntityTooLarge, "value too large")
		return
	}
	// The tenant's upload rate, before its body is read or holds any of
	// the bound below: one tenant's large values cannot take the CPU.
	if s.uploads != nil {
		wait, retry, ok := s.uploads.reserve(q.tenant, max(r.ContentLength, 0), s.bodyWait)
		if !ok {
			q.w.Header().Set("Retry-After", strconv.FormatInt(retry, 10))
			writeError(q.w, http.StatusTooManyRequests, "upload rate exceeded")
			return
		}
		if !sleepCtx(r.Context(), wait) {
			q.w.Header().Set("Retry-After", "1")
			writeError(q.w, http.StatusServiceUnavailable, "request canceled")
			return
		}
	}
	// Reserve the body's bytes before reading it: many concurrent large
	// uploads wait, then are turned away, instead of growing the process.
	reserve := s.maxValue
	if r.ContentLength >= 0 {
		reserve = r.ContentLength
	}
	if s.bodies != nil {
		if !s.bodies.acquire(r.Context(), reserve, s.bodyWait) {
			q.w.Header().Set("Retry-After", "1")
			writeError(q.w, http.StatusServiceUnavailable, "too many uploads in progress")
			return
		}
		defer s.bodies.release(reserve)
	}
	stored, err := readBody(q.w, r, s.maxValue)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(q.w, http.StatusRequestEntityTooLarge, "value too large")
			return
		}
		writeError(q.w, http.StatusBadRequest, "could not read request body")
		return
	}
	if s.uploads != nil && r.ContentLength < 0 {
		s.uploads.charge(q.tenant, int64(len(stored)-entryHeaderSize))
	}
	// Stamp from floor(stored_at) (API-50), after the body has arrived.
	now := s.now()
	m := entryMeta{}
	if hasTTL {
		m = entryMeta{bounded: true, freshUntil: now.Unix() + ttl, staleTTL: stale}
	}
	wl := s.writeLock(q.skey)
	wl.Lock()
	body := stored[entryHeaderSize:]
	err = s.store.Set(r.Context(), q.skey, putEntryHeader(m, stored), m.storageTTL(now))
	wl.Unlock()
	if err != nil {
		if s.edge != nil {
			s.edge.invalidate(q.skey, nil) // the store may or may not hold the write
		}
		s.storeError(q, "put", err)
		return
	}
	if s.edge != nil {
		// Populate from the accepted write, its bound measured from the
		// dispatch (API-20, API-22: the effective TTL).
		s.edge.invalidate(q.skey, writeCopy(q.skey, body, hasTTL, ttl, now))
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"success": true})
}

func (s *Server) delete(q *request) {
	wl := s.writeLock(q.skey)
	wl.Lock()
	err := s.store.Delete(q.r.Context(), q.skey)
	wl.Unlock()
	if s.edge != nil {
		s.edge.invalidate(q.skey, nil)
	}
	if err != nil {
		s.storeError(q, "delete", err)
		return
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"success": true})
}

func (s *Server) getTTL(q *request) {
	m, _, found, err := s.load(q)
	if err != nil {
		s.storeError(q, "ttl", err)
		return
	}
	if !found {
		writeError(q.w, http.StatusNotFound, "not found")
		return
	}
	if !m.bounded {
		writeJSON(q.w, http.StatusOK, map[string]any{"ttl": nil})
		return
	}
	// evict_at − floor(now): rounded up, never 0 for a present key.
	writeJSON(q.w, http.StatusOK, map[string]any{"ttl": m.evictAt() - q.now.Unix()})
}

// readBody reads a PUT body of at most limit bytes into a buffer with room
// for the entry header in front (entryHeaderSize bytes, then the body): of
// exactly that size when the body has a Content-Length (so that it takes
// no more than the bytes reserved for it, and the stored entry needs no
// copy), else through a MaxBytesReader.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength < 0 {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			return nil, err
		}
		return encodeEntry(entryMeta{}, b), nil
	}
	b := make([]byte, entryHeaderSize+r.ContentLength)
	if _, err := io.ReadFull(r.Body, b[entryHeaderSize:]); err != nil {
		return nil, err
	}
	return b, nil
}

// readJSON decodes a small JSON object body into v. An empty body leaves v
// unchanged.
func readJSON(q *request, v any) bool {
	b, err := io.ReadAll(http.MaxBytesReader(q.w, q.r.Body, maxJSONBody))
	if err != nil {
		writeError(q.w, http.StatusBadRequest, "could not read request body")
		return false
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return true
	}
	if err := json.Unmarshal(b, v); err != nil {
		writeError(q.w, http.StatusBadRequest, "body must be a JSON object")
		return false
	}
	return true
}

func (s *Server) patchTTL(q *request) {
	var body struct {
		TTL json.RawMessage `json:"ttl"`
	}
	if !readJSON(q, &body) {
		return
	}
	ttl, ok := parseDigits(string(body.TTL), MaxTTLSeconds)
	if !ok || ttl == 0 {
		writeError(q.w, http.StatusBadRequest, "ttl must be an integer from 1 to 2592000")
		return
	}
	if s.edge != nil {
		// The copy's bound may not hold any more, whatever the outcome.
		s.edge.invalidate(q.skey, nil)
	}
	// Read and write back under the key's write lock: a PUT or DELETE of
	// this process cannot land in between (other replicas can; see Server).
	wl := s.writeLock(q.skey)
	wl.Lock()
	defer wl.Unlock()
	e, found, err := s.store.Get(q.r.Context(), q.skey)
	if err != nil {
		s.storeError(q, "patch_ttl", err)
		return
	}
	var m entryMeta
	var value []byte
	if found {
		if m, value, err = decodeEntry(e.Value); err != nil {
			s.storeError(q, "patch_ttl", core.NewError(core.KindSerialization, "server.patch_ttl", "", err))
			return
		}
	}
	now := s.now()
	if !found || m.expired(now) {
		// A no-op on an absent key: never 404.
		writeJSON(q.w, http.StatusOK, map[string]any{"success": true, "updated": false})
		return
	}
	if m.stale(now) { // API-56
		writeError(q.w, http.StatusConflict, "entry is past fresh_until; refresh it with a PUT")
		return
	}
	if ttl+m.staleTTL > MaxTTLSeconds {
		writeError(q.w, http.StatusBadRequest, "ttl plus the stored stale window exceeds 2592000")
		return
	}
	// API-51: stamp from floor(now); the stale window is kept.
	m = entryMeta{bounded: true, freshUntil: now.Unix() + ttl, staleTTL: m.staleTTL}
	err = s.store.Set(q.r.Context(), q.skey, encodeEntry(m, value), m.storageTTL(now))
	if s.edge != nil {
		s.edge.invalidate(q.skey, nil) // and any copy read meanwhile
	}
	if err != nil {
		s.storeError(q, "patch_ttl", err)
		return
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"success": true, "updated": true})
}

func (s *Server) lock(q *request) {
	var body struct {
		TimeoutMS json.RawMessage `json:"timeout_ms"`
	}
	if !readJSON(q, &body) {
		return
	}
	lease := DefaultLockTimeout
	if body.TimeoutMS != nil && string(body.TimeoutMS) != "null" {
		ms, ok := parseDigits(string(body.TimeoutMS), int64(MaxLockTimeout/time.Millisecond))
		if !ok || ms == 0 {
			writeError(q.w, http.StatusBadRequest, "timeout_ms must be an integer from 1 to 3600000")
			return
		}
		lease = time.Duration(ms) * time.Millisecond
	}
	var id string
	res := lockContended
	if s.locker != nil {
		if res = s.locks.admit(q.tenant, q.skey); res == admitted {
			var acquired bool
			var err error
			id, acquired, err = s.locker.Lock(q.r.Context(), lockStoreKey(q.skey), lease)
			if err != nil {
				s.storeError(q, "lock", err)
				return
			}
			if acquired {
				s.locks.track(q.tenant, q.skey, id, lease)
			} else {
				res = lockContended
			}
		}
	} else {
		id, res = s.locks.acquire(q.tenant, q.skey, lease)
	}
	switch res {
	case overQuota:
		q.w.Header().Set("Retry-After", "1")
		writeError(q.w, http.StatusTooManyRequests, "lock quota exceeded: this tenant holds too many live locks")
		return
	case overMemory:
		q.w.Header().Set("Retry-After", "1")
		writeError(q.w, http.StatusServiceUnavailable, "lock table full")
		return
	case lockContended:
		// Contention is 200 with a null lock_id, never another status.
		writeJSON(q.w, http.StatusOK, map[string]any{"lock_id": nil})
		return
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"lock_id": id})
}

func (s *Server) unlock(q *request) {
	// The header wins over the deprecated query parameter (API-68).
	id := strings.TrimSpace(q.r.Header.Get(HeaderLockID))
	if id == "" {
		id = strings.TrimSpace(q.r.URL.Query().Get("lock_id"))
	}
	if id == "" {
		writeError(q.w, http.StatusBadRequest, "X-CacheKit-Lock-Id header is required")
		return
	}
	var released bool
	if s.locker != nil {
		var err error
		released, err = s.locker.Unlock(q.r.Context(), lockStoreKey(q.skey), id)
		if err != nil {
			s.storeError(q, "unlock", err)
			return
		}
		s.locks.release(q.tenant, q.skey, id)
	} else {
		released = s.locks.release(q.tenant, q.skey, id)
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"success": true, "released": released})
}

func (s *Server) health(q *request) {
	if err := s.store.Health(q.r.Context()); err != nil {
		s.log.Warn("storage health check failed", "error", err.Error())
		q.w.Header().Set("Retry-After", "1")
		writeJSON(q.w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable"})
		return
	}
	var entries int64
	if sr, ok := s.store.(core.StatsReporter); ok && s.entryCount {
		for _, t := range sr.Stats() {
			entries += t.Entries
		}
	}
	writeJSON(q.w, http.StatusOK, map[string]any{
		"status":        "ok",
		"cache_entries": entries,
		"active_locks":  s.locks.active(q.p.Tenant),
	})
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": msg})
}
