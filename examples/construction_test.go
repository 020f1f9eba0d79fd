package examples

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go"
	"github.com/cachekit-io/cachekit-go/core"
)

// Bad input at construction, through the presets with the real adapters
// linked: a typed KindConfig error that names the problem and shows no
// secret.
func TestConstructionErrorsNameTheProblem(t *testing.T) {
	for _, k := range []string{"CACHEKIT_API_KEY", "CACHEKIT_REDIS_URL", "REDIS_URL", "CACHEKIT_API_URL", "CACHEKIT_MASTER_KEY"} {
		t.Setenv(k, "")
	}
	const apiKey = "ck_sdk_SECRET_0123456789abcdef"
	const password = "hunter2-SECRET"
	cases := []struct {
		name    string
		env     map[string]string
		build   func() (*core.Client, error)
		mention string
		secret  string
	}{
		{"an API URL that fails the SSRF rules", map[string]string{"CACHEKIT_API_URL": "https://127.0.0.1:8443"},
			func() (*core.Client, error) { return cachekit.IO(apiKey) }, "loopback", apiKey},
		{"a malformed Redis URL", map[string]string{"CACHEKIT_REDIS_URL": "redis://:" + password + "@localhost:6379/notadb"},
			func() (*core.Client, error) { return cachekit.FromEnv(context.Background()) }, "invalid URL", password},
		{"two backends selected", map[string]string{"CACHEKIT_REDIS_URL": "redis://localhost:6379", "CACHEKIT_API_KEY": apiKey},
			func() (*core.Client, error) { return cachekit.FromEnv(context.Background()) }, "CACHEKIT_REDIS_URL", apiKey},
		{"a negative L1 size", nil,
			func() (*core.Client, error) { return cachekit.IO(apiKey, cachekit.WithL1MaxBytes(-1)) }, "WithL1MaxBytes", apiKey},
		{"a short master key", nil,
			func() (*core.Client, error) { return cachekit.IO(apiKey, cachekit.WithEncryption("abcdef0123")) }, "64 hex digits", "abcdef0123"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, err := tc.build()
			if c != nil {
				_ = c.Close()
			}
			if core.KindOf(err) != core.KindConfig || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("%v: want a KindConfig error mentioning %q", err, tc.mention)
			}
			if s := fmt.Sprintf("%v %+v %#v %q", err, err, err, err); strings.Contains(s, tc.secret) {
				t.Fatalf("the error shows a secret: %s", s)
			}
		})
	}
}
