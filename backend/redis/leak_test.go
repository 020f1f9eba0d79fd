package redis

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"reflect"
	"strings"
	"testing"
)

// leakMark is part of every password in these tests; no output may hold it.
const leakMark = "LEAKMARK"

// noLeak fails t when s holds leakMark.
func noLeak(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, leakMark) {
		t.Errorf("%s shows the password: %q", what, s)
	}
}

// noLeakErr checks err's message, its %+v and %#v, and every error of its
// chain.
func noLeakErr(t *testing.T, what string, err error) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		noLeak(t, what, e.Error())
		noLeak(t, what+" %+v", fmt.Sprintf("%+v", e))
		noLeak(t, what+" %#v", fmt.Sprintf("%#v", e))
	}
}

// URLs whose password url.Parse rejects or misreads: whitespace from a
// secrets file, reserved characters left unescaped, a bad escape.
var awkwardURLs = []string{
	"redis://:" + leakMark + "-abc123 x@127.0.0.1:1/0",
	"redis://:" + leakMark + "-abc123\n@127.0.0.1:1/0",
	"redis://:" + leakMark + "-abc123\t@127.0.0.1:1/0",
	"redis://:" + leakMark + "-abc123\r\n@127.0.0.1:1/0",
	"redis://user:" + leakMark + "-abc123#x@127.0.0.1:1/0",
	"redis://:" + leakMark + "-abc123?x@127.0.0.1:1/0",
	"redis://:" + leakMark + "-abc123/x@127.0.0.1:1/0",
	"redis://:" + leakMark + "-abc123%zz@127.0.0.1:1/0",
	"redis://:" + leakMark + "-a@b@127.0.0.1:1/0",
	"rediss://bob:" + leakMark + "-abc123 x@127.0.0.1:1",
	"unix://bob:" + leakMark + "-abc123\n@/tmp/redis.sock",
	// A password that url.Parse splits into a valid host:port and a path,
	// query or fragment.
	"redis://bob:6379/" + leakMark + "@127.0.0.1:1/0",
	"redis://bob:6379?" + leakMark + "@127.0.0.1:1/0",
	"redis://bob:6379#" + leakMark + "@127.0.0.1:1/0",
	// A password written as the user name, with a newline.
	"redis://" + leakMark + "\n@127.0.0.1:1/0",
	// No scheme, and a leading space.
	":" + leakMark + " x@127.0.0.1:1",
	" redis://:" + leakMark + "@127.0.0.1:1",
	// Query passwords with awkward characters.
	"redis://127.0.0.1:1/0?password=" + leakMark + " x",
	"redis://127.0.0.1:1/0?password=" + leakMark + "@x",
	"redis://127.0.0.1:1/0?password=" + leakMark + "#x",
	"redis://127.0.0.1:1/0?master_name=m&sentinel_password=" + leakMark + "@x",
	"redis://127.0.0.1:1/0?pass%77ord=" + leakMark,
}

func TestRedactURLAnyUserinfo(t *testing.T) {
	for _, u := range awkwardURLs {
		noLeak(t, fmt.Sprintf("RedactURL(%q)", u), RedactURL(u))
	}
	// What a redacted URL keeps.
	for _, tc := range []struct{ in, want string }{
		{"redis://:pw x@h:1/0", "redis://:xxxxx@h:1/0"},
		{"redis://:pw\n@h:1/0", "redis://:xxxxx@h:1/0"},
		{"redis://bob:pw#x@h:1/0", "redis://bob:xxxxx@h:1/0"},
		{"redis://bob:6379/pw@h:1/0", "redis://bob:xxxxx@h:1/0"},
		{"redis://pw\n@h:1", "redis://xxxxx@h:1"},
		{"redis://bob@h:1", "redis://bob@h:1"},
		{"redis://h:1?password=a@b&db=2", "redis://h:xxxxx&db=2"}, // more than needed, never less
		{"redis://h:1?pass%77ord=pw&db=2", "redis://h:1?pass%77ord=xxxxx&db=2"},
		{"redis://h:1?Sentinel_Password=pw", "redis://h:1?Sentinel_Password=xxxxx"},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// New's error for a URL it rejects never quotes the password, whatever
// url.Parse or go-redis made of it (url.Parse's "invalid port
// \":<password>\" after host" among others).
func TestNewAwkwardURLNoLeak(t *testing.T) {
	for _, u := range awkwardURLs {
		o := Options{URL: u}
		noLeak(t, fmt.Sprintf("%%v of Options{URL: %q}", u), fmt.Sprintf("%v %+v %#v %s %q %x %d", o, o, o, o, o, o, o))
		b, err := New(o)
		if err != nil {
			noLeakErr(t, fmt.Sprintf("New(%q)", u), err)
			continue
		}
		noLeak(t, fmt.Sprintf("Backend of %q", u), fmt.Sprintf("%v %s %+v", b, backendValue(b), backendValue(b)))
		b.Close()
	}
	// The reason stays useful: a bad port is named, a bad password is
	// called one.
	_, err := New(Options{URL: "redis://:" + leakMark + "#1@127.0.0.1:1/0"})
	if err == nil || !strings.Contains(err.Error(), "user information") || !strings.Contains(err.Error(), "redis://:xxxxx@127.0.0.1:1/0") {
		t.Errorf("New(password with '#') = %v; want an invalid user information error naming the redacted URL", err)
	}
	_, err = New(Options{URL: "redis://:" + leakMark + "@h:port/0"})
	if err == nil || !strings.Contains(err.Error(), `invalid port ":port"`) {
		t.Errorf("New(bad port) = %v; want net/url's reason", err)
	}
	// A password with '@' in a query parameter is fine.
	u, err := Options{URL: "redis://127.0.0.1:1/0?master_name=m&password=p@ss"}.universal()
	if err != nil || u.Password != "p@ss" {
		t.Errorf("universal(password=p@ss) = %v, %v", u, err)
	}
}

// Options, as a value or a pointer, through encoding/json and slog's text
// and JSON handlers: passwords redacted, the TLS config not dumped.
func TestOptionsJSONAndSlogRedact(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{{1, 2, 3}}, PrivateKey: key}
	raw, err := key.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	secretD := new(big.Int).SetBytes(raw).String() // how encoding/json would print it
	o := Options{
		URL:              "redis://alice:" + leakMark + "-1@h:1/0?sentinel_password=" + leakMark + "-2",
		Username:         "alice",
		Password:         leakMark + "-3",
		SentinelPassword: leakMark + "-4",
		TLSConfig:        &tls.Config{Certificates: []tls.Certificate{cert}},
		Addrs:            []string{"h:1"},
	}
	for _, v := range []any{o, &o} {
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(%T): %v", v, err)
		}
		noLeak(t, fmt.Sprintf("json.Marshal(%T)", v), string(j))
		if strings.Contains(string(j), secretD) || strings.Contains(string(j), "PrivateKey") {
			t.Errorf("json.Marshal(%T) dumps the TLS config: %s", v, j)
		}
		var back map[string]any
		if err := json.Unmarshal(j, &back); err != nil || back["Username"] != "alice" || back["Password"] != redacted {
			t.Errorf("json.Marshal(%T) = %s; want the fields, passwords redacted", v, j)
		}
		for _, h := range []func(*bytes.Buffer) slog.Handler{
			func(w *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(w, nil) },
			func(w *bytes.Buffer) slog.Handler { return slog.NewTextHandler(w, nil) },
		} {
			var buf bytes.Buffer
			slog.New(h(&buf)).Info("config", "opts", v)
			noLeak(t, fmt.Sprintf("slog of %T", v), buf.String())
			if !strings.Contains(buf.String(), "alice") {
				t.Errorf("slog of %T = %s; want the user name", v, buf.String())
			}
		}
	}
	// encoding/gob refuses Options outright, TLS config or not.
	for _, v := range []any{o, &o, Options{Password: leakMark + "-5"}} {
		var g bytes.Buffer
		err := gob.NewEncoder(&g).Encode(v)
		if err == nil || !strings.Contains(err.Error(), "never gob-encoded") {
			t.Errorf("gob of %T: %v, want a refusal", v, err)
		}
		noLeak(t, fmt.Sprintf("gob of %T", v), g.String())
		if err != nil {
			noLeak(t, fmt.Sprintf("gob error of %T", v), err.Error())
		}
	}
	j, err := json.Marshal(Options{})
	if err != nil || !strings.Contains(string(j), `"TLSConfig":null`) {
		t.Errorf("json.Marshal(Options{}) = %s, %v", j, err)
	}
}

// backendValue returns a copy of *b as an any, as a caller's logging helper
// might make one (through reflection: go vet rejects copying a Backend).
func backendValue(b *Backend) any { return reflect.ValueOf(b).Elem().Interface() }

// A Backend value (not pointer), which its pointer-receiver Format does
// not cover, formats through reflection: %s, %q, %x and %d used to print
// its password list.
func TestBackendValueFormatNoLeak(t *testing.T) {
	b, err := New(Options{Addrs: []string{"127.0.0.1:1"}, Password: leakMark + "-1",
		URL: "redis://:" + leakMark + "-2@127.0.0.1:1/0"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	v := backendValue(b)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%p"} {
		noLeak(t, verb+" of a Backend value", fmt.Sprintf(verb, v))
		noLeak(t, verb+" of a *Backend", fmt.Sprintf(verb, b))
		noLeak(t, verb+" of the secrets", fmt.Sprintf(verb, b.secrets))
		noLeak(t, verb+" of []any{Backend value}", fmt.Sprintf(verb, []any{v}))
	}
	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(w *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(w, nil) },
		func(w *bytes.Buffer) slog.Handler { return slog.NewTextHandler(w, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("b", "backend", b, "secrets", b.secrets)
		noLeak(t, "slog of a Backend", buf.String())
	}
	if j, err := json.Marshal(b.secrets); err != nil {
		t.Error(err)
	} else {
		noLeak(t, "json of the secrets", string(j))
	}
	for _, x := range []any{v, b.secrets} {
		var g bytes.Buffer
		if err := gob.NewEncoder(&g).Encode(x); err == nil {
			noLeak(t, fmt.Sprintf("gob of %T", x), g.String())
		} else {
			noLeak(t, fmt.Sprintf("gob error of %T", x), err.Error())
		}
	}
	if len(b.secrets) == 0 || !b.secrets[0].IsSet() {
		t.Errorf("the backend lost its password list")
	}
}
