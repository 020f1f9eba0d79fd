package cachekitio

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// keyOps are the eight keyed calls; each must check the key before a
// request is built.
func keyOps(t *testing.T, b *Backend) []func(key string) error {
	ctx := t.Context()
	return []func(string) error{
		func(k string) error { _, _, err := b.Get(ctx, k); return err },
		func(k string) error { return b.Set(ctx, k, []byte("v"), time.Minute) },
		func(k string) error { return b.Delete(ctx, k) },
		func(k string) error { _, err := b.Exists(ctx, k); return err },
		func(k string) error { _, _, err := b.TTL(ctx, k); return err },
		func(k string) error { _, err := b.Expire(ctx, k, time.Minute); return err },
		func(k string) error { _, _, err := b.Lock(ctx, k, time.Second); return err },
		func(k string) error { _, err := b.Unlock(ctx, k, "L"); return err },
	}
}

// Each key rule of the service (cache-key-format.md, Server-Side
// Requirements) is enforced before any request: KindInvalidInput, a message
// naming the rule, nothing on the wire. Keys that pass are sent.
func TestKeyValidation(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.RequestURI, "/lock") && r.Method == http.MethodPost:
			_, _ = w.Write([]byte(`{"lock_id":"L"}`))
		case strings.HasSuffix(r.RequestURI, "/ttl"):
			_, _ = w.Write([]byte(`{"ttl":5,"updated":true}`))
		}
	})
	b := rec.backend(t)
	ops := keyOps(t, b)
	const (
		reserved  = `the keys "", ".", "..", "health", "ttl" and "lock"`
		length    = "keys of 1 to 400 characters"
		charset   = "only the characters [A-Za-z0-9_.:-]"
		traversal = `contain ".."`
		nsShape   = `must be ns:{namespace}:{rest}`
		nsapi     = `must be nsapi:{namespace}:{rest}`
	)
	ns64 := strings.Repeat("n", 64)
	cases := []struct {
		key  string
		rule string // "" = accepted
	}{
		// reserved (API-9)
		{"", reserved}, {".", reserved}, {"..", reserved},
		{"health", reserved}, {"ttl", reserved}, {"lock", reserved},
		{"Health", ""}, {"ttl:1", ""}, {"locks", ""},
		// length: 1–400
		{"a", ""}, {strings.Repeat("a", 400), ""},
		{strings.Repeat("a", 401), length}, {strings.Repeat("a", 5000), length},
		// charset
		{"AZaz09_.:-", ""},
		{"a/b", charset}, {"a b", charset}, {"a\tb", charset}, {"a\x00b", charset},
		{"a\x7fb", charset}, {"café", charset}, {"100%", charset}, {"a%3Ab", charset},
		{"a~b", charset}, {"k?x=1", charset}, {"k#f", charset}, {`a\b`, charset},
		{"a+b", charset}, {"f(x)", charset}, {`"q"`, charset}, {"😀", charset},
		{strings.Repeat("é", 200), charset}, // 400 bytes: the charset rule, not length
		// traversal
		{"a..b", traversal}, {"..a", traversal}, {"a:..", traversal}, {"...", traversal},
		{"ns:users:..", traversal},
		{".a", ""}, {"a.", ""}, {"a.b.c", ""}, {"a:.:b", ""},
		// namespace shape
		{"ns:users:k", ""}, {"ns:a:b:c", ""}, {"nsapi:users:k", ""}, {"ns:" + ns64 + ":k", ""},
		{"ns:Us-er_1:k", ""},
		{"ns:key", nsShape}, {"ns:", nsShape}, {"ns::k", nsShape}, {"ns:users:", nsShape},
		{"ns:us.ers:k", nsShape}, {"ns:" + ns64 + "x:k", nsShape},
		{"nsapi:key", nsapi}, {"nsapi::k", nsapi}, {"nsapi:users:", nsapi},
		// not the prefixes
		{"NS:key", ""}, {"nsx:key", ""}, {"ns", ""}, {"nsapi", ""}, {"xns:key", ""},
	}
	for _, c := range cases {
		verdict := ValidateKey(c.key)
		if (verdict == nil) != (c.rule == "") {
			t.Errorf("ValidateKey(%.40q) = %v, want rule %q", c.key, verdict, c.rule)
			continue
		}
		before := rec.count()
		for i, op := range ops {
			err := op(c.key)
			if c.rule == "" {
				if err != nil {
					t.Errorf("key %.40q op %d: %v", c.key, i, err)
				}
				continue
			}
			var ce *core.Error
			if !errors.As(err, &ce) || ce.Kind != core.KindInvalidInput || ce.Key != c.key {
				t.Errorf("key %.40q op %d: %v, want a *core.Error of KindInvalidInput for the key", c.key, i, err)
				continue
			}
			if !strings.Contains(ce.Msg, c.rule) {
				t.Errorf("key %.40q op %d: message %q does not name the rule %q", c.key, i, ce.Msg, c.rule)
			}
			if strings.ContainsAny(ce.Msg, "\x00\t\r\n\x7f") {
				t.Errorf("key %.40q: message %q carries a control character", c.key, ce.Msg)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("the API key leaked into %q", err)
			}
		}
		sent := rec.count() - before
		if c.rule != "" && sent != 0 {
			t.Errorf("key %.40q: %d requests sent for a key the service rejects", c.key, sent)
		}
		if c.rule == "" && sent != len(ops) {
			t.Errorf("key %.40q: %d of %d requests sent", c.key, sent, len(ops))
		}
	}
}

// keyOracle is the service's key rules written independently, as regular
// expressions, for the randomized and fuzz tests.
var (
	oracleCharset = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,400}$`)
	oracleNS      = regexp.MustCompile(`^(ns|nsapi):[A-Za-z0-9_-]{1,64}:.+$`)
)

func oracleAccepts(key string) bool {
	switch key {
	case "", ".", "..", "health", "ttl", "lock":
		return false
	}
	if !oracleCharset.MatchString(key) || strings.Contains(key, "..") {
		return false
	}
	if strings.HasPrefix(key, "ns:") || strings.HasPrefix(key, "nsapi:") {
		return oracleNS.MatchString(key)
	}
	return true
}

// checkAgainstOracle asserts ValidateKey agrees with the oracle on key, and
// that an accepted key is one segment the server decodes back to itself.
func checkAgainstOracle(t *testing.T, key string) {
	t.Helper()
	err := ValidateKey(key)
	if want := oracleAccepts(key); (err == nil) != want {
		t.Fatalf("ValidateKey(%q) = %v, oracle accepts: %v", key, err, want)
	}
	if err != nil {
		if core.KindOf(err) != core.KindInvalidInput {
			t.Fatalf("ValidateKey(%q): kind %v", key, core.KindOf(err))
		}
		return
	}
	enc := encodeKey(key)
	if strings.ContainsAny(enc, "/?#\\ ") || enc != strings.ReplaceAll(key, ":", "%3A") {
		t.Fatalf("accepted key %q encodes to %q", key, enc)
	}
}

// A fuzz-style table: keys drawn from an alphabet weighted towards the
// characters the rules turn on ('.', ':', the ns prefixes, bytes just
// outside the charset), with lengths around the 400 limit, judged by the
// independent oracle. The seed is fixed so failures reproduce.
func TestValidateKeyRandomized(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	pieces := []string{"a", "Z", "0", "_", "-", ".", ".", ":", ":", "ns:", "nsapi:", "ns", "/", " ", "%", "~", "\x00", "\x7f", "é", "health", "ttl", "lock"}
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for i := 0; i < n; i++ {
		var sb strings.Builder
		parts := r.IntN(8)
		if r.IntN(20) == 0 {
			sb.WriteString(strings.Repeat("k", 395+r.IntN(10)))
		}
		for j := 0; j < parts; j++ {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		checkAgainstOracle(t, sb.String())
	}
}

// FuzzValidateKey checks ValidateKey against the oracle on any input; its
// seed corpus is in testdata/fuzz/FuzzValidateKey.
func FuzzValidateKey(f *testing.F) {
	for _, k := range []string{"ns:users:k", "ns:key", "a..b", "health", "User:Key", "nsapi:x:y", "a/b"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) { checkAgainstOracle(t, key) })
}
