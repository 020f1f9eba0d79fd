package core_test

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// The variables ConfigFromLookup reads, in the order of FuzzConfigFromLookup's
// string arguments, and which of them hold secrets.
var fuzzVars = []struct {
	name   string
	secret bool
	bad    string // a value the parser refuses ("" for a secret: never refused)
}{
	{"CACHEKIT_API_KEY", true, ""},
	{"CACHEKIT_API_URL", false, " "},
	{"CACHEKIT_TIMEOUT", false, "x"},
	{"CACHEKIT_MAX_RETRIES", false, "x"},
	{"CACHEKIT_CONNECTION_POOL_SIZE", false, "x"},
	{"CACHEKIT_ALLOW_CUSTOM_HOST", false, "x"},
	{"CACHEKIT_MASTER_KEY", true, ""},
	{"CACHEKIT_PREVIOUS_MASTER_KEYS", true, ""},
}

// decimalSeconds matches the plain decimals (at most nanosecond precision)
// that time.ParseDuration reads exactly with an "s" appended.
var decimalSeconds = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,9})?$`)

// configText prints c with every verb a log line might use.
func configText(c core.Config) string {
	return fmt.Sprintf("%v|%+v|%#v|%s", c, c, c, c.PreviousMasterKeys)
}

// sameConfig reports whether a and b hold the same settings and secrets.
func sameConfig(a, b core.Config) bool {
	if a.APIKey.Reveal() != b.APIKey.Reveal() || a.MasterKey.Reveal() != b.MasterKey.Reveal() ||
		len(a.PreviousMasterKeys) != len(b.PreviousMasterKeys) {
		return false
	}
	for i := range a.PreviousMasterKeys {
		if a.PreviousMasterKeys[i].Reveal() != b.PreviousMasterKeys[i].Reveal() {
			return false
		}
	}
	return a.APIURL == b.APIURL && a.Timeout == b.Timeout && a.MaxRetries == b.MaxRetries &&
		a.PoolSize == b.PoolSize && a.AllowCustomHost == b.AllowCustomHost
}

// FuzzConfigFromLookup feeds the environment parser arbitrary values
// (unset, empty or anything) for every CACHEKIT_* variable. A refusal is a
// *core.Error of KindConfig with the zero Config, and its text depends on
// which variable is malformed, never on any value: not on a secret's, not on
// the malformed one's. An accepted Config passes Validate, holds its secrets
// verbatim, prints the same whatever the secrets are, reads a plain decimal
// timeout to the exact nanosecond, and survives a round trip through the
// text of its own settings.
func FuzzConfigFromLookup(f *testing.F) {
	f.Add("ck_sdk_acme_0123", "https://api.example", "2.5", "3", "10", "true", strings.Repeat("ab", 32), "00,11", uint8(0))
	f.Add("", " ", " 0.001 ", "0", "1", "0", "", ",", uint8(0))
	f.Add("key", "u", "3600", "100", "10000", "FALSE", "m", "", uint8(0x81))
	f.Add("CACHEKIT", "x", "1.000000001", "-1", "0", "yes", "TIMEOUT", "a,b,c", uint8(0))
	f.Add("s", "", "NaN", "1e2", "10001", "t", "\x00", "\n", uint8(0xff))
	f.Add("s", "", "1e-3", "+5", "010", " true ", "", "", uint8(0))
	f.Fuzz(func(t *testing.T, apiKey, apiURL, timeout, retries, pool, allow, master, prev string, unset uint8) {
		vals := []string{apiKey, apiURL, timeout, retries, pool, allow, master, prev}
		env := map[string]string{}
		for i, v := range fuzzVars {
			if unset&(1<<i) == 0 {
				env[v.name] = vals[i]
			}
		}
		parse := func(env map[string]string) (core.Config, error) {
			return core.ConfigFromLookup(func(n string) (string, bool) { v, ok := env[n]; return v, ok })
		}
		c, err := parse(env)

		// The same environment with other secrets: every secret that was set
		// stays set, so the outcome must not change, nor any text.
		other := map[string]string{}
		for _, v := range fuzzVars {
			val, ok := env[v.name]
			if !ok {
				continue
			}
			if v.secret {
				// Each non-empty part (of the comma list) becomes "S".
				parts := strings.Split(val, ",")
				for i := range parts {
					if parts[i] != "" {
						parts[i] = "S"
					}
				}
				val = strings.Join(parts, ",")
			}
			other[v.name] = val
		}
		c2, err2 := parse(other)
		if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("the secrets change the outcome: %v / %v", err, err2)
		}

		if err != nil {
			var ce *core.Error
			if !errors.As(err, &ce) || core.KindOf(err) != core.KindConfig {
				t.Fatalf("refusal %T %v, want a *core.Error of KindConfig", err, err)
			}
			if !sameConfig(c, core.Config{}) {
				t.Fatalf("a refusal returned a non-zero Config %+v", c)
			}
			// The text names the variable, not the value: the canonical bad
			// value in its place gives the same text.
			named := 0
			for _, v := range fuzzVars {
				if v.secret || !strings.Contains(err.Error(), v.name+":") {
					continue
				}
				named++
				canon := map[string]string{}
				for k, val := range other {
					canon[k] = val
				}
				canon[v.name] = v.bad
				_, err3 := parse(canon)
				if err3 == nil || err3.Error() != err.Error() {
					t.Fatalf("the error text quotes the value: %q, with %q in its place %v", err, v.bad, err3)
				}
			}
			if named != 1 {
				t.Fatalf("the error names %d variables: %v", named, err)
			}
			return
		}

		if err := c.Validate(); err != nil {
			t.Fatalf("an accepted Config fails Validate: %v", err)
		}
		if configText(c) != configText(c2) {
			t.Fatalf("a Config's text depends on its secrets:\n%s\n%s", configText(c), configText(c2))
		}
		if c.APIKey.Reveal() != env["CACHEKIT_API_KEY"] || c.MasterKey.Reveal() != env["CACHEKIT_MASTER_KEY"] {
			t.Fatal("a secret is not held verbatim")
		}
		if p := env["CACHEKIT_PREVIOUS_MASTER_KEYS"]; p != "" {
			if got := len(c.PreviousMasterKeys); got != strings.Count(p, ",")+1 {
				t.Fatalf("%d previous keys from %q", got, p)
			}
		}
		if v := strings.TrimSpace(env["CACHEKIT_TIMEOUT"]); decimalSeconds.MatchString(v) {
			if want, err := time.ParseDuration(v + "s"); err == nil && c.Timeout != want {
				t.Fatalf("CACHEKIT_TIMEOUT=%q reads as %v, want %v", v, c.Timeout, want)
			}
		}

		// Round trip: the Config's own settings, written back as text.
		var prevs []string
		for _, s := range c.PreviousMasterKeys {
			prevs = append(prevs, s.Reveal())
		}
		back, err := parse(map[string]string{
			"CACHEKIT_API_KEY":              c.APIKey.Reveal(),
			"CACHEKIT_API_URL":              c.APIURL,
			"CACHEKIT_TIMEOUT":              fmt.Sprintf("%d.%09d", c.Timeout/time.Second, c.Timeout%time.Second),
			"CACHEKIT_MAX_RETRIES":          strconv.Itoa(c.MaxRetries),
			"CACHEKIT_CONNECTION_POOL_SIZE": strconv.Itoa(c.PoolSize),
			"CACHEKIT_ALLOW_CUSTOM_HOST":    strconv.FormatBool(c.AllowCustomHost),
			"CACHEKIT_MASTER_KEY":           c.MasterKey.Reveal(),
			"CACHEKIT_PREVIOUS_MASTER_KEYS": strings.Join(prevs, ","),
		})
		if err != nil || !sameConfig(back, c) {
			t.Fatalf("round trip: %+v gives %+v, %v", c, back, err)
		}
	})
}
