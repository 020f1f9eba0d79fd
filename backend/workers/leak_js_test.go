//go:build js && wasm

package workers_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/backend/workers"
	"github.com/cachekit-io/cachekit-go/core"
)

// TestJSTransportErrorsHideSecrets: the Transport's errors carry the
// method and the URL without user information, query or fragment, and
// never a header value — including the runtime's own message, which
// quotes the URL it was given ("Request cannot be constructed from a URL
// that includes credentials: https://user:…@…", "Failed to parse URL from
// https://…?key=…") or the value it rejected ("Headers.append: \"…\" is an
// invalid header value"). It needs no server: every request fails before
// reaching one, or at 127.0.0.1:1 where nothing listens.
func TestJSTransportErrorsHideSecrets(t *testing.T) {
	const mark = "LEAKMARK"
	tr := &workers.Transport{}
	check := func(t *testing.T, what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
		for e := err; e != nil; e = errors.Unwrap(e) {
			for _, s := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e)} {
				if strings.Contains(s, mark) {
					t.Errorf("%s: the error shows a secret: %s", what, s)
				}
			}
		}
	}
	for _, u := range []*url.URL{
		{Scheme: "https", User: url.UserPassword("user", mark+"-pw"), Host: "127.0.0.1:1", Path: "/v1/cache/k"},
		{Scheme: "https", User: url.User(mark + "-token"), Host: "127.0.0.1:1", Path: "/v1/cache/k"},
		{Scheme: "https", User: url.UserPassword("user", mark+"/?#@"), Host: "127.0.0.1:1", Path: "/v1/cache/k"},
		{Scheme: "https", Host: "bad host", Path: "/v1/cache/k", RawQuery: "key=" + mark},
		{Scheme: "https", Host: "127.0.0.1:99999", Path: "/v1/cache/k", RawQuery: "key=" + mark, Fragment: mark},
		{Scheme: "https", Host: "127.0.0.1:1", Path: "/v1/cache/k", RawQuery: "key=" + mark},
		{Scheme: "https", Host: "127.0.0.1:1", Path: "/v1/cache/k", Fragment: mark},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, err := http.NewRequestWithContext(ctx, "GET", "https://example.invalid/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL = u
		req.Header.Set("Authorization", "Bearer "+mark)
		_, err = tr.RoundTrip(req)
		cancel()
		check(t, "GET "+u.Redacted(), err)
		if err != nil && !strings.Contains(err.Error(), "GET https://") {
			t.Errorf("GET %s: the error lost the method and URL: %v", u.Redacted(), err)
		}
	}
	for _, v := range []string{"Bearer " + mark + "\r\nX: y", "Bearer " + mark + "\x00", "a\n" + mark} {
		req, _ := http.NewRequest("GET", "https://127.0.0.1:1/v1/cache/k", nil)
		req.Header["Authorization"] = []string{v}
		_, err := tr.RoundTrip(req)
		check(t, fmt.Sprintf("header value %q", v), err)
		if core.KindOf(err) != core.KindInvalidInput || !strings.Contains(err.Error(), `"Authorization"`) {
			t.Errorf("header value %q: %v; want KindInvalidInput naming the field", v, err)
		}
	}
	req, _ := http.NewRequest("GET", "https://127.0.0.1:1/v1/cache/k", nil)
	req.Header["X-"+mark+" bad name"] = []string{"v"}
	_, err := tr.RoundTrip(req)
	check(t, "bad header name", err)
	if core.KindOf(err) != core.KindInvalidInput {
		t.Errorf("bad header name: %v; want KindInvalidInput", err)
	}
}
