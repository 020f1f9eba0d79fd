package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Development mode: generated keys and CA are printed, the server answers
// over TLS, and it shuts down gracefully when its context ends.
func TestRunDevMode(t *testing.T) {
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-storage", "memory"}, func(string) string { return "" }, &out)
	}()
	addrRe := regexp.MustCompile(`"addr":"([^"]+)"`)
	var addr string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRe.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
			break
		}
	}
	if addr == "" {
		cancel()
		t.Fatalf("no listening line: %s", out.String())
	}
	key := regexp.MustCompile(`ck_live_dev_\S+`).FindString(out.String())
	caPath := regexp.MustCompile(`\S+ca\.pem`).FindString(out.String())
	ca, err := os.ReadFile(caPath)
	if err != nil || key == "" {
		cancel()
		t.Fatalf("key %q, CA %q: %v", key, caPath, err)
	}
	defer os.RemoveAll(strings.TrimSuffix(caPath, "/ca.pem"))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("GET", "https://"+addr+"/v1/cache/health", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := c.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var h map[string]any
	_ = json.NewDecoder(res.Body).Decode(&h)
	res.Body.Close()
	if res.StatusCode != 200 || h["status"] != "ok" {
		t.Errorf("health: %d %v", res.StatusCode, h)
	}
	// A target net/http cannot parse, over TLS without credentials: the
	// server's 401 with API-2's headers, not net/http's plain-text 400.
	if tc, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost"}); err != nil {
		t.Errorf("tls dial: %v", err)
	} else {
		_, _ = tc.Write([]byte("GET /v1/cache/bad%zzkey HTTP/1.1\r\nHost: localhost\r\n\r\n"))
		res, err := http.ReadResponse(bufio.NewReader(tc), nil)
		if err != nil {
			t.Errorf("raw request: %v", err)
		} else if res.StatusCode != 401 || res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Vary") != "Authorization" {
			t.Errorf("malformed target without credentials: %d %v", res.StatusCode, res.Header)
		}
		tc.Close()
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	if !strings.Contains(out.String(), `"msg":"stopped"`) {
		t.Errorf("no stopped log: %s", out.String())
	}
	if _, err := os.Stat(caPath); !os.IsNotExist(err) {
		t.Errorf("the development CA outlived the server: %v", err)
	}
	// Logs (JSON lines) carry no key.
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "{") && strings.Contains(line, key) {
			t.Errorf("log line reveals a key: %s", line)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	env := func(string) string { return "" }
	for _, args := range [][]string{
		{"-listen", "0.0.0.0:0"},               // dev mode off loopback
		{"-tls-cert", "x.pem"},                 // cert without key
		{"-storage", "nope"},                   // unknown storage
		{"-storage", "redis"},                  // no URL
		{"-keys", "/nonexistent/keys.json"},    // unreadable keys file
		{"-log-level", "loud"},                 // bad level
		{"-max-memory", "-1"},                  // negative bound
		{"-max-memory", "9223372036854775807"}, // overflows in bytes
	} {
		if err := run(context.Background(), args, env, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// The CORS, rate limit and edge settings: flags, their environment
// fallbacks, and the errors of bad values.
func TestCORSRateEdgeConfig(t *testing.T) {
	env := map[string]string{
		"CACHEKIT_SERVER_CORS_ORIGINS":       "https://a.example, https://b.example",
		"CACHEKIT_SERVER_RATE_LIMIT":         "2.5",
		"CACHEKIT_SERVER_RATE_BURST":         "4",
		"CACHEKIT_SERVER_EDGE_CACHE_MB":      "8",
		"CACHEKIT_SERVER_EDGE_BUDGET":        "30s",
		"CACHEKIT_SERVER_EDGE_STORE_SIGNALS": "false",
	}
	c, err := parseConfig(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.corsOrigins != env["CACHEKIT_SERVER_CORS_ORIGINS"] || c.rateLimit != 2.5 || c.rateBurst != 4 ||
		c.edgeCacheMB != 8 || c.edgeBudget != 30*time.Second || c.edgeStoreSignals {
		t.Fatalf("from the environment: %+v", c)
	}
	c, err = parseConfig([]string{"-rate-limit", "10", "-edge-cache-mb", "1", "-edge-budget", "1m", "-edge-store-signals=true"},
		func(k string) string { return env[k] })
	if err != nil || c.rateLimit != 10 || c.edgeCacheMB != 1 || c.edgeBudget != time.Minute || !c.edgeStoreSignals {
		t.Fatalf("flags over the environment: %+v %v", c, err)
	}
	c, err = parseConfig(nil, func(string) string { return "" })
	if err != nil || c.rateLimit != 0 || c.edgeCacheMB != 0 || c.edgeBudget != 5*time.Second || !c.edgeStoreSignals {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	if _, err := parseConfig(nil, func(k string) string {
		if k == "CACHEKIT_SERVER_RATE_LIMIT" {
			return "fast"
		}
		return ""
	}); err == nil {
		t.Error("a non-numeric CACHEKIT_SERVER_RATE_LIMIT was accepted")
	}
	none := func(string) string { return "" }
	for _, args := range [][]string{
		{"-listen", "127.0.0.1:0", "-storage", "memory", "-cors-origins", "*"},
		{"-listen", "127.0.0.1:0", "-storage", "memory", "-cors-origins", "https://a.example/path"},
		{"-listen", "127.0.0.1:0", "-storage", "memory", "-rate-limit", "-1"},
		{"-listen", "127.0.0.1:0", "-storage", "memory", "-edge-cache-mb", "1", "-edge-budget", "301s"},
	} {
		if err := run(context.Background(), args, none, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
