package workers

import (
	"net/url"
	"strings"
)

// minScrubLen is the shortest URL part that scrubURL removes wherever it
// appears in a message: replacing every "a" or "id" would mangle the text
// while hiding nothing. URLs in the message lose their user information,
// query and fragment whatever their length.
const minScrubLen = 4

// scrubbedText replaces what scrubURL removes.
const scrubbedText = "[redacted]"

// scrubURL returns msg, the text of a JavaScript error about a request for
// u, without what describe leaves out of u because it may carry
// credentials: the user information, the query and the fragment. The
// runtime's messages quote the URL as it saw it ("Failed to parse URL from
// https://…?key=…", "Request cannot be constructed from a URL that includes
// credentials: https://user:password@…"), possibly normalized, so every URL
// in msg is cut to scheme, host and path, and then u's parts are removed
// wherever they still appear, raw and decoded.
func scrubURL(u *url.URL, msg string) string {
	msg = stripURLs(msg)
	if u == nil {
		return msg
	}
	var parts []string
	if u.User != nil {
		parts = append(parts, u.User.String(), u.User.Username())
		if p, ok := u.User.Password(); ok {
			parts = append(parts, p, url.PathEscape(p), url.QueryEscape(p))
		}
	}
	if u.RawQuery != "" {
		parts = append(parts, u.RawQuery)
		if q, err := url.QueryUnescape(u.RawQuery); err == nil {
			parts = append(parts, q)
		}
		for k, vs := range u.Query() {
			parts = append(parts, k)
			parts = append(parts, vs...)
		}
	}
	if u.Fragment != "" || u.RawFragment != "" {
		parts = append(parts, u.Fragment, u.RawFragment, u.EscapedFragment())
	}
	for _, p := range parts {
		if len(p) >= minScrubLen {
			msg = strings.ReplaceAll(msg, p, scrubbedText)
		}
	}
	return msg
}

// stripURLs cuts every URL in s (a scheme, "://", and what follows up to
// white space or a quote, less trailing punctuation) to its scheme, host
// and path. The user
// information is taken to end at the URL's last '@', so a password holding
// '/', '?' or '#' goes whole; an '@' in the query takes the host with it.
func stripURLs(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			break
		}
		start := i
		for start > 0 && schemeChar(s[start-1]) {
			start--
		}
		end := i + 3
		for end < len(s) && !urlEnd(s[end]) {
			end++
		}
		for end > i+3 && strings.IndexByte(".,:;)]", s[end-1]) >= 0 {
			end-- // punctuation after the URL, not part of it
		}
		rest := s[i+3 : end]
		if at := strings.LastIndexByte(rest, '@'); at >= 0 {
			rest = scrubbedText + "@" + rest[at+1:]
		}
		if q := strings.IndexAny(rest, "?#"); q >= 0 {
			rest = rest[:q] + "?" + scrubbedText
		}
		b.WriteString(s[:start])
		b.WriteString(s[start : i+3])
		b.WriteString(rest)
		s = s[end:]
	}
	if b.Len() == 0 {
		return s
	}
	b.WriteString(s)
	return b.String()
}

// schemeChar reports whether c may appear in a URL scheme.
func schemeChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}

// urlEnd reports whether c ends a URL quoted in free text.
func urlEnd(c byte) bool {
	return c <= ' ' || c == 0x7f || c == '"' || c == '\'' || c == '`' || c == '<' || c == '>'
}
