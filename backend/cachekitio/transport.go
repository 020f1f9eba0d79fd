package cachekitio

import "net/http"

// WithTransport makes the backend send every request through rt instead of
// the *http.Transport it builds itself. It exists for runtimes where Go's
// own transport cannot connect, such as Go compiled to js/wasm in
// Cloudflare Workers or Node (see module backend/workers, whose Transport
// uses the JavaScript fetch API).
//
// The URL checks still apply: HTTPS only, and the allow-list and literal
// address checks unless WithAllowCustomHost or WithInsecureCustomEndpoint
// relax them. What rt does on the wire is rt's business: the dial-time
// address guard, WithRootCAs and WithConnectionPoolSize act on the built-in
// transport only, since no dial happens here. rt must not follow redirects
// (the backend never does) and must honour the request's context. Close
// calls rt's CloseIdleConnections method when it has one.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *config) {
		if rt == nil {
			c.errs = append(c.errs, configError("transport must not be nil"))
		}
		c.transport = rt
	}
}

// roundTripper returns the RoundTripper requests go through: the one given
// to WithTransport, else tr.
func (c *config) roundTripper(tr *http.Transport) http.RoundTripper {
	if c.transport != nil {
		return c.transport
	}
	return tr
}

// closeIdle closes rt's idle connections when it keeps any.
func closeIdle(rt http.RoundTripper) {
	if c, ok := rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
