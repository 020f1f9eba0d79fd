package core_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

func lookupMap(m map[string]string) func(string) (string, bool) {
	return func(n string) (string, bool) { v, ok := m[n]; return v, ok }
}

// TestConfigFromLookupRules pins the one parser's rules: unset and empty
// are absent, white space around non-secret values is ignored, secrets are
// verbatim, and the bounds hold at both ends.
func TestConfigFromLookupRules(t *testing.T) {
	ok := func(name, value string, check func(core.Config) bool) {
		t.Helper()
		c, err := core.ConfigFromLookup(lookupMap(map[string]string{name: value}))
		if err != nil || !check(c) {
			t.Errorf("%s=%q: %+v, %v", name, value, c, err)
		}
	}
	bad := func(name, value string) {
		t.Helper()
		_, err := core.ConfigFromLookup(lookupMap(map[string]string{name: value}))
		if core.KindOf(err) != core.KindConfig || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: %v, want a KindConfig error naming it", name, value, err)
		}
		if v := strings.TrimSpace(value); len(v) >= 3 && strings.Contains(err.Error(), v) {
			t.Errorf("%s=%q: the error quotes the value: %v", name, value, err)
		}
	}
	defaults := func(c core.Config) bool {
		return c.Timeout == core.DefaultTimeout && c.MaxRetries == core.DefaultMaxRetries && c.PoolSize == core.DefaultPoolSize &&
			!c.APIKey.IsSet() && c.APIURL == "" && !c.AllowCustomHost && !c.MasterKey.IsSet() && c.PreviousMasterKeys == nil && c.FileCacheDir == ""
	}
	if c, err := core.ConfigFromLookup(lookupMap(nil)); err != nil || !defaults(c) {
		t.Fatalf("nothing set: %+v, %v", c, err)
	}
	for _, n := range []string{"CACHEKIT_API_KEY", "CACHEKIT_API_URL", "CACHEKIT_TIMEOUT", "CACHEKIT_MAX_RETRIES",
		"CACHEKIT_CONNECTION_POOL_SIZE", "CACHEKIT_ALLOW_CUSTOM_HOST", "CACHEKIT_MASTER_KEY", "CACHEKIT_PREVIOUS_MASTER_KEYS", "CACHEKIT_FILE_CACHE_DIR"} {
		ok(n, "", defaults) // empty is absent
	}

	ok("CACHEKIT_TIMEOUT", " 2.5\t", func(c core.Config) bool { return c.Timeout == 2500*time.Millisecond })
	ok("CACHEKIT_TIMEOUT", "3600", func(c core.Config) bool { return c.Timeout == time.Hour })
	ok("CACHEKIT_TIMEOUT", "0.001", func(c core.Config) bool { return c.Timeout == time.Millisecond })
	for _, v := range []string{"0", "-1", "3600.5", "NaN", "nan", "Inf", "+Inf", "1e-12", "0.0000001", "abc", "5s", " ", "\t"} {
		bad("CACHEKIT_TIMEOUT", v)
	}
	ok("CACHEKIT_MAX_RETRIES", " 0 ", func(c core.Config) bool { return c.MaxRetries == 0 })
	ok("CACHEKIT_MAX_RETRIES", "100", func(c core.Config) bool { return c.MaxRetries == 100 })
	for _, v := range []string{"-1", "101", "1.5", "three", " "} {
		bad("CACHEKIT_MAX_RETRIES", v)
	}
	ok("CACHEKIT_CONNECTION_POOL_SIZE", "1", func(c core.Config) bool { return c.PoolSize == 1 })
	ok("CACHEKIT_CONNECTION_POOL_SIZE", "10000\n", func(c core.Config) bool { return c.PoolSize == 10000 })
	for _, v := range []string{"0", "-3", "10001", "ten", " "} {
		bad("CACHEKIT_CONNECTION_POOL_SIZE", v)
	}
	ok("CACHEKIT_ALLOW_CUSTOM_HOST", " true ", func(c core.Config) bool { return c.AllowCustomHost })
	ok("CACHEKIT_ALLOW_CUSTOM_HOST", "0", func(c core.Config) bool { return !c.AllowCustomHost })
	for _, v := range []string{"yes", "on", " "} {
		bad("CACHEKIT_ALLOW_CUSTOM_HOST", v)
	}
	ok("CACHEKIT_API_URL", " https://api.cachekit.io ", func(c core.Config) bool { return c.APIURL == "https://api.cachekit.io" })
	bad("CACHEKIT_API_URL", "  ")
	ok("CACHEKIT_FILE_CACHE_DIR", " /var/cache/ck ", func(c core.Config) bool { return c.FileCacheDir == "/var/cache/ck" })
	bad("CACHEKIT_FILE_CACHE_DIR", " \t")

	// Secrets are verbatim: white space stays for the consumer to refuse.
	ok("CACHEKIT_API_KEY", " ck_sdk_key ", func(c core.Config) bool { return c.APIKey.Reveal() == " ck_sdk_key " })
	ok("CACHEKIT_MASTER_KEY", " ", func(c core.Config) bool { return c.MasterKey.Reveal() == " " })
	ok("CACHEKIT_PREVIOUS_MASTER_KEYS", "aa, bb,", func(c core.Config) bool {
		p := c.PreviousMasterKeys
		return len(p) == 3 && p[0].Reveal() == "aa" && p[1].Reveal() == " bb" && p[2].Reveal() == ""
	})
}

// TestConfigNaNTimeoutRegression: NaN passed "f <= 0 || f > 3600" (every
// comparison with NaN is false) and gave a meaningless timeout; 1e-12 passed
// and gave a zero one.
func TestConfigNaNTimeoutRegression(t *testing.T) {
	for _, v := range []string{"NaN", "1e-12"} {
		c, err := core.ConfigFromLookup(lookupMap(map[string]string{"CACHEKIT_TIMEOUT": v}))
		if err == nil {
			t.Errorf("CACHEKIT_TIMEOUT=%s accepted: timeout %v", v, c.Timeout)
		}
	}
}

// TestConfigValidateBounds: Validate applies the environment parser's
// bounds to values set in code.
func TestConfigValidateBounds(t *testing.T) {
	good := core.Config{Timeout: core.DefaultTimeout, MaxRetries: core.DefaultMaxRetries, PoolSize: core.DefaultPoolSize}
	if err := good.Validate(); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
	for _, c := range []core.Config{
		{Timeout: 0, MaxRetries: 3, PoolSize: 10},
		{Timeout: 2 * time.Hour, MaxRetries: 3, PoolSize: 10},
		{Timeout: time.Second, MaxRetries: -1, PoolSize: 10},
		{Timeout: time.Second, MaxRetries: 101, PoolSize: 10},
		{Timeout: time.Second, MaxRetries: 3, PoolSize: 0},
		{Timeout: time.Second, MaxRetries: 3, PoolSize: 10001},
	} {
		if err := c.Validate(); core.KindOf(err) != core.KindConfig {
			t.Errorf("%v/%d/%d: got %v, want KindConfig", c.Timeout, c.MaxRetries, c.PoolSize, err)
		}
	}
}
