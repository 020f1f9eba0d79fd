package core

import (
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
	// MasterKey is CACHEKIT_MASTER_KEY (hex).
	MasterKey Secret
	// PreviousMasterKeys is CACHEKIT_PREVIOUS_MASTER_KEYS (comma separated hex).
	PreviousMasterKeys []Secret
}

// Default values of Config.
const (
	DefaultTimeout    = 5 * time.Second
	DefaultMaxRetries = 3
	DefaultPoolSize   = 10
)

// ConfigFromEnv reads Config from the process environment.
func ConfigFromEnv() (Config, error) { return ConfigFromLookup(os.LookupEnv) }

// ConfigFromLookup reads Config through lookup (os.LookupEnv or a map in
// tests). A malformed value is an *Error of KindConfig naming the variable
// (never its value, which may be a secret).
func ConfigFromLookup(lookup func(string) (string, bool)) (Config, error) {
	c := Config{Timeout: DefaultTimeout, MaxRetries: DefaultMaxRetries, PoolSize: DefaultPoolSize}
	get := func(name string) (string, bool) {
		v, ok := lookup(name)
		v = strings.TrimSpace(v)
		return v, ok && v != ""
	}
	bad := func(name, why string) error {
		return &Error{Kind: KindConfig, Op: "config", Msg: name + ": " + why}
	}
	if v, ok := get("CACHEKIT_API_KEY"); ok {
		c.APIKey = NewSecret(v)
	}
	if v, ok := get("CACHEKIT_API_URL"); ok {
		c.APIURL = v
	}
	if v, ok := get("CACHEKIT_TIMEOUT"); ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f > 3600 {
			return Config{}, bad("CACHEKIT_TIMEOUT", "want a number of seconds in (0, 3600]")
		}
		c.Timeout = time.Duration(f * float64(time.Second))
	}
	if v, ok := get("CACHEKIT_MAX_RETRIES"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 100 {
			return Config{}, bad("CACHEKIT_MAX_RETRIES", "want an integer in [0, 100]")
		}
		c.MaxRetries = n
	}
	if v, ok := get("CACHEKIT_CONNECTION_POOL_SIZE"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return Config{}, bad("CACHEKIT_CONNECTION_POOL_SIZE", "want an integer in [1, 10000]")
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
	if v, ok := get("CACHEKIT_MASTER_KEY"); ok {
		c.MasterKey = NewSecret(v)
	}
	if v, ok := get("CACHEKIT_PREVIOUS_MASTER_KEYS"); ok {
		for i, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				return Config{}, bad("CACHEKIT_PREVIOUS_MASTER_KEYS", "entry "+strconv.Itoa(i+1)+" is empty")
			}
			c.PreviousMasterKeys = append(c.PreviousMasterKeys, NewSecret(part))
		}
	}
	return c, nil
}
