package cachekitio

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
)

// keySecretPart is the part of testKey after its class prefix: no error
// or rendering may show it, nor its first few bytes.
const keySecretPart = "test_SECRET_0123456789abcdef"

// leaksKey reports whether s shows the key or a telling piece of it: its
// secret part's first minRedactLen bytes.
func leaksKey(s string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(keySecretPart[:minRedactLen]))
}

// A server's error message is cut to maxErrorDetail bytes. The cut used to
// come before the redaction, so a key straddling it survived as its first
// bytes ("Bearer ck_sdk_test_SECR"). Every cut position is tried, and keys
// the server itself cut or upper-cased.
func TestStatusErrorCutKeyNoLeak(t *testing.T) {
	b, err := newBackend([]Option{WithoutEnv(), WithAPIKey(testKey)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	echo := "Bearer " + testKey
	for pad := maxErrorDetail - len(echo) - 2; pad <= maxErrorDetail+1; pad++ {
		body, _ := json.Marshal(map[string]string{"error": strings.Repeat("x", pad) + echo + " and more"})
		err := b.statusError("cachekitio.get", "k", &http.Response{StatusCode: 401}, body)
		if leaksKey(err.Error()) {
			t.Errorf("pad %d: the error shows a piece of the key: %v", pad, err)
		}
		if !strings.Contains(err.Error(), "xxxx") {
			t.Errorf("pad %d: the error lost the server's message: %v", pad, err)
		}
	}
	for _, msg := range []string{
		"bad token " + testKey[:len(testKey)-3],            // the server's own cut
		"bad token " + strings.ToUpper(testKey),            // echoed upper-cased
		"bad token " + testKey + " and " + testKey + "!",   // twice
		"bad token " + strings.ToUpper(testKey[:12]),       // a cut, upper-cased
		strings.Repeat("é", 90) + "Bearer " + testKey[:20], // multi-byte text before the cut
	} {
		body, _ := json.Marshal(map[string]string{"error": msg})
		err := b.statusError("cachekitio.get", "k", &http.Response{StatusCode: 500}, body)
		if leaksKey(err.Error()) {
			t.Errorf("%q: the error shows a piece of the key: %v", msg, err)
		}
	}
	// Through a real exchange, and the retry logs, as the audit found it.
	var logs bytes.Buffer
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		pad := strings.Repeat("x", maxErrorDetail-len("Bearer ")-len(testKey)+1)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": pad + r.Header.Get("Authorization")})
	})
	b = rec.backend(t, WithMaxRetries(1), WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	_, _, err = b.Get(t.Context(), "k")
	if err == nil || leaksKey(fmt.Sprintf("%v %+v %#v", err, err, err)) || leaksKey(logs.String()) {
		t.Errorf("error or logs show a piece of the key: %v\n%s", err, logs.String())
	}
	// Short keys (test keys only: real ones are far longer) are left
	// alone rather than mangling the message.
	if got := redactKey("a abc b", "abc"); got != "a abc b" {
		t.Errorf("redactKey with a 3-byte key = %q", got)
	}
	if got := redactKey("x ABCD", "abcdef"); got != "x "+redactedText {
		t.Errorf("redactKey(cut, upper-cased) = %q", got)
	}
	if got := redactKey("x abc", "abcdef"); got != "x abc" {
		t.Errorf("redactKey(3-byte prefix) = %q; short prefixes stay", got)
	}
}

// WithMaxResponseBytes(math.MaxInt64) made the bound on a body without
// Content-Length wrap to a negative limit: the read returned nothing, and
// Get reported an empty value as found.
func TestMaxResponseBytesMaxInt64(t *testing.T) {
	value := bytes.Repeat([]byte("0123456789"), 1000)
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		// Flushing before the body is complete keeps net/http from
		// declaring a Content-Length.
		_, _ = w.Write(value[:10])
		w.(http.Flusher).Flush()
		_, _ = w.Write(value[10:])
	})
	for _, max := range []int64{math.MaxInt64, math.MaxInt64 - 1, int64(len(value))} {
		b := rec.backend(t, WithMaxResponseBytes(max))
		e, found, err := b.Get(t.Context(), "k")
		if err != nil || !found || !bytes.Equal(e.Value, value) {
			t.Errorf("max %d: Get = %d bytes, %v, %v; want the %d-byte value", max, len(e.Value), found, err, len(value))
		}
	}
	b := rec.backend(t, WithMaxResponseBytes(int64(len(value)-1)))
	if _, _, err := b.Get(t.Context(), "k"); core.KindOf(err) != core.KindPayloadTooLarge {
		t.Errorf("max len-1: %v; want payload too large", err)
	}
}

// A nil Option is skipped, as core.New skips one; it used to panic.
func TestNilOptionSkipped(t *testing.T) {
	b, err := New(WithoutEnv(), nil, WithAPIKey(testKey), nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Close()
	if _, err := newBackend([]Option{nil}, func(string) string { return "" }); core.KindOf(err) != core.KindConfig {
		t.Errorf("newBackend(nil option, no key) = %v; want a config error", err)
	}
}

// backendValue returns a copy of *b as an any, as a caller's logging helper
// might make one (through reflection: go vet rejects copying a Backend).
func backendValue(b *Backend) any { return reflect.ValueOf(b).Elem().Interface() }

// A Backend value (not pointer), which the pointer's Format does not
// cover, formats through reflection: %s and %q used to print the
// credentials, and %d of the key type printed the key.
func TestBackendValueFormatNoLeak(t *testing.T) {
	b, err := New(WithoutEnv(), WithAPIKey(testKey))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	v := backendValue(b)
	cfg, err := newConfig([]Option{WithoutEnv(), WithAPIKey(testKey)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%p"} {
		for what, x := range map[string]any{
			"Backend value": v, "*Backend": b, "[]any{Backend}": []any{v},
			"core.Secret": core.NewSecret(testKey), "apiKey": b.apiKey, "auth": b.auth,
			"config value": *cfg, "*config": cfg,
		} {
			if s := fmt.Sprintf(verb, x); strings.Contains(s, keySecretPart) {
				t.Errorf("%s of a %s shows the key: %.300s", verb, what, s)
			}
		}
	}
	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(w *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(w, nil) },
		func(w *bytes.Buffer) slog.Handler { return slog.NewTextHandler(w, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("b", "b", b, "v", v, "key", core.NewSecret(testKey), "auth", b.auth, "cfg", *cfg, "pcfg", cfg)
		if strings.Contains(buf.String(), keySecretPart) {
			t.Errorf("slog shows the key: %s", buf.String())
		}
	}
	for _, x := range []any{core.NewSecret(testKey), b.auth, v, *cfg} {
		if j, err := json.Marshal(x); err != nil || strings.Contains(string(j), keySecretPart) {
			t.Errorf("json.Marshal(%T) = %s, %v", x, j, err)
		}
		var g bytes.Buffer
		if err := gob.NewEncoder(&g).Encode(x); err == nil && strings.Contains(g.String(), keySecretPart) {
			t.Errorf("gob of %T shows the key", x)
		} else if err != nil && strings.Contains(err.Error(), keySecretPart) {
			t.Errorf("gob error of %T shows the key: %v", x, err)
		}
	}
	if got := b.auth.Reveal(); got != "Bearer "+testKey {
		t.Errorf("the Authorization value is %q", got)
	}
}

// A non-positive response bound is a config error; it used to fall back
// to 64 KiB without a word.
func TestMaxResponseBytesMustBePositive(t *testing.T) {
	for _, n := range []int64{0, -1, math.MinInt64} {
		if _, err := New(WithoutEnv(), WithAPIKey(testKey), WithMaxResponseBytes(n)); core.KindOf(err) != core.KindConfig {
			t.Errorf("WithMaxResponseBytes(%d): %v; want a KindConfig error", n, err)
		}
	}
}
