package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestServiceServesUsersAndMetrics(t *testing.T) {
	for _, k := range []string{"CACHEKIT_API_KEY", "CACHEKIT_REDIS_URL", "REDIS_URL"} {
		t.Setenv(k, "") // the in-process stand-in
	}
	var lookups atomic.Int64
	lookup := func(ctx context.Context, id int) (User, error) {
		lookups.Add(1)
		return User{ID: id, Name: "u"}, nil
	}
	h, closeCache, err := newService(context.Background(), slog.New(slog.DiscardHandler), lookup)
	if err != nil {
		t.Fatal(err)
	}
	defer closeCache()
	ts := httptest.NewServer(h)
	defer ts.Close()
	get := func(path string) string {
		t.Helper()
		resp, err := ts.Client().Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	for range 3 {
		if got := get("/users/7"); !strings.Contains(got, `"id":7`) {
			t.Fatalf("user: %s", got)
		}
	}
	if n := lookups.Load(); n != 1 {
		t.Fatalf("%d lookups for one user, want 1", n)
	}
	metrics := get("/metrics")
	for _, want := range []string{
		`cachekit_requests_total{op="load",result="ok",tier="client"} 1`,
		`cachekit_requests_total{op="get",result="miss",tier="client"} 1`,
		`cachekit_requests_total{op="get",result="hit",tier="client"} 2`,
		`cachekit_requests_total{op="get",result="hit",tier="l1"} 2`,
		`cachekit_requests_total{op="set",result="ok",tier="l2"} 1`,
		`cachekit_request_duration_seconds_count{op="load",tier="client"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if t.Failed() {
		t.Log(metrics)
	}
}
