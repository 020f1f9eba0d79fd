package cachekitio

import (
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// TestEnvAgreesWithCore: every CACHEKIT_* value gets the same verdict, and
// the same setting, from New as from core.ConfigFromLookup, the one parser:
// trimming, empty values and bounds included. (The backend parsed the
// variables itself, and took pool sizes above 10000 and API URLs that were
// only white space.)
func TestEnvAgreesWithCore(t *testing.T) {
	base := map[string]string{
		"CACHEKIT_API_KEY":           testKey,
		"CACHEKIT_API_URL":           "https://cache.example.com",
		"CACHEKIT_ALLOW_CUSTOM_HOST": "true",
	}
	cases := map[string][]string{
		"CACHEKIT_TIMEOUT":              {"", "2.5", " 2.5 ", "0", "0.001", "1e-12", "NaN", "3600", "3601", " "},
		"CACHEKIT_MAX_RETRIES":          {"", "0", " 7\t", "100", "101", "-1", "x", " "},
		"CACHEKIT_CONNECTION_POOL_SIZE": {"", "1", " 4 ", "10000", "10001", "0", " "},
		"CACHEKIT_ALLOW_CUSTOM_HOST":    {"", "true", " TRUE ", "1", "yes", " "},
		"CACHEKIT_API_URL":              {"", "https://cache.example.com", " https://cache.example.com\n", " "},
		"CACHEKIT_API_KEY":              {"", testKey, " " + testKey, testKey + " "},
	}
	for name, values := range cases {
		for _, v := range values {
			env := map[string]string{}
			for k, x := range base {
				env[k] = x
			}
			env[name] = v
			getenv := func(k string) string { return env[k] }
			want, werr := core.ConfigFromLookup(func(k string) (string, bool) { x, ok := env[k]; return x, ok })
			b, err := newBackend(nil, getenv)
			switch {
			case werr != nil:
				if core.KindOf(err) != core.KindConfig {
					t.Errorf("%s=%q: core refuses (%v), New gives %v", name, v, werr, err)
				}
			case !want.APIKey.IsSet() || want.APIKey.Reveal() != testKey || !want.AllowCustomHost && want.APIURL != "":
				// Not a usable backend configuration: New must refuse it.
				if core.KindOf(err) != core.KindConfig {
					t.Errorf("%s=%q: New accepts an unusable configuration: %v", name, v, err)
				}
			case err != nil:
				t.Errorf("%s=%q: core accepts, New refuses: %v", name, v, err)
			default:
				if b.timeout != want.Timeout || b.maxRetries != want.MaxRetries || b.transport.MaxIdleConnsPerHost != want.PoolSize {
					t.Errorf("%s=%q: New has %v/%d/%d, core %v/%d/%d", name, v,
						b.timeout, b.maxRetries, b.transport.MaxIdleConnsPerHost, want.Timeout, want.MaxRetries, want.PoolSize)
				}
				if wantHost := "cache.example.com"; want.APIURL == "" {
					if b.base.Host != "api.cachekit.io" {
						t.Errorf("%s=%q: host %s, want the default", name, v, b.base.Host)
					}
				} else if b.base.Host != wantHost {
					t.Errorf("%s=%q: host %s", name, v, b.base.Host)
				}
				_ = b.Close()
			}
		}
	}
}

// TestOptionsKeepTheEnvironmentsBounds: WithTimeout, WithMaxRetries and
// WithConnectionPoolSize refuse what the environment refuses, with
// KindConfig, and accept its bounds. (The options had no upper bound: a pool
// of a million idle connections or a week-long attempt passed.)
func TestOptionsKeepTheEnvironmentsBounds(t *testing.T) {
	cases := []struct {
		name string
		opt  Option
		ok   bool
	}{
		{"timeout 1ms", WithTimeout(time.Millisecond), true},
		{"timeout 1h", WithTimeout(time.Hour), true},
		{"timeout 0", WithTimeout(0), false},
		{"timeout 1µs", WithTimeout(time.Microsecond), false},
		{"timeout 2h", WithTimeout(2 * time.Hour), false},
		{"retries 0", WithMaxRetries(0), true},
		{"retries 100", WithMaxRetries(100), true},
		{"retries -1", WithMaxRetries(-1), false},
		{"retries 101", WithMaxRetries(101), false},
		{"pool 1", WithConnectionPoolSize(1), true},
		{"pool 10000", WithConnectionPoolSize(10000), true},
		{"pool 0", WithConnectionPoolSize(0), false},
		{"pool 10001", WithConnectionPoolSize(10001), false},
	}
	for _, c := range cases {
		_, err := newBackend([]Option{WithAPIKey(testKey), WithoutEnv(), c.opt}, func(string) string { return "" })
		if c.ok && err != nil {
			t.Errorf("%s: refused: %v", c.name, err)
		}
		if !c.ok && core.KindOf(err) != core.KindConfig {
			t.Errorf("%s: got %v, want a KindConfig error", c.name, err)
		}
	}
}
