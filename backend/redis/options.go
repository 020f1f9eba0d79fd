package redis

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	goredis "github.com/redis/go-redis/v9"
)

// Options says how New connects: the server, the credentials, TLS, the
// pool and the timeouts. How the Backend then reads and watches is set with
// Option values, which Wrap takes too. The zero value connects to
// localhost:6379.
//
// Fields set here override what URL says. Which client New builds:
// MasterName set (here or as the URL's master_name parameter) → Sentinel;
// Cluster, or more than one address → Redis Cluster; otherwise a single
// server.
//
// Printing an Options value — any fmt verb, encoding/json, slog — redacts
// URL's userinfo and the passwords, and gob refuses it. The fields are plain
// strings for ease of use, so a struct of the caller's that holds an
// Options in an unexported field prints them through fmt (which cannot call
// methods there): keep Options in an exported field, or pass the password
// from a core.Secret when it is built.
type Options struct {
	// URL is a go-redis connection URL:
	//   redis://[user[:password]@]host:port[/db][?dial_timeout=3s&pool_size=10...]
	//   rediss://...            (TLS)
	//   unix:///path/to/redis.sock
	//   redis://host:port?addr=host2:port2&addr=host3:port3   (several nodes)
	//   redis://[user:pass@]sentinel:26379?master_name=mymaster&addr=sentinel2:26379
	// With master_name, the URL's host, userinfo and addr parameters name
	// the sentinels (their credentials go to SentinelUsername and
	// SentinelPassword); the data nodes' credentials then come from the
	// username and password query parameters, or from Username and Password.
	URL string

	// Addrs are host:port addresses: the server, the cluster's seed nodes,
	// or the sentinels (with MasterName).
	Addrs []string
	// Cluster selects Redis Cluster even with a single seed address.
	Cluster bool
	// MasterName is the Sentinel master name; setting it selects Sentinel.
	MasterName string

	// Username and Password authenticate to the data nodes (AUTH, or the
	// ACL user with Username).
	Username string
	Password string
	// SentinelUsername and SentinelPassword authenticate to the sentinels.
	SentinelUsername string
	SentinelPassword string

	// DB is the database number (single server and Sentinel only).
	DB int

	// TLSConfig enables TLS with this configuration (a rediss:// URL enables
	// it with a default one).
	TLSConfig *tls.Config

	// PoolSize is the number of connections per node (go-redis default: 10
	// per GOMAXPROCS).
	PoolSize int
	// MinIdleConns keeps this many idle connections open per node.
	MinIdleConns int

	// DialTimeout bounds establishing a connection (default 5s).
	DialTimeout time.Duration
	// ReadTimeout and WriteTimeout bound socket reads and writes (default
	// 3s; -1 disables). A context deadline bounds them too.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// PoolTimeout bounds the wait for a free connection (default
	// ReadTimeout + 1s).
	PoolTimeout time.Duration

	// MaxRetries is how often a failed command is retried (default 3; -1
	// disables retries).
	MaxRetries int

	// ClientName is sent with CLIENT SETNAME.
	ClientName string
}

// Option configures how a Backend reads and watches, for New and Wrap alike.
// A nil Option is skipped. A bad value makes New or Wrap fail with a
// *core.Error of core.KindConfig.
type Option func(*settings)

// settings collects what the Options set.
type settings struct {
	getScript, noFreshness bool
	prefixes               []string
	ping                   time.Duration
	err                    error
}

func (s *settings) fail(msg string) {
	if s.err == nil {
		s.err = core.NewError(core.KindConfig, "redis.new", msg, nil)
	}
}

// settle applies opts.
func settle(opts []Option) (settings, error) {
	var s settings
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	return s, s.err
}

// WithGetScript makes Get (and GetMany) read the value and its PTTL with
// one Lua script (EVALSHA) instead of a GET+PTTL pipeline. Both take one
// round trip. The script is atomic; the pipeline is faster (measured here:
// about 25% for one key, 2.5× for a batch of 100) and, if another client
// overwrites the key between the two commands, may report the new value's
// TTL for the old value. WithoutFreshness overrides it.
func WithGetScript() Option { return func(s *settings) { s.getScript = true } }

// WithoutFreshness makes Get and GetMany read values with a bare GET: one
// command per key instead of two, and hits report core.UnknownFreshness.
// It is an opt-in trade, and overrides WithGetScript:
//   - An upper tier keeps a copy for its own bound (compose's backfill
//     cap, 30 s by default), possibly past the key's Redis TTL: the
//     protocol's rule for a read without a remaining-freshness signal,
//     where the default bounds every copy by the key's PTTL.
//   - Client-side stale-while-revalidate cannot see a value's age, so a
//     GetOrLoad never refreshes ahead; an object cache is bounded by its
//     maxAge alone.
//
// Measured on loopback (bench/README.md): a Redis hit through an L1 stack
// costs about 8 points less over a bare GET, and Redis serves half the
// commands for L1 misses. TTL and the other calls are unchanged.
func WithoutFreshness() Option { return func(s *settings) { s.noFreshness = true } }

// WithInvalidationPrefixes limits the invalidations a WatchInvalidations
// receives (and so a composition over this backend) to keys starting with
// one of prefixes, for instance a client's "ns:users:". Without it (or
// with no prefixes) a watch receives every key of the database. Redis
// sends a watch the name of every matching key that changes, so on a Redis
// shared with busy unrelated data, narrow it. Redis refuses overlapping
// prefixes, so an empty prefix, or one that starts another (a repeat
// included), is a KindConfig error here rather than a watch that never
// starts. Options accumulate.
func WithInvalidationPrefixes(prefixes ...string) Option {
	return func(s *settings) {
		for _, p := range prefixes {
			if p == "" {
				s.fail("WithInvalidationPrefixes: an empty prefix (omit the option to watch every key)")
				return
			}
			for _, q := range s.prefixes {
				if strings.HasPrefix(p, q) || strings.HasPrefix(q, p) {
					s.fail("WithInvalidationPrefixes: overlapping prefixes " + strconv.Quote(q) + " and " + strconv.Quote(p) + " (Redis refuses them)")
					return
				}
			}
			s.prefixes = append(s.prefixes, p)
		}
	}
}

// WithInvalidationPing sets how long an invalidation watch's connection may
// be silent before it is pinged; an unanswered ping after as long again
// drops the watcher's copies and reconnects (default
// DefaultInvalidationPing, 1 s). It bounds how long a silently broken
// connection can hide a change. d must be at least a millisecond.
func WithInvalidationPing(d time.Duration) Option {
	return func(s *settings) {
		if d < time.Millisecond {
			s.fail("WithInvalidationPing: the interval must be at least 1ms, got " + d.String())
			return
		}
		s.ping = d
	}
}

const redacted = "xxxxx"

// String returns the options with every password redacted.
func (o Options) String() string { return fmt.Sprintf("%+v", o) }

// Format prints the options for every verb (%v, %+v, %#v, %s, …) with
// passwords, including the URL's, redacted.
func (o Options) Format(f fmt.State, verb rune) {
	type plain Options // no methods: formats as a struct
	fmt.Fprintf(f, fmt.FormatString(f, verb), plain(o.redacted()))
}

// MarshalJSON encodes the options as encoding/json would without it, but
// with every password, including the URL's, redacted, and TLSConfig
// reduced to {} (or null): a TLS configuration may hold private keys. The
// output is for logs and diagnostics; decoding it does not restore the
// passwords.
func (o Options) MarshalJSON() ([]byte, error) {
	type plain Options // no methods: encodes as a struct
	var tlsSet *struct{}
	if o.TLSConfig != nil {
		tlsSet = &struct{}{}
	}
	return json.Marshal(struct {
		plain
		TLSConfig *struct{} // shadows plain's
	}{plain(o.redacted()), tlsSet})
}

// GobEncode implements gob.GobEncoder by refusing, with a *core.Error of
// KindInvalidInput: Options hold passwords, which must not be serialized,
// and a redacted copy would decode into options that no longer connect.
func (o Options) GobEncode() ([]byte, error) {
	return nil, core.NewError(core.KindInvalidInput, "redis.options", "Options are never gob-encoded (they hold passwords)", nil)
}

// LogValue implements slog.LogValuer: the fields that are set, passwords
// (including the URL's) redacted and TLSConfig reduced to TLS=true, so
// that slog's text and JSON handlers print no secret.
func (o Options) LogValue() slog.Value {
	r := o.redacted()
	var a []slog.Attr
	str := func(k, v string) {
		if v != "" {
			a = append(a, slog.String(k, v))
		}
	}
	num := func(k string, v int) {
		if v != 0 {
			a = append(a, slog.Int(k, v))
		}
	}
	dur := func(k string, v time.Duration) {
		if v != 0 {
			a = append(a, slog.Duration(k, v))
		}
	}
	flag := func(k string, v bool) {
		if v {
			a = append(a, slog.Bool(k, v))
		}
	}
	str("URL", r.URL)
	if len(r.Addrs) > 0 {
		a = append(a, slog.Any("Addrs", r.Addrs))
	}
	flag("Cluster", r.Cluster)
	str("MasterName", r.MasterName)
	str("Username", r.Username)
	str("Password", r.Password)
	str("SentinelUsername", r.SentinelUsername)
	str("SentinelPassword", r.SentinelPassword)
	num("DB", r.DB)
	flag("TLS", r.TLSConfig != nil)
	num("PoolSize", r.PoolSize)
	num("MinIdleConns", r.MinIdleConns)
	dur("DialTimeout", r.DialTimeout)
	dur("ReadTimeout", r.ReadTimeout)
	dur("WriteTimeout", r.WriteTimeout)
	dur("PoolTimeout", r.PoolTimeout)
	num("MaxRetries", r.MaxRetries)
	str("ClientName", r.ClientName)
	return slog.GroupValue(a...)
}

// redacted returns o with its passwords, and the URL's, replaced by
// "xxxxx".
func (o Options) redacted() Options {
	o.URL = RedactURL(o.URL)
	if o.Password != "" {
		o.Password = redacted
	}
	if o.SentinelPassword != "" {
		o.SentinelPassword = redacted
	}
	return o
}

// RedactURL returns rawURL with the password in its user information, and
// the value of every query parameter whose name contains "password"
// (password, sentinel_password), replaced by "xxxxx". It works on the text,
// not on what url.Parse makes of it, so URLs url.Parse rejects or misreads
// are redacted too: the user information is everything between "://" (or
// the start) and the last '@', whatever characters it holds — a password
// with an unescaped space, newline, '/', '?', '#' or '@' included. Only a
// user name made of URL-safe characters is kept; otherwise the whole user
// information goes. When the last '@' is not the user information's end
// (an '@' in the query), more than the password may be redacted, never
// less.
func RedactURL(rawURL string) string {
	if rawURL == "" {
		return ""
	}
	mask := urlSecrets(rawURL)
	var b strings.Builder
	b.Grow(len(rawURL))
	for i := 0; i < len(rawURL); {
		if !mask[i] {
			b.WriteByte(rawURL[i])
			i++
			continue
		}
		b.WriteString(redacted)
		for i < len(rawURL) && mask[i] {
			i++
		}
	}
	return b.String()
}

// urlSecrets marks the bytes of rawURL that RedactURL redacts: the user
// information but for a URL-safe user name, and the values of password
// query parameters.
func urlSecrets(rawURL string) []bool {
	mask := make([]bool, len(rawURL))
	start, at := userinfoSpan(rawURL)
	if at >= 0 {
		userinfo := rawURL[start:at]
		user, _, hasPass := strings.Cut(userinfo, ":")
		from := start
		if safeUser(user) {
			if !hasPass {
				at = start // a user name alone: nothing to hide
			}
			from = start + len(user) + 1
		}
		for i := from; i < at; i++ {
			mask[i] = true
		}
	}
	// Query parameters, wherever a '?' or '&' starts one: a value runs to
	// the next '&' or the end, so a '#' in it is redacted too.
	for i := start; i < len(rawURL); i++ {
		if c := rawURL[i]; c != '?' && c != '&' {
			continue
		}
		seg := rawURL[i+1:]
		if j := strings.IndexByte(seg, '&'); j >= 0 {
			seg = seg[:j]
		}
		rawKey, _, hasValue := strings.Cut(seg, "=")
		if !hasValue {
			continue
		}
		key := rawKey
		if k, err := url.QueryUnescape(rawKey); err == nil {
			key = k
		}
		if strings.Contains(strings.ToLower(key), "password") {
			for j := i + 1 + len(rawKey) + 1; j < i+1+len(seg); j++ {
				mask[j] = true
			}
		}
	}
	return mask
}

// userinfoSpan returns where rawURL's user information starts (after
// "scheme://", or 0) and the index of the '@' that ends it: the last '@'
// of the URL, or -1 when there is none.
func userinfoSpan(rawURL string) (start, at int) {
	at = strings.LastIndexByte(rawURL, '@')
	if i := strings.Index(rawURL, "://"); i > 0 && (at < 0 || i < at) && validScheme(rawURL[:i]) {
		start = i + 3
	}
	if at < start {
		at = -1
	}
	return start, at
}

// validScheme reports whether s is a URL scheme (RFC 3986, 3.1).
func validScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// safeUser reports whether user is made of characters a URL user name may
// hold unescaped (RFC 3986 unreserved and sub-delims, and %-escapes): only
// such a name is printed. Anything else — a space, a control character,
// '/', '?', '#', '@' — suggests a password typed without a colon or a URL
// that is not what it seems.
func safeUser(user string) bool {
	for i := 0; i < len(user); i++ {
		c := user[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=%", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// userinfoRe matches scheme://user:password@ in free text; passwordRe
// matches password=value query parameters.
var (
	userinfoRe = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@\s]*@`)
	passwordRe = regexp.MustCompile(`(?i)(password=)[^&\s"']*`)
)

// redactText removes URL passwords from free text (error messages).
func redactText(s string) string {
	s = userinfoRe.ReplaceAllString(s, "${1}"+redacted+"@")
	return passwordRe.ReplaceAllString(s, "${1}"+redacted)
}

// urlError is the cause of New's error for a URL it cannot use. Its
// message is written here, from the redacted URL: net/url's own messages
// quote the part that failed to parse, which may be a piece of the
// password.
type urlError struct{ reason string }

func (e *urlError) Error() string { return e.reason }

// userinfoHint says how to write a password in a URL.
const userinfoHint = "percent-encode spaces, control characters and any of :/?#[]@% in the user name and password"

// parseURLError explains why url.Parse rejected rawURL without quoting
// rawURL: it parses the redacted URL instead, whose failure can only
// concern what redaction left; when that parses, the user information was
// the problem.
func parseURLError(rawURL string) error {
	if _, err := url.Parse(RedactURL(rawURL)); err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the (redacted) URL
		}
		return &urlError{reason: err.Error()}
	}
	return &urlError{reason: "invalid user information: " + userinfoHint}
}

// strayAt reports whether rawURL, which url.Parse accepted, has an '@'
// after its authority (in the path, query or fragment): either a
// password holding '/', '?' or '#' unescaped, which url.Parse split at
// that character, or an '@' in a query value. go-redis's messages quote
// the path and query parameter names, so with a stray '@' they may quote a
// piece of a password.
func strayAt(rawURL string) bool {
	n := strings.Count(rawURL, "@")
	if n == 0 {
		return false
	}
	i := strings.Index(rawURL, "://")
	if i <= 0 || !validScheme(rawURL[:i]) {
		return true // no authority: every '@' is stray
	}
	authority := rawURL[i+3:]
	if i := strings.IndexAny(authority, "/?#"); i >= 0 {
		authority = authority[:i]
	}
	return strings.Count(authority, "@") != n
}

// universal turns Options into go-redis UniversalOptions, and reports the
// mode chosen. Errors are *core.Error of KindConfig, with secrets redacted.
func (o Options) universal() (*goredis.UniversalOptions, error) {
	u := &goredis.UniversalOptions{}
	if o.URL != "" {
		if err := fromURL(u, o.URL, o.Cluster); err != nil {
			var ue *urlError
			if !errors.As(err, &ue) {
				err = scrubbed(err, sealSecrets(secretsOf(o)))
			}
			return nil, &core.Error{
				Kind: core.KindConfig,
				Op:   "redis.new",
				Msg:  "invalid URL " + RedactURL(o.URL),
				Err:  err,
			}
		}
	}
	if len(o.Addrs) > 0 {
		u.Addrs = append([]string(nil), o.Addrs...)
	}
	if o.Cluster {
		u.IsClusterMode = true
	}
	setString(&u.MasterName, o.MasterName)
	setString(&u.Username, o.Username)
	setString(&u.Password, o.Password)
	setString(&u.SentinelUsername, o.SentinelUsername)
	setString(&u.SentinelPassword, o.SentinelPassword)
	setString(&u.ClientName, o.ClientName)
	if o.DB != 0 {
		u.DB = o.DB
	}
	if o.TLSConfig != nil {
		u.TLSConfig = o.TLSConfig
	}
	if o.PoolSize != 0 {
		u.PoolSize = o.PoolSize
	}
	if o.MinIdleConns != 0 {
		u.MinIdleConns = o.MinIdleConns
	}
	if o.DialTimeout != 0 {
		u.DialTimeout = o.DialTimeout
	}
	if o.ReadTimeout != 0 {
		u.ReadTimeout = o.ReadTimeout
	}
	if o.WriteTimeout != 0 {
		u.WriteTimeout = o.WriteTimeout
	}
	if o.PoolTimeout != 0 {
		u.PoolTimeout = o.PoolTimeout
	}
	if o.MaxRetries != 0 {
		u.MaxRetries = o.MaxRetries
	}
	if len(u.Addrs) == 0 {
		u.Addrs = []string{"localhost:6379"}
	}
	if u.MasterName != "" && u.IsClusterMode {
		return nil, core.NewError(core.KindConfig, "redis.new", "MasterName (Sentinel) and Cluster exclude each other", nil)
	}
	if o.PoolSize < 0 || o.MinIdleConns < 0 || o.DB < 0 {
		return nil, core.NewError(core.KindConfig, "redis.new", "negative PoolSize, MinIdleConns or DB", nil)
	}
	// Every call honours its context's deadline, not only the socket
	// timeouts.
	u.ContextTimeoutEnabled = true
	return u, nil
}

func setString(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// fromURL fills u from a go-redis URL. Its errors quote no password: a
// *urlError when url.Parse rejects the URL, or when go-redis does and the
// URL has an '@' outside its authority; otherwise go-redis's error, whose
// messages quote only the scheme, path and query (New scrubs the password
// query parameters from them).
func fromURL(u *goredis.UniversalOptions, raw string, cluster bool) (err error) {
	parsed, err := url.Parse(raw)
	if err != nil {
		return parseURLError(raw)
	}
	defer func() {
		if err != nil && strayAt(raw) {
			err = &urlError{reason: "it has an '@' after a '/', '?' or '#' (a password holding one of them unescaped?), " +
				"so go-redis's reason is not shown: " + userinfoHint + ", and an '@' in the query as %40"}
		}
	}()
	q := parsed.Query()
	switch {
	case q.Get("master_name") != "":
		f, err := goredis.ParseFailoverURL(raw)
		if err != nil {
			return err
		}
		u.Addrs = f.SentinelAddrs
		u.MasterName = f.MasterName
		u.SentinelUsername, u.SentinelPassword = f.SentinelUsername, f.SentinelPassword
		u.Username, u.Password = f.Username, f.Password
		u.DB, u.TLSConfig, u.ClientName, u.Protocol = f.DB, f.TLSConfig, f.ClientName, f.Protocol
		u.MaxRetries, u.DialTimeout, u.ReadTimeout, u.WriteTimeout = f.MaxRetries, f.DialTimeout, f.ReadTimeout, f.WriteTimeout
		u.PoolSize, u.MinIdleConns, u.MaxIdleConns, u.PoolTimeout = f.PoolSize, f.MinIdleConns, f.MaxIdleConns, f.PoolTimeout
		u.ConnMaxIdleTime, u.ConnMaxLifetime = f.ConnMaxIdleTime, f.ConnMaxLifetime
	case cluster || len(q["addr"]) > 0:
		c, err := goredis.ParseClusterURL(raw)
		if err != nil {
			return err
		}
		u.Addrs = c.Addrs
		u.IsClusterMode = true
		u.Username, u.Password = c.Username, c.Password
		u.TLSConfig, u.ClientName, u.Protocol = c.TLSConfig, c.ClientName, c.Protocol
		u.MaxRetries, u.DialTimeout, u.ReadTimeout, u.WriteTimeout = c.MaxRetries, c.DialTimeout, c.ReadTimeout, c.WriteTimeout
		u.PoolSize, u.MinIdleConns, u.MaxIdleConns, u.PoolTimeout = c.PoolSize, c.MinIdleConns, c.MaxIdleConns, c.PoolTimeout
		u.ConnMaxIdleTime, u.ConnMaxLifetime = c.ConnMaxIdleTime, c.ConnMaxLifetime
	default:
		s, err := goredis.ParseURL(raw)
		if err != nil {
			return err
		}
		u.Addrs = []string{s.Addr}
		u.Username, u.Password = s.Username, s.Password
		u.DB, u.TLSConfig, u.ClientName, u.Protocol = s.DB, s.TLSConfig, s.ClientName, s.Protocol
		u.MaxRetries, u.DialTimeout, u.ReadTimeout, u.WriteTimeout = s.MaxRetries, s.DialTimeout, s.ReadTimeout, s.WriteTimeout
		u.PoolSize, u.MinIdleConns, u.MaxIdleConns, u.PoolTimeout = s.PoolSize, s.MinIdleConns, s.MaxIdleConns, s.PoolTimeout
		u.ConnMaxIdleTime, u.ConnMaxLifetime = s.ConnMaxIdleTime, s.ConnMaxLifetime
	}
	return nil
}

// secretsOf lists the passwords in o, for scrubbing error messages: the
// Password fields, every stretch of the URL that RedactURL redacts, and
// those stretches decoded as url.Parse and go-redis would decode them.
func secretsOf(o Options) []string {
	var s []string
	add := func(v string) {
		if v == "" {
			return
		}
		for _, have := range s {
			if have == v {
				return
			}
		}
		s = append(s, v)
	}
	add(o.Password)
	add(o.SentinelPassword)
	if o.URL == "" {
		return s
	}
	mask := urlSecrets(o.URL)
	for i := 0; i < len(mask); {
		if !mask[i] {
			i++
			continue
		}
		j := i
		for j < len(mask) && mask[j] {
			j++
		}
		v := o.URL[i:j]
		add(v)
		if d, err := url.PathUnescape(v); err == nil {
			add(d)
		}
		if d, err := url.QueryUnescape(v); err == nil {
			add(d)
		}
		i = j
	}
	if u, err := url.Parse(o.URL); err == nil {
		if p, ok := u.User.Password(); ok {
			add(p)
			add(url.QueryEscape(p))
			add(url.PathEscape(p))
		}
		for k, vs := range u.Query() {
			if strings.Contains(strings.ToLower(k), "password") {
				for _, v := range vs {
					add(v)
				}
			}
		}
	}
	return s
}
