package workers

import (
	"net/url"
	"strings"
	"testing"
)

// scrubURL removes a request URL's user information, query and fragment
// from a runtime's message, however the runtime quoted the URL.
func TestScrubURL(t *testing.T) {
	const mark = "LEAKMARK"
	u := &url.URL{Scheme: "https", User: url.UserPassword("bob", mark+"pw"), Host: "h:1", Path: "/v1/cache/k",
		RawQuery: "key=" + mark + "q", Fragment: mark + "f"}
	for _, msg := range []string{
		"TypeError: Failed to parse URL from " + u.String() + ": TypeError: Invalid URL",
		"TypeError: Request cannot be constructed from a URL that includes credentials: " + u.String(),
		"Fetch API cannot load: HTTPS://BOB:" + mark + "PW@H:1/v1/cache/k?KEY=" + mark + "Q", // normalized differently
		"bad password " + mark + "pw in 'https://x:" + mark + "/?#@h/p'",
		"key=" + mark + "q appears bare; so does " + mark + "f and bob:" + mark + "pw",
		"http://proxy.invalid/?a=" + mark + " and ftp://u:" + mark + "@h",
	} {
		got := scrubURL(u, msg)
		if strings.Contains(strings.ToUpper(got), mark) {
			t.Errorf("scrubURL(%q) = %q: a secret is left", msg, got)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"x https://h:1/p y", "x https://h:1/p y"},
		{"from https://u:p@h:1/p?q=1#f: E", "from https://[redacted]@h:1/p?[redacted]: E"},
		{"(see https://h/p?k=v).", "(see https://h/p?[redacted])."},
		{`"https://h/p?k=v"`, `"https://h/p?[redacted]"`},
		{"no url here", "no url here"},
	} {
		if got := scrubURL(nil, tc.in); got != tc.want {
			t.Errorf("scrubURL(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
	// Short parts are left alone rather than mangling the text.
	short := &url.URL{Scheme: "https", Host: "h", RawQuery: "a=1"}
	if got := scrubURL(short, "a=1 is fine"); got != "a=1 is fine" {
		t.Errorf("scrubURL(short query) = %q", got)
	}
}
