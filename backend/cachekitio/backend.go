package cachekitio

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/google/uuid"
)

// Header names of the API.
const (
	hdrTTL         = "X-Cachekit-Ttl"
	hdrStaleTTL    = "X-Cachekit-Stale-Ttl"
	hdrFreshness   = "X-Cachekit-Freshness"
	hdrFreshFor    = "X-Cachekit-Fresh-For"
	hdrL1Status    = "X-Cachekit-L1-Status"
	hdrLockID      = "X-Cachekit-Lock-Id"
	hdrSessionID   = "X-Cachekit-Session-Id"
	hdrSessionTime = "X-Cachekit-Session-Start"
	hdrL1Hits      = "X-Cachekit-L1-Hits"
	hdrL2Hits      = "X-Cachekit-L2-Hits"
	hdrMisses      = "X-Cachekit-Misses"
	hdrL1HitRate   = "X-Cachekit-L1-Hit-Rate"
)

// TTL limits of the API.
const (
	maxTTLSeconds   = 2_592_000
	maxStaleSeconds = maxTTLSeconds - 1
	maxJSONResponse = 64 << 10
	// maxErrorDetail bounds how much of a server's error message an error
	// quotes.
	maxErrorDetail = 200
)

// userAgent identifies the SDK.
const userAgent = "cachekit-go"

// The process-scoped session (X-CacheKit-Session-ID, -Session-Start).
var (
	sessionOnce  sync.Once
	sessionID    string
	sessionStart string
)

func session() (string, string) {
	sessionOnce.Do(func() {
		sessionID = uuid.NewString() // random: version 4
		sessionStart = strconv.FormatInt(time.Now().UnixMilli(), 10)
	})
	return sessionID, sessionStart
}

// Backend is a core.Backend over the CacheKit HTTP API (cachekit.io or a
// self-hosted reference server). It also implements core.TTLInspector,
// core.TTLRefresher, core.Locker, core.StatsReporter and io.Closer.
//
// A Backend is safe for concurrent use. Its String, GoString, Format and
// LogValue methods never reveal the API key.
type Backend struct {
	base       url.URL     // scheme and host only
	apiKey     core.Secret // redacted from every message
	auth       core.Secret // "Bearer " + the API key
	transport  *http.Transport
	rt         http.RoundTripper // transport, or WithTransport's
	timeout    time.Duration
	maxRetries int
	backoff    time.Duration
	staleTTL   int64 // seconds; 0: none
	l1Status   func() L1Status
	metrics    func() Metrics
	log        *slog.Logger
	maxResp    int64
	sessionID  []string
	sessionAt  []string
	anyKey     bool // send keys the service rejects (tests of the path encoding)

	metricsAt                         atomic.Int64 // unix ns of the last metrics headers
	lastTTL, lastStale                atomic.Pointer[secondsVal]
	closed                            atomic.Bool
	hits, misses, staleHits, failures atomic.Uint64
}

var (
	_ core.Backend       = (*Backend)(nil)
	_ core.TTLInspector  = (*Backend)(nil)
	_ core.TTLRefresher  = (*Backend)(nil)
	_ core.Locker        = (*Backend)(nil)
	_ core.StatsReporter = (*Backend)(nil)
	_ io.Closer          = (*Backend)(nil)
)

// New returns a Backend configured from the CACHEKIT_* environment
// variables (CACHEKIT_API_KEY, CACHEKIT_API_URL, CACHEKIT_TIMEOUT,
// CACHEKIT_MAX_RETRIES, CACHEKIT_CONNECTION_POOL_SIZE,
// CACHEKIT_ALLOW_CUSTOM_HOST) and then opts, which take precedence. Errors
// are *core.Error of KindConfig.
func New(opts ...Option) (*Backend, error) {
	return newBackend(opts, os.Getenv)
}

func newBackend(opts []Option, getenv func(string) string) (*Backend, error) {
	c, err := newConfig(opts, getenv)
	if err != nil {
		return nil, err
	}
	base, err := validateEndpoint(c.apiURL, c.allowCustom, c.insecure)
	if err != nil {
		return nil, err
	}
	dialer := net.Dialer{Timeout: c.timeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: c.rootCAs},
		TLSHandshakeTimeout:   c.timeout,
		MaxIdleConns:          c.poolSize,
		MaxIdleConnsPerHost:   c.poolSize,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	if !c.insecure {
		g := &guardedDialer{d: dialer, host: strings.ToLower(strings.TrimSuffix(base.Hostname(), "."))}
		tr.DialContext = g.DialContext
	}
	log := c.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	id, at := session()
	b := &Backend{
		base:       *base,
		apiKey:     c.apiKey,
		auth:       core.NewSecret("Bearer " + c.apiKey.Reveal()),
		transport:  tr,
		rt:         c.roundTripper(tr),
		timeout:    c.timeout,
		maxRetries: c.maxRetries,
		backoff:    c.retryBackoff,
		l1Status:   c.l1Status,
		metrics:    c.metrics,
		log:        log,
		maxResp:    c.maxResponse,
		sessionID:  []string{id},
		sessionAt:  []string{at},
		anyKey:     c.anyKey,
	}
	if c.staleTTL > 0 {
		b.staleTTL = ceilSeconds(c.staleTTL)
	}
	return b, nil
}

// String describes the backend without its API key.
func (b *Backend) String() string {
	if b == nil {
		return "cachekitio.Backend(nil)"
	}
	return "cachekitio.Backend{url: " + b.base.String() + ", key: " + redactedText + "}"
}

// GoString is String: %#v must not dump the key either.
func (b *Backend) GoString() string { return b.String() }

// Format implements fmt.Formatter so that every verb (%v, %+v, %#v, %s, …)
// prints String.
func (b *Backend) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, b.String()) }

// LogValue implements slog.LogValuer without the API key.
func (b *Backend) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", b.base.String()), slog.String("key", redactedText))
}

// Get reads key (GET /v1/cache/{key}). A 404 is a miss. The entry's
// Freshness carries X-CacheKit-Freshness (Stale) and X-CacheKit-Fresh-For
// (Known, FreshFor), so that an upper tier bounds its copy by them.
func (b *Backend) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	const op = "cachekitio.get"
	if err := b.checkKey(op, key); err != nil {
		return core.Entry{}, false, err
	}
	r, err := b.do(ctx, call{op: op, method: http.MethodGet, key: key, idempotent: true, maxBody: b.maxResp})
	if err != nil {
		return core.Entry{}, false, err
	}
	switch r.status {
	case http.StatusOK:
		f := freshnessOf(r.header)
		b.hits.Add(1)
		if f.Stale {
			b.staleHits.Add(1)
		}
		return core.Entry{Value: r.body, Freshness: f}, true, nil
	case http.StatusNotFound:
		b.misses.Add(1)
		return core.Entry{}, false, nil
	}
	b.failures.Add(1)
	return core.Entry{}, false, b.unexpected(op, key, r)
}

// secondsValue returns the header value for secs, reusing the last one made
// through slot: applications write with one or a few TTLs, so the common
// case allocates nothing.
func (b *Backend) secondsValue(slot *atomic.Pointer[secondsVal], secs int64) []string {
	if v := slot.Load(); v != nil && v.secs == secs {
		return v.value
	}
	v := &secondsVal{secs: secs, value: []string{strconv.FormatInt(secs, 10)}}
	slot.Store(v)
	return v.value
}

// secondsVal is a TTL in seconds and its header value.
type secondsVal struct {
	secs  int64
	value []string
}

// ttlSeconds validates ttl and returns it in whole seconds, rounded up.
func (b *Backend) ttlSeconds(op, key string, ttl time.Duration) (int64, error) {
	if ttl < 0 {
		return 0, &core.Error{Kind: core.KindInvalidInput, Op: op, Key: key, Msg: "negative TTL"}
	}
	s := ceilSeconds(ttl)
	if s > maxTTLSeconds {
		return 0, &core.Error{Kind: core.KindInvalidInput, Op: op, Key: key, Msg: "TTL exceeds 30 days (2592000 s)"}
	}
	return s, nil
}

// Set stores value under key (PUT /v1/cache/{key}) with X-CacheKit-TTL
// (whole seconds, sub-second rounded up); core.NoExpiry sends no TTL, which
// stores the entry without expiry. With WithStaleTTL, a write with a TTL
// also carries X-CacheKit-Stale-TTL.
func (b *Backend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	const op = "cachekitio.set"
	if err := b.checkKey(op, key); err != nil {
		return err
	}
	secs, err := b.ttlSeconds(op, key, ttl)
	if err != nil {
		return err
	}
	stale := b.staleTTL
	if secs == 0 {
		stale = 0
	} else if secs+stale > maxTTLSeconds {
		return &core.Error{Kind: core.KindInvalidInput, Op: op, Key: key, Msg: "TTL plus stale TTL exceeds 30 days (2592000 s)"}
	}
	c := call{
		op: op, method: http.MethodPut, key: key, body: value, hasBody: true,
		contentType: octetStream, idempotent: true,
	}
	if secs > 0 {
		c.ttl = b.secondsValue(&b.lastTTL, secs)
		if stale > 0 {
			c.staleTTL = b.secondsValue(&b.lastStale, stale)
		}
	}
	r, err := b.do(ctx, c)
	if err != nil {
		return err
	}
	if r.status/100 != 2 {
		b.failures.Add(1)
		return b.unexpected(op, key, r)
	}
	return nil
}

// Delete removes key (DELETE /v1/cache/{key}); deleting a missing key
// succeeds.
func (b *Backend) Delete(ctx context.Context, key string) error {
	const op = "cachekitio.delete"
	if err := b.checkKey(op, key); err != nil {
		return err
	}
	r, err := b.do(ctx, call{op: op, method: http.MethodDelete, key: key, idempotent: true})
	if err != nil {
		return err
	}
	if r.status/100 != 2 && r.status != http.StatusNotFound {
		b.failures.Add(1)
		return b.unexpected(op, key, r)
	}
	return nil
}

// Exists reports whether key holds a value (HEAD /v1/cache/{key}): the
// status is the answer; the freshness label of a HEAD is ignored.
func (b *Backend) Exists(ctx context.Context, key string) (bool, error) {
	const op = "cachekitio.exists"
	if err := b.checkKey(op, key); err != nil {
		return false, err
	}
	r, err := b.do(ctx, call{op: op, method: http.MethodHead, key: key, idempotent: true})
	if err != nil {
		return false, err
	}
	switch r.status {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	b.failures.Add(1)
	return false, b.unexpected(op, key, r)
}

// Health checks the API (GET /v1/cache/health): it must answer 200 with
// {"status": "ok"}.
func (b *Backend) Health(ctx context.Context) error {
	const op = "cachekitio.health"
	r, err := b.do(ctx, call{op: op, method: http.MethodGet, sub: "health", idempotent: true})
	if err != nil {
		return err
	}
	if r.status != http.StatusOK {
		return b.unexpected(op, "", r)
	}
	var h struct {
		Status string `json:"status"`
	}
	if json.Unmarshal(r.body, &h) != nil || h.Status != "ok" {
		return &core.Error{Kind: core.KindTransient, Op: op, Msg: "health endpoint did not report status ok"}
	}
	return nil
}

// Stats reports the backend's own counters: hits (including stale hits),
// misses, stale hits and failed calls.
func (b *Backend) Stats() []core.TierStats {
	return []core.TierStats{{
		Name:      "cachekitio",
		Hits:      b.hits.Load(),
		Misses:    b.misses.Load(),
		StaleHits: b.staleHits.Load(),
		Errors:    b.failures.Load(),
	}}
}

// Close releases idle connections. Calls after Close fail with
// KindPermanent; Close may be called more than once.
func (b *Backend) Close() error {
	b.closed.Store(true)
	closeIdle(b.rt)
	return nil
}
