package cachekitio

import (
	"crypto/x509"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// Defaults of the configuration.
const (
	// DefaultTimeout bounds each HTTP attempt (CACHEKIT_TIMEOUT).
	DefaultTimeout = core.DefaultTimeout
	// DefaultMaxRetries is how often a failed idempotent request is retried
	// on a transient error (CACHEKIT_MAX_RETRIES).
	DefaultMaxRetries = core.DefaultMaxRetries
	// DefaultPoolSize is the number of idle connections kept to the API
	// (CACHEKIT_CONNECTION_POOL_SIZE).
	DefaultPoolSize = core.DefaultPoolSize
	// DefaultMaxResponseBytes bounds the body of a GET response.
	DefaultMaxResponseBytes = 512 << 20
)

// L1Status is the value of the X-CacheKit-L1-Status header sent on every
// request: what the caller's in-process cache did before this request.
type L1Status string

// The three L1 statuses the API knows.
const (
	L1Hit      L1Status = "hit"
	L1Miss     L1Status = "miss"
	L1Disabled L1Status = "disabled"
)

// Metrics are the client-side counters sent in the optional metrics headers
// (X-CacheKit-L1-Hits, X-CacheKit-L2-Hits, X-CacheKit-Misses,
// X-CacheKit-L1-Hit-Rate).
type Metrics struct {
	L1Hits, L2Hits, Misses uint64
}

type config struct {
	apiKey       core.Secret
	apiURL       string
	apiURLSet    bool
	allowCustom  bool
	insecure     bool
	rootCAs      *x509.CertPool
	timeout      time.Duration
	maxRetries   int
	poolSize     int
	staleTTL     time.Duration
	l1Status     func() L1Status
	metrics      func() Metrics
	logger       *slog.Logger
	maxResponse  int64
	ignoreEnv    bool
	errs         []error
	retryBackoff time.Duration
	anyKey       bool
	transport    http.RoundTripper // WithTransport; nil: the built-in transport
}

// Option configures a Backend.
type Option func(*config)

// WithAPIKey sets the API key (default: CACHEKIT_API_KEY). It is sent only as
// "Authorization: Bearer …" and never appears in errors, logs or %v output.
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = core.NewSecret(key) } }

// WithURL sets the API URL (default: CACHEKIT_API_URL, else ProductionURL).
// It must be HTTPS; hosts other than api.cachekit.io and
// api.staging.cachekit.io also need WithAllowCustomHost, and literal internal
// addresses are always rejected (SSRF protection).
func WithURL(rawURL string) Option {
	return func(c *config) { c.apiURL, c.apiURLSet = rawURL, true }
}

// WithAllowCustomHost allows an API host outside the allow-list, like
// CACHEKIT_ALLOW_CUSTOM_HOST=true. Literal loopback, private and link-local
// addresses stay rejected.
func WithAllowCustomHost() Option { return func(c *config) { c.allowCustom = true } }

// WithInsecureCustomEndpoint points the backend at rawURL with the SSRF
// protection switched OFF: any host is accepted, loopback and private
// addresses included, and connections are not checked. HTTPS is still
// required. It exists for tests and for self-hosted reference servers on a
// private network; never pass it a URL that comes from untrusted input.
// Combine it with WithRootCAs for a server whose certificate a private CA
// signed.
func WithInsecureCustomEndpoint(rawURL string) Option {
	return func(c *config) { c.apiURL, c.apiURLSet, c.insecure = rawURL, true, true }
}

// WithRootCAs makes the backend trust only the CAs in pool (for example a
// self-hosted server's private CA) instead of the system roots.
func WithRootCAs(pool *x509.CertPool) Option { return func(c *config) { c.rootCAs = pool } }

// WithTimeout bounds each HTTP attempt (default: CACHEKIT_TIMEOUT seconds,
// else DefaultTimeout). The caller's context bounds the whole call. New
// refuses a value outside 1 ms–1 h (core.Config.Validate's bounds, the same
// as the environment's) with KindConfig.
func WithTimeout(d time.Duration) Option {
	return func(c *config) {
		c.timeout = d
	}
}

// WithMaxRetries sets how often an idempotent request is retried after a
// transient failure (default: CACHEKIT_MAX_RETRIES, else DefaultMaxRetries).
// Lock acquisition is never retried. New refuses a value outside 0–100 with
// KindConfig.
func WithMaxRetries(n int) Option {
	return func(c *config) {
		c.maxRetries = n
	}
}

// WithConnectionPoolSize sets how many idle connections are kept to the API
// (default: CACHEKIT_CONNECTION_POOL_SIZE, else DefaultPoolSize). New
// refuses a value outside 1–10000 with KindConfig.
func WithConnectionPoolSize(n int) Option {
	return func(c *config) {
		c.poolSize = n
	}
}

// WithStaleTTL asks the server to keep every entry written with a TTL for d
// past its freshness, serving it as stale meanwhile (X-CacheKit-Stale-TTL).
// Sub-second values are rounded up to a second; ttl + d must not exceed 30
// days. Entries written without expiry carry no stale window.
func WithStaleTTL(d time.Duration) Option {
	return func(c *config) {
		if d < 0 {
			c.errs = append(c.errs, configError("stale TTL must not be negative"))
		}
		c.staleTTL = d
	}
}

// WithL1Status sets the function that tells the backend what the caller's
// in-process cache did, sent as X-CacheKit-L1-Status. Without it, and
// without ContextWithL1Status, the backend sends "disabled".
func WithL1Status(f func() L1Status) Option { return func(c *config) { c.l1Status = f } }

// WithMetrics sets the function whose counters are sent in the metrics
// headers. Without it the backend sends its own L2 hit and miss counts.
func WithMetrics(f func() Metrics) Option { return func(c *config) { c.metrics = f } }

// WithLogger sets the logger for retries and failures (debug and warn
// levels). Nothing it logs contains the API key.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithMaxResponseBytes bounds the size of a value the backend will read
// (default DefaultMaxResponseBytes); n <= 0 is a KindConfig error.
func WithMaxResponseBytes(n int64) Option { return func(c *config) { c.maxResponse = n } }

// WithoutEnv makes New ignore the CACHEKIT_* environment variables.
func WithoutEnv() Option { return func(c *config) { c.ignoreEnv = true } }

// withAnyKey makes the backend send keys that the service's key rules
// reject (tests of the path encoding, which must reach the wire); the
// reserved keys stay rejected.
func withAnyKey() Option { return func(c *config) { c.anyKey = true } }

// withRetryBackoff sets the first retry's backoff (tests).
func withRetryBackoff(d time.Duration) Option { return func(c *config) { c.retryBackoff = d } }

// fromEnv fills c with the CACHEKIT_* environment, read by
// core.ConfigFromLookup (the one parser of those variables, whose rules on
// trimming and bounds apply here unchanged).
func (c *config) fromEnv(getenv func(string) string) {
	env, err := core.ConfigFromLookup(func(name string) (string, bool) {
		if name == "CACHEKIT_MASTER_KEY" || name == "CACHEKIT_PREVIOUS_MASTER_KEYS" {
			return "", false // not this backend's
		}
		v := getenv(name)
		return v, v != ""
	})
	if err != nil {
		c.errs = append(c.errs, err)
		return
	}
	if env.APIKey.IsSet() {
		c.apiKey = env.APIKey
	}
	if env.APIURL != "" {
		c.apiURL = env.APIURL
	}
	c.allowCustom = env.AllowCustomHost
	c.timeout = env.Timeout
	c.maxRetries = env.MaxRetries
	c.poolSize = env.PoolSize
}

func newConfig(opts []Option, getenv func(string) string) (*config, error) {
	c := &config{
		apiURL:       ProductionURL,
		timeout:      DefaultTimeout,
		maxRetries:   DefaultMaxRetries,
		poolSize:     DefaultPoolSize,
		maxResponse:  DefaultMaxResponseBytes,
		retryBackoff: 50 * time.Millisecond,
	}
	probe := &config{}
	for _, o := range opts {
		if o != nil { // a nil Option is skipped, as core.New does
			o(probe)
		}
	}
	if !probe.ignoreEnv {
		c.fromEnv(getenv)
	}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	if len(c.errs) > 0 {
		return nil, c.errs[0]
	}
	if !c.apiKey.IsSet() {
		return nil, configError("no API key: set CACHEKIT_API_KEY or use WithAPIKey")
	}
	for key, i := c.apiKey.Reveal(), 0; i < len(key); i++ {
		if ch := key[i]; ch <= ' ' || ch >= 0x7f {
			return nil, configError("the API key must be printable ASCII without spaces")
		}
	}
	if c.staleTTL > 0 && ceilSeconds(c.staleTTL) > maxStaleSeconds {
		return nil, configError("stale TTL exceeds 2591999 seconds")
	}
	if err := (core.Config{Timeout: c.timeout, MaxRetries: c.maxRetries, PoolSize: c.poolSize}).Validate(); err != nil {
		return nil, err
	}
	if c.maxResponse <= 0 {
		return nil, configError("WithMaxResponseBytes: the bound must be positive, got " + strconv.FormatInt(c.maxResponse, 10))
	}
	return c, nil
}

// redactedText replaces the API key wherever it would show.
const redactedText = "[REDACTED]"
