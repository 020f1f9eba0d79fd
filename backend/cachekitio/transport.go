package cachekitio

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
)

// WithTransport makes the backend send every request through rt instead of
// the *http.Transport it builds itself. It exists for runtimes where Go's
// own transport cannot connect, such as Go compiled to js/wasm in
// Cloudflare Workers or Node (see module backend/workers, whose Transport
// uses the JavaScript fetch API).
//
// The URL checks still apply: HTTPS only, and the allow-list and literal
// address checks unless WithAllowCustomHost or WithInsecureCustomEndpoint
// relax them. What rt does on the wire is rt's business: the dial-time
// address guard, WithRootCAs and WithConnectionPoolSize act on the built-in
// transport only, since no dial happens here. rt must not follow redirects
// (the backend never does) and must honour the request's context. Close
// calls rt's CloseIdleConnections method when it has one.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *config) {
		if rt == nil {
			c.errs = append(c.errs, configError("transport must not be nil"))
		}
		c.transport = rt
	}
}

// roundTripper returns the RoundTripper requests go through: the one given
// to WithTransport, else tr.
func (c *config) roundTripper(tr *http.Transport) http.RoundTripper {
	if c.transport != nil {
		return c.transport
	}
	return tr
}

// closeIdle closes rt's idle connections when it keeps any.
func closeIdle(rt http.RoundTripper) {
	if c, ok := rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

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
		b.metricHeaders(ctx, h)
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

// l1 returns the L1 status for a request: the context's
// (ContextWithL1Status, else the report of a composition's upper tier),
// else the configured function's, else "disabled".
func (b *Backend) l1(ctx context.Context) L1Status {
	if s, ok := ctx.Value(l1Key{}).(L1Status); ok {
		return s
	}
	if r := tier.UpperReportFrom(ctx); r != nil {
		switch r.Status {
		case tier.UpperHit:
			return L1Hit
		case tier.UpperMiss:
			return L1Miss
		}
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

// ReadsUpperReport implements tier.UpperReportReader: composed under an
// L1, the backend learns from each request's context what the L1 did
// (X-CacheKit-L1-Status) and how many hits it has answered
// (X-CacheKit-L1-Hits).
func (b *Backend) ReadsUpperReport() bool { return true }

// metricHeaders adds the optional metrics headers: WithMetrics's counters;
// else the backend's own hits and misses, with the L1's hits and the hit
// rate when a composition reports them; else the backend's own alone.
func (b *Backend) metricHeaders(ctx context.Context, h http.Header) {
	var m Metrics
	switch r := tier.UpperReportFrom(ctx); {
	case b.metrics != nil:
		m = b.metrics()
	case r != nil && r.Hits != nil:
		m = Metrics{L1Hits: r.Hits(), L2Hits: b.hits.Load(), Misses: b.misses.Load()}
	default:
		h[hdrL2Hits] = []string{strconv.FormatUint(b.hits.Load(), 10)}
		h[hdrMisses] = []string{strconv.FormatUint(b.misses.Load(), 10)}
		return
	}
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
