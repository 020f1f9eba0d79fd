package core

import (
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the CacheKit configuration read from the environment (the
// CACHEKIT_* names of the protocol). Adapters and the crypto module take what
// they need from it; the client itself needs none of it.
//
// Two rules from the protocol's intent-presets spec:
//   - CACHEKIT_MASTER_KEY supplies a key but never turns encryption on; only
//     the secure preset or an explicit option does.
//   - CACHEKIT_DEFAULT_TTL is reserved and is not read: the default TTL comes
//     from the preset or an explicit option, never from the process
//     environment.
//
// Secrets are held as Secret values and never printed.
type Config struct {
	// APIKey is CACHEKIT_API_KEY, the cachekit.io API key.
	APIKey Secret
	// APIURL is CACHEKIT_API_URL; empty means the adapter's default.
	APIURL string
	// Timeout is CACHEKIT_TIMEOUT (seconds, fractional allowed); default 5 s.
	Timeout time.Duration
	// MaxRetries is CACHEKIT_MAX_RETRIES; default 3.
	MaxRetries int
	// PoolSize is CACHEKIT_CONNECTION_POOL_SIZE; default 10.
	PoolSize int
	// AllowCustomHost is CACHEKIT_ALLOW_CUSTOM_HOST (true/false); default false.
	AllowCustomHost bool
	// MasterKey is CACHEKIT_MASTER_KEY (hex, checked by the crypto module).
	MasterKey Secret
	// PreviousMasterKeys is CACHEKIT_PREVIOUS_MASTER_KEYS (comma separated
	// hex, checked by the crypto module).
	PreviousMasterKeys []Secret
	// FileCacheDir is CACHEKIT_FILE_CACHE_DIR, the directory of the file
	// backend (backend/file); empty means that backend's default.
	FileCacheDir string
}

// Default values of Config.
const (
	DefaultTimeout    = 5 * time.Second
	DefaultMaxRetries = 3
	DefaultPoolSize   = 10
)

// Bounds of the numeric variables: a value outside them is a KindConfig
// error.
const (
	minTimeout    = time.Millisecond
	maxTimeout    = time.Hour
	maxMaxRetries = 100
	maxPoolSize   = 10000
)

// ConfigFromEnv reads Config from the process environment: ConfigFromLookup
// with os.LookupEnv.
func ConfigFromEnv() (Config, error) { return ConfigFromLookup(os.LookupEnv) }

// ConfigFromLookup reads Config through lookup (os.LookupEnv, or a map in
// tests). It is the one parser of the CACHEKIT_* variables: the adapters and
// the crypto module read the environment through it. The rules:
//
//   - A variable that is unset or empty is absent: its field keeps its
//     default.
//   - Secrets (CACHEKIT_API_KEY, CACHEKIT_MASTER_KEY, the entries of
//     CACHEKIT_PREVIOUS_MASTER_KEYS) are taken verbatim, never trimmed: a
//     key with white space in it is the consumer's to refuse (a
//     cachekit.io API key and a hex master key hold none).
//     CACHEKIT_PREVIOUS_MASTER_KEYS is split at every comma, and an empty
//     entry is kept for the consumer to refuse.
//   - Other values are trimmed of surrounding white space, then parsed:
//     CACHEKIT_TIMEOUT is a finite number of seconds, fractions allowed,
//     from 0.001 to 3600; CACHEKIT_MAX_RETRIES an integer from 0 to 100;
//     CACHEKIT_CONNECTION_POOL_SIZE an integer from 1 to 10000; CACHEKIT_ALLOW_CUSTOM_HOST a boolean as strconv.ParseBool
//     reads it (true, false, 1, 0, ...); CACHEKIT_FILE_CACHE_DIR a
//     directory path. A value that is only white space is malformed, not
//     absent.
//
// A malformed value is an *Error of KindConfig naming the variable, never
// quoting its value (which may be a secret); the Config returned with it is
// the zero Config.
func ConfigFromLookup(lookup func(string) (string, bool)) (Config, error) {
	c := Config{Timeout: DefaultTimeout, MaxRetries: DefaultMaxRetries, PoolSize: DefaultPoolSize}
	raw := func(name string) (string, bool) {
		v, ok := lookup(name)
		return v, ok && v != ""
	}
	get := func(name string) (string, bool) {
		v, ok := raw(name)
		return strings.TrimSpace(v), ok
	}
	bad := func(name, why string) error {
		return &Error{Kind: KindConfig, Op: "config", Msg: name + ": " + why}
	}
	if v, ok := raw("CACHEKIT_API_KEY"); ok {
		c.APIKey = NewSecret(v)
	}
	if v, ok := get("CACHEKIT_API_URL"); ok {
		if v == "" {
			return Config{}, bad("CACHEKIT_API_URL", "want a URL, got white space")
		}
		c.APIURL = v
	}
	if v, ok := get("CACHEKIT_TIMEOUT"); ok {
		f, err := strconv.ParseFloat(v, 64)
		// Rounded, not truncated: 1.001 * 1e9 is 1000999999.9999999 in
		// floating point, and a plain decimal must read to its exact
		// nanosecond.
		d := time.Duration(math.Round(f * float64(time.Second)))
		// !(a && b) also refuses NaN, which fails every comparison.
		if err != nil || !(f > 0 && f <= maxTimeout.Seconds()) || d < minTimeout {
			return Config{}, bad("CACHEKIT_TIMEOUT", "want a number of seconds from 0.001 to 3600")
		}
		c.Timeout = d
	}
	if v, ok := get("CACHEKIT_MAX_RETRIES"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxMaxRetries {
			return Config{}, bad("CACHEKIT_MAX_RETRIES", "want an integer from 0 to 100")
		}
		c.MaxRetries = n
	}
	if v, ok := get("CACHEKIT_CONNECTION_POOL_SIZE"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPoolSize {
			return Config{}, bad("CACHEKIT_CONNECTION_POOL_SIZE", "want an integer from 1 to 10000")
		}
		c.PoolSize = n
	}
	if v, ok := get("CACHEKIT_ALLOW_CUSTOM_HOST"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Config{}, bad("CACHEKIT_ALLOW_CUSTOM_HOST", "want true or false")
		}
		c.AllowCustomHost = b
	}
	if v, ok := get("CACHEKIT_FILE_CACHE_DIR"); ok {
		if v == "" {
			return Config{}, bad("CACHEKIT_FILE_CACHE_DIR", "want a directory path, got white space")
		}
		c.FileCacheDir = v
	}
	if v, ok := raw("CACHEKIT_MASTER_KEY"); ok {
		c.MasterKey = NewSecret(v)
	}
	if v, ok := raw("CACHEKIT_PREVIOUS_MASTER_KEYS"); ok {
		for _, part := range strings.Split(v, ",") {
			c.PreviousMasterKeys = append(c.PreviousMasterKeys, NewSecret(part))
		}
	}
	return c, nil
}

// Validate checks the numeric settings of c against the bounds the
// environment parser applies: Timeout from 1 ms to 1 h, MaxRetries from 0 to
// 100, PoolSize from 1 to 10000. Adapters call it on what their own options
// set, so that a value refused in the environment is refused as an option
// too. A value out of bounds is an *Error of KindConfig naming the setting.
func (c Config) Validate() error {
	bad := func(what string) error { return &Error{Kind: KindConfig, Op: "config", Msg: what} }
	switch {
	case c.Timeout < minTimeout || c.Timeout > maxTimeout:
		return bad("timeout: want from 1ms to 1h, got " + c.Timeout.String())
	case c.MaxRetries < 0 || c.MaxRetries > maxMaxRetries:
		return bad("max retries: want from 0 to 100, got " + strconv.Itoa(c.MaxRetries))
	case c.PoolSize < 1 || c.PoolSize > maxPoolSize:
		return bad("connection pool size: want from 1 to 10000, got " + strconv.Itoa(c.PoolSize))
	}
	return nil
}
