package redis

import (
	"crypto/tls"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	goredis "github.com/redis/go-redis/v9"
)

// Options configures New. The zero value connects to localhost:6379.
//
// Fields set here override what URL says. Which client New builds:
// MasterName set (here or as the URL's master_name parameter) → Sentinel;
// Cluster, or more than one address → Redis Cluster; otherwise a single
// server.
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

	// GetScript makes Get (and GetMany) read the value and its PTTL with
	// one Lua script (EVALSHA) instead of a GET+PTTL pipeline. Both take one
	// round trip. The script is atomic; the pipeline is faster (measured
	// here: about 25% for one key, 2.5× for a batch of 100) and, if another
	// client overwrites the key between the two commands, may report the
	// new value's TTL for the old value.
	GetScript bool

	// NoFreshness makes Get and GetMany read values with a bare GET: one
	// command per key instead of two, and hits report core.UnknownFreshness.
	// It is an opt-in trade, and overrides GetScript:
	//   - An upper tier keeps a copy for its own bound (compose's backfill
	//     cap, 30 s by default), possibly past the key's Redis TTL: the
	//     protocol's rule for a read without a remaining-freshness signal,
	//     where the default bounds every copy by the key's PTTL.
	//   - Client-side stale-while-revalidate cannot see a value's age, so a
	//     GetOrLoad never refreshes ahead; an object cache is bounded by its
	//     maxAge alone.
	// Measured on loopback (bench/README.md): a Redis hit through an L1 stack
	// costs about 8 points less over a bare GET, and Redis serves half the
	// commands for L1 misses. TTL and the other calls are unchanged.
	NoFreshness bool

	// InvalidationPrefixes limits the invalidations a WatchInvalidations
	// receives (and so a composition over this backend) to keys starting
	// with one of these prefixes, for instance a client's "ns:users:". Empty
	// watches every key of the database. Redis sends a watch the name of
	// every matching key that changes, so on a Redis shared with busy
	// unrelated data, narrow it.
	InvalidationPrefixes []string
	// InvalidationPing is how long an invalidation watch's connection may be
	// silent before it is pinged; an unanswered ping after as long again
	// drops the watcher's copies and reconnects (default
	// DefaultInvalidationPing, 1 s). It bounds how long a silently broken
	// connection can hide a change.
	InvalidationPing time.Duration
}

const redacted = "xxxxx"

// String returns the options with every password redacted.
func (o Options) String() string { return fmt.Sprintf("%+v", o) }

// Format prints the options for every verb (%v, %+v, %#v, %s) with passwords,
// including the URL's, redacted.
func (o Options) Format(f fmt.State, verb rune) {
	type plain Options // no methods: formats as a struct
	c := plain(o)
	c.URL = RedactURL(c.URL)
	if c.Password != "" {
		c.Password = redacted
	}
	if c.SentinelPassword != "" {
		c.SentinelPassword = redacted
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), c)
}

// RedactURL returns rawURL with the password in its userinfo, and any
// password or sentinel_password query parameter, replaced by "xxxxx". It
// works on strings url.Parse rejects too.
func RedactURL(rawURL string) string {
	if rawURL == "" {
		return ""
	}
	if u, err := url.Parse(rawURL); err == nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), redacted)
		}
		q := u.Query()
		changed := false
		for k := range q {
			if strings.Contains(strings.ToLower(k), "password") {
				q.Set(k, redacted)
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return redactText(rawURL)
}

// userinfoRe matches scheme://user:password@ in free text; passwordRe
// matches password=value query parameters.
var (
	userinfoRe = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@\s]*@`)
	passwordRe = regexp.MustCompile(`(?i)(password=)[^&\s"']*`)
)

// redactText removes URL passwords from free text.
func redactText(s string) string {
	s = userinfoRe.ReplaceAllString(s, "${1}"+redacted+"@")
	return passwordRe.ReplaceAllString(s, "${1}"+redacted)
}

// universal turns Options into go-redis UniversalOptions, and reports the
// mode chosen. Errors are *core.Error of KindConfig, with secrets redacted.
func (o Options) universal() (*goredis.UniversalOptions, error) {
	u := &goredis.UniversalOptions{}
	if o.URL != "" {
		if err := fromURL(u, o.URL, o.Cluster); err != nil {
			return nil, &core.Error{
				Kind: core.KindConfig,
				Op:   "redis.new",
				Msg:  "invalid URL " + RedactURL(o.URL),
				Err:  scrubbed(err, secretsOf(o)),
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

// fromURL fills u from a go-redis URL.
func fromURL(u *goredis.UniversalOptions, raw string, cluster bool) error {
	parsed, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole URL: keep only the reason.
		if ue, ok := err.(*url.Error); ok {
			return ue.Err
		}
		return err
	}
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

// secretsOf lists the passwords in o, for scrubbing error messages.
func secretsOf(o Options) []string {
	var s []string
	add := func(v string) {
		if v != "" {
			s = append(s, v)
		}
	}
	add(o.Password)
	add(o.SentinelPassword)
	if o.URL != "" {
		if u, err := url.Parse(o.URL); err == nil {
			if p, ok := u.User.Password(); ok {
				add(p)
				add(url.QueryEscape(p))
			}
			for k, vs := range u.Query() {
				if strings.Contains(strings.ToLower(k), "password") {
					for _, v := range vs {
						add(v)
					}
				}
			}
		} else if m := userinfoRe.FindStringSubmatch(o.URL); m != nil {
			// Unparsable URL: the password is between the match's prefix and '@'.
			full := userinfoRe.FindString(o.URL)
			add(strings.TrimSuffix(strings.TrimPrefix(full, m[1]), "@"))
		}
	}
	return s
}
