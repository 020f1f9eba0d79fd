package cachekitio

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
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

// ---- errors -------------------------------------------------------------

// minRedactLen is the shortest key, or piece of a key, that redact
// removes. Shorter ones are left alone: replacing every "ab" of a message
// would mangle it while hiding nothing. Real API keys are far longer (the
// service's, and the reference server's, are a ck_sdk_, ck_api_ or ck_live_
// prefix and at least 16 characters more), so this only lets test keys of
// 1-3 characters through.
const minRedactLen = 4

// redact removes the API key from s, in any letter case (a server may
// echo it upper-cased), and a prefix of it of at least minRedactLen bytes
// that ends s (what is left of a key after a cut, the server's own or
// statusError's).
func (b *Backend) redact(s string) string {
	return redactKey(s, b.apiKey.Reveal())
}

// redactKey is redact for the key k.
func redactKey(s, k string) string {
	if len(k) < minRedactLen {
		return s
	}
	if j := indexFold(s, k); j >= 0 {
		var out strings.Builder
		for ; j >= 0; j = indexFold(s, k) {
			out.WriteString(s[:j])
			out.WriteString(redactedText)
			s = s[j+len(k):]
		}
		out.WriteString(s)
		s = out.String()
	}
	// A cut key at the end.
	for n := min(len(k)-1, len(s)); n >= minRedactLen; n-- {
		if equalFold(s[len(s)-n:], k[:n]) {
			return s[:len(s)-n] + redactedText
		}
	}
	return s
}

// indexFold is strings.Index, ignoring ASCII letter case (API keys are
// printable ASCII).
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if equalFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// equalFold reports whether a and b are equal, ignoring ASCII letter case.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// redactedError carries a transport error's message with the key removed.
// It keeps the cause reachable for errors.Is on context and timeout errors
// only when the cause's own message is clean.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

func (b *Backend) wrapCause(err error) error {
	msg := err.Error()
	red := b.redact(msg)
	if red == msg {
		return &redactedError{msg: red, cause: err}
	}
	return &redactedError{msg: red}
}

// statusKind maps an HTTP status to an error kind (saas-api.md, Error
// Classification): 401/403 auth; 408/429/5xx transient; 413 payload too
// large; 400 invalid input; other 4xx permanent.
func statusKind(status int) core.Kind {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return core.KindAuth
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		return core.KindTransient
	case status == http.StatusRequestEntityTooLarge:
		return core.KindPayloadTooLarge
	case status == http.StatusBadRequest:
		return core.KindInvalidInput
	}
	return core.KindPermanent
}

func (b *Backend) statusError(op, key string, res *http.Response, body []byte) error {
	msg := "HTTP " + strconv.Itoa(res.StatusCode)
	switch res.StatusCode {
	case http.StatusRequestEntityTooLarge:
		msg += ": value too large"
	case http.StatusConflict:
		msg += ": entry is stale; store recomputed bytes with Set"
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		// Redact, then cut, then redact again: the cut must not leave the
		// first bytes of a key that the first pass would have caught whole.
		detail := b.redact(e.Error)
		if len(detail) > maxErrorDetail {
			detail = b.redact(detail[:maxErrorDetail])
		}
		msg += ": " + strings.ToValidUTF8(detail, "?")
	}
	return &core.Error{Kind: statusKind(res.StatusCode), Op: op, Key: key, Msg: b.redact(msg)}
}

// ---- requests -------------------------------------------------------------

// call is one API request.
type call struct {
	op, method, key, sub string
	body                 []byte
	hasBody              bool
	contentType          []string // a shared value slice: octetStream or jsonType
	ttl, staleTTL        []string // X-CacheKit-TTL and -Stale-TTL values, when sent
	lockID               []string // X-CacheKit-Lock-Id value, when sent
	idempotent           bool
	maxBody              int64
}

// Header values shared by every request. net/http never modifies a
// request's header slices, so requests may share them.
var (
	userAgentValue = []string{userAgent}
	octetStream    = []string{"application/octet-stream"}
	jsonType       = []string{"application/json"}
	l1HitValue     = []string{string(L1Hit)}
	l1MissValue    = []string{string(L1Miss)}
	l1DisabledVal  = []string{string(L1Disabled)}
)

// result is a response that has been read completely.
type result struct {
	status int
	header http.Header
	body   []byte
}

// gatedBody is a request body that stops reading the caller's slice once the
// call returns: RoundTrip may close a body after returning, and Set must not
// touch the value after it returns.
type gatedBody struct {
	mu     sync.Mutex
	r      bytes.Reader
	closed bool
}

func (g *gatedBody) Read(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return 0, io.ErrClosedPipe
	}
	return g.r.Read(p)
}

func (g *gatedBody) Close() error { return nil }

func (g *gatedBody) shut() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// do sends c, retrying idempotent calls on transient failures, and returns
// the final response. Errors are *core.Error.
func (b *Backend) do(ctx context.Context, c call) (result, error) {
	if b.closed.Load() {
		return result{}, &core.Error{Kind: core.KindPermanent, Op: c.op, Key: c.key, Msg: "backend is closed"}
	}
	if err := ctx.Err(); err != nil {
		return result{}, &core.Error{Kind: core.ContextKind(err), Op: c.op, Key: c.key, Err: err}
	}
	attempts := 1
	if c.idempotent {
		attempts += b.maxRetries
	}
	var lastErr error
	for attempt := 0; attempt < attempts; attempt++ {
		if attempt > 0 {
			if err := b.sleep(ctx, attempt, lastErr); err != nil {
				return result{}, &core.Error{Kind: core.ContextKind(err), Op: c.op, Key: c.key, Msg: "while waiting to retry", Err: lastErr}
			}
			b.log.Debug("cachekitio: retrying", "op", c.op, "attempt", attempt, "error", lastErr.Error())
		}
		var g *gatedBody
		if c.hasBody {
			g = &gatedBody{}
			g.r.Reset(c.body)
		}
		res, err := b.attempt(ctx, c, g)
		if g != nil {
			// This attempt is over: whatever the transport still does
			// with the body no longer reads the caller's value.
			g.shut()
		}
		if err == nil {
			if res.status < 500 && res.status != http.StatusTooManyRequests && res.status != http.StatusRequestTimeout {
				return res, nil
			}
			err = b.statusError(c.op, c.key, &http.Response{StatusCode: res.status}, res.body)
			if attempt == attempts-1 {
				b.failures.Add(1)
				return res, err
			}
			lastErr = err
			continue
		}
		lastErr = err
		if ctx.Err() != nil || !core.KindOf(err).Retryable() {
			break
		}
	}
	b.failures.Add(1)
	b.log.Warn("cachekitio: request failed", "op", c.op, "kind", core.KindOf(lastErr).String(), "error", lastErr.Error())
	return result{}, lastErr
}

// sleep waits before retry attempt n: exponential backoff with full jitter,
// at most 2 s.
func (b *Backend) sleep(ctx context.Context, n int, _ error) error {
	d := b.backoff << (n - 1)
	if d > 2*time.Second || d <= 0 {
		d = 2 * time.Second
	}
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// attempt sends one HTTP request and reads its response.
func (b *Backend) attempt(ctx context.Context, c call, body *gatedBody) (result, error) {
	// The per-attempt timeout; a caller's deadline that ends sooner needs
	// no second timer.
	actx := ctx
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > b.timeout {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, b.timeout)
		defer cancel()
	}
	u := b.base
	if c.key == "" && c.sub == "health" {
		u.Path = "/v1/cache/health"
	} else {
		enc := encodeKey(c.key)
		u.Path = "/v1/cache/" + c.key + c.sub
		u.RawPath = "/v1/cache/" + enc + c.sub
	}
	// Up to 8 fields fit the smallest map (one group of 8 slots): the 5
	// sent on every request, Content-Type and the two TTLs. The metrics
	// headers, once a second, add up to 4.
	metrics := false
	if now := time.Now().UnixNano(); now-b.metricsAt.Load() >= int64(metricsEvery) {
		b.metricsAt.Store(now)
		metrics = true
	}
	n := 8
	if metrics {
		n = 12
	}
	h := make(http.Header, n)
	h["Authorization"] = []string{b.auth.Reveal()}
	h["User-Agent"] = userAgentValue
	h[hdrL1Status] = l1Value(b.l1(ctx))
	h[hdrSessionID] = b.sessionID
	h[hdrSessionTime] = b.sessionAt
	if metrics {
		b.metricHeaders(h)
	}
	// tmpl stays on the stack: WithContext makes the one heap copy.
	tmpl := http.Request{
		Method:     c.method,
		URL:        &u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Host:       u.Host,
	}
	if body != nil {
		tmpl.Body = body
		tmpl.ContentLength = int64(len(c.body))
		if tmpl.ContentLength == 0 {
			tmpl.Body = http.NoBody
		}
		h["Content-Type"] = c.contentType
	}
	if c.ttl != nil {
		h[hdrTTL] = c.ttl
	}
	if c.staleTTL != nil {
		h[hdrStaleTTL] = c.staleTTL
	}
	if c.lockID != nil {
		h[hdrLockID] = c.lockID
	}
	req := tmpl.WithContext(actx)
	res, err := b.rt.RoundTrip(req)
	if err != nil {
		return result{}, b.transportError(ctx, actx, c, err)
	}
	defer res.Body.Close()
	max := c.maxBody
	if max <= 0 {
		max = maxJSONResponse
	}
	if res.StatusCode != http.StatusOK {
		max = maxJSONResponse
	}
	var data []byte
	if c.method == http.MethodHead {
		return result{status: res.StatusCode, header: res.Header}, nil
	}
	if res.ContentLength > max {
		return result{}, &core.Error{Kind: core.KindPayloadTooLarge, Op: c.op, Key: c.key, Msg: "response exceeds " + strconv.FormatInt(max, 10) + " bytes"}
	}
	if res.ContentLength >= 0 {
		data = make([]byte, res.ContentLength)
		_, err = io.ReadFull(res.Body, data)
	} else {
		// One byte past the bound tells a body over it; max+1 saturates
		// (WithMaxResponseBytes(math.MaxInt64) would wrap to a negative
		// limit, which reads nothing).
		limit := max
		if limit < math.MaxInt64 {
			limit++
		}
		data, err = io.ReadAll(io.LimitReader(res.Body, limit))
		if err == nil && int64(len(data)) > max {
			return result{}, &core.Error{Kind: core.KindPayloadTooLarge, Op: c.op, Key: c.key, Msg: "response exceeds " + strconv.FormatInt(max, 10) + " bytes"}
		}
	}
	if err != nil {
		return result{}, b.transportError(ctx, actx, c, err)
	}
	return result{status: res.StatusCode, header: res.Header, body: data}, nil
}

// transportError classifies a failed exchange: the caller's context first
// (canceled or timed out), then this attempt's timeout, then a transient
// network failure.
func (b *Backend) transportError(ctx, actx context.Context, c call, err error) error {
	kind := core.KindTransient
	switch {
	case ctx.Err() != nil:
		kind = core.ContextKind(ctx.Err())
	case actx.Err() != nil:
		kind = core.KindTimeout
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			kind = core.KindTimeout
		}
		var cv *tls.CertificateVerificationError
		if errors.As(err, &cv) {
			kind = core.KindConfig
		}
		// A transport that classifies its own failures (WithTransport, such
		// as backend/workers' fetch transport) is believed: a certificate
		// it reports as KindConfig is not retried as a transient fault.
		var ce *core.Error
		if errors.As(err, &ce) && ce.Kind != core.KindUnknown {
			kind = ce.Kind
		}
	}
	return &core.Error{Kind: kind, Op: c.op, Key: c.key, Err: b.wrapCause(err)}
}

// l1Value returns the shared header value of s.
func l1Value(s L1Status) []string {
	switch s {
	case L1Hit:
		return l1HitValue
	case L1Miss:
		return l1MissValue
	}
	return l1DisabledVal
}

// l1 returns the L1 status for a request: the context's, else the
// configured function's, else "disabled".
func (b *Backend) l1(ctx context.Context) L1Status {
	if s, ok := ctx.Value(l1Key{}).(L1Status); ok {
		return s
	}
	if b.l1Status != nil {
		if s := b.l1Status(); s == L1Hit || s == L1Miss || s == L1Disabled {
			return s
		}
	}
	return L1Disabled
}

type l1Key struct{}

// ContextWithL1Status returns a context that makes the backend send status
// as X-CacheKit-L1-Status on requests made with it; it takes precedence over
// WithL1Status. Invalid statuses are replaced by L1Disabled.
func ContextWithL1Status(ctx context.Context, status L1Status) context.Context {
	if status != L1Hit && status != L1Miss && status != L1Disabled {
		status = L1Disabled
	}
	return context.WithValue(ctx, l1Key{}, status)
}

// metricsEvery is how often the metrics headers ride on a request. The
// counters are cumulative, so sampling loses nothing, while sending changing
// values on every request would churn the HTTP/2 header compression table
// (measured: ~10 % of a loopback GET).
const metricsEvery = time.Second

// metricHeaders adds the optional metrics headers.
func (b *Backend) metricHeaders(h http.Header) {
	if b.metrics == nil {
		h[hdrL2Hits] = []string{strconv.FormatUint(b.hits.Load(), 10)}
		h[hdrMisses] = []string{strconv.FormatUint(b.misses.Load(), 10)}
		return
	}
	m := b.metrics()
	h[hdrL1Hits] = []string{strconv.FormatUint(m.L1Hits, 10)}
	h[hdrL2Hits] = []string{strconv.FormatUint(m.L2Hits, 10)}
	h[hdrMisses] = []string{strconv.FormatUint(m.Misses, 10)}
	rate := 0.0
	if total := m.L1Hits + m.L2Hits + m.Misses; total > 0 {
		rate = float64(m.L1Hits) / float64(total)
	}
	h[hdrL1HitRate] = []string{strconv.FormatFloat(rate, 'f', 3, 64)}
}

// ceilSeconds rounds d up to whole seconds (sub-second → 1, API-42/54).
func ceilSeconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second != 0 {
		s++
	}
	return s
}

func (b *Backend) unexpected(op, key string, r result) error {
	return b.statusError(op, key, &http.Response{StatusCode: r.status}, r.body)
}

// ---- core.Backend ---------------------------------------------------------

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

// ---- capabilities -------------------------------------------------------

// TTL returns the seconds until key's eviction (GET /v1/cache/{key}/ttl):
// found is false for a 404, and a null ttl is core.NoExpiry.
func (b *Backend) TTL(ctx context.Context, key string) (time.Duration, bool, error) {
	const op = "cachekitio.ttl"
	if err := b.checkKey(op, key); err != nil {
		return 0, false, err
	}
	r, err := b.do(ctx, call{op: op, method: http.MethodGet, key: key, sub: "/ttl", idempotent: true})
	if err != nil {
		return 0, false, err
	}
	switch r.status {
	case http.StatusNotFound:
		return 0, false, nil
	case http.StatusOK:
	default:
		return 0, false, b.unexpected(op, key, r)
	}
	var body struct {
		TTL json.RawMessage `json:"ttl"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		return 0, false, &core.Error{Kind: core.KindPermanent, Op: op, Key: key, Msg: "malformed ttl response"}
	}
	raw := string(body.TTL)
	if raw == "" || raw == "null" {
		return core.NoExpiry, true, nil // API-71
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 || n > maxTTLSeconds {
		return 0, false, &core.Error{Kind: core.KindPermanent, Op: op, Key: key, Msg: "malformed ttl response"}
	}
	return time.Duration(n) * time.Second, true, nil
}

// Expire sets key's fresh lifetime to ttl (PATCH /v1/cache/{key}/ttl, whole
// seconds, rounded up). It returns false when the key does not exist. The
// API answers 200 for an absent key too; when the server does not say
// whether it updated the entry, Expire asks with a HEAD. A 409 (the entry
// is stale: store recomputed bytes instead) is a KindPermanent error.
func (b *Backend) Expire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	const op = "cachekitio.expire"
	if err := b.checkKey(op, key); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, &core.Error{Kind: core.KindInvalidInput, Op: op, Key: key, Msg: "TTL must be positive"}
	}
	secs, err := b.ttlSeconds(op, key, ttl)
	if err != nil {
		return false, err
	}
	r, err := b.do(ctx, call{
		op: op, method: http.MethodPatch, key: key, sub: "/ttl", idempotent: true,
		body: []byte(`{"ttl":` + strconv.FormatInt(secs, 10) + `}`), hasBody: true, contentType: jsonType,
	})
	if err != nil {
		return false, err
	}
	if r.status != http.StatusOK {
		return false, b.unexpected(op, key, r)
	}
	var body struct {
		Updated *bool `json:"updated"`
	}
	if json.Unmarshal(r.body, &body) == nil && body.Updated != nil {
		return *body.Updated, nil
	}
	return b.Exists(ctx, key)
}

// Lock tries once to take key's lock for lease (POST /v1/cache/{key}/lock
// with timeout_ms, rounded up to a millisecond). It is acquired only when
// the 200 response carries a non-empty lock_id; a null or absent lock_id
// (or a legacy 409) is contention: acquired == false, no error. The token is
// the lock_id. Lock is never retried.
func (b *Backend) Lock(ctx context.Context, key string, lease time.Duration) (string, bool, error) {
	const op = "cachekitio.lock"
	if err := b.checkKey(op, key); err != nil {
		return "", false, err
	}
	if lease <= 0 {
		return "", false, &core.Error{Kind: core.KindInvalidInput, Op: op, Key: key, Msg: "lease must be positive"}
	}
	ms := int64(lease / time.Millisecond)
	if lease%time.Millisecond != 0 {
		ms++
	}
	r, err := b.do(ctx, call{
		op: op, method: http.MethodPost, key: key, sub: "/lock",
		body: []byte(`{"timeout_ms":` + strconv.FormatInt(ms, 10) + `}`), hasBody: true, contentType: jsonType,
	})
	if err != nil {
		return "", false, err
	}
	switch r.status {
	case http.StatusOK:
	case http.StatusConflict:
		return "", false, nil
	default:
		return "", false, b.unexpected(op, key, r)
	}
	var body struct {
		LockID *string `json:"lock_id"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		return "", false, &core.Error{Kind: core.KindPermanent, Op: op, Key: key, Msg: "malformed lock response"}
	}
	if body.LockID == nil || strings.TrimSpace(*body.LockID) == "" {
		return "", false, nil
	}
	return *body.LockID, true, nil
}

// Unlock releases key's lock if token holds it (DELETE
// /v1/cache/{key}/lock). The token travels in the X-CacheKit-Lock-Id header,
// never in the URL. An empty token releases nothing and sends nothing.
func (b *Backend) Unlock(ctx context.Context, key, token string) (bool, error) {
	const op = "cachekitio.unlock"
	if err := b.checkKey(op, key); err != nil {
		return false, err
	}
	if strings.TrimSpace(token) == "" {
		return false, nil
	}
	if strings.ContainsAny(token, "\r\n\x00") {
		return false, &core.Error{Kind: core.KindInvalidInput, Op: op, Key: key, Msg: "lock token contains control characters"}
	}
	r, err := b.do(ctx, call{
		op: op, method: http.MethodDelete, key: key, sub: "/lock", idempotent: true,
		lockID: []string{token},
	})
	if err != nil {
		return false, err
	}
	switch r.status {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusConflict:
		return false, nil
	default:
		return false, b.unexpected(op, key, r)
	}
	var body struct {
		Released *bool `json:"released"`
	}
	if json.Unmarshal(r.body, &body) == nil && body.Released != nil {
		return *body.Released, nil
	}
	return true, nil
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
