package workers

import (
	"net/http"
)

// DefaultMaxRequestBytes bounds a request body when
// Transport.MaxRequestBytes is zero: 32 MiB, above the reference server's
// 25 MiB value limit and well inside a Worker's 128 MB of memory.
const DefaultMaxRequestBytes = 32 << 20

// Transport is an http.RoundTripper over the JavaScript fetch API, for Go
// compiled with GOOS=js GOARCH=wasm and run by Cloudflare Workers (workerd)
// or Node. The zero value is ready to use and safe for concurrent use.
//
// On every request it calls fetch as globalThis.fetch(url, init) — bound to
// the global object, which workerd insists on — with redirect "manual" (a
// 3xx is returned, never followed) and an AbortController signal that
// fires when the request's context ends, before or after the response
// headers arrive. The request body is read and buffered first (at most
// MaxRequestBytes); the response body streams chunk by chunk from the
// response's ReadableStream, and closing it early cancels the stream.
// Connection-level header fields (Host, Content-Length, Connection,
// Transfer-Encoding, …) are left to the runtime. When the runtime has
// decoded a gzip, deflate or br response, Content-Encoding and
// Content-Length are dropped, ContentLength is -1 and Uncompressed is true.
//
// Errors are *core.Error: the context's kind (KindCanceled, KindTimeout)
// when the context ended; KindTimeout for a runtime TimeoutError;
// KindConfig for a certificate the runtime rejected (Node reports it);
// KindPayloadTooLarge for a body over a bound; KindInvalidInput for a
// request fetch refuses (bad header, method or URL); KindTransient for
// every other network failure. Messages carry the method and the URL
// without user information or query, and never a header value: the
// runtime's own text, which quotes the URL it was given or the header value
// it rejected, is kept with every URL in it cut to scheme, host and path,
// the request URL's user information, query and fragment removed, and a
// rejected header named, not quoted.
//
// RoundTrip blocks its goroutine until the response headers arrive, and a
// body Read until the next chunk does: call them from a goroutine, never
// synchronously from inside a js.FuncOf callback (the event loop would wait
// for itself; the worker package runs every handler on its own goroutine).
// Built for any other platform, RoundTrip fails with KindConfig.
type Transport struct {
	// MaxRequestBytes bounds a request body (it is buffered before fetch
	// is called); larger bodies fail with KindPayloadTooLarge before
	// anything is sent. Zero means DefaultMaxRequestBytes.
	MaxRequestBytes int64
	// MaxResponseBytes bounds a response body as it streams: the Read that
	// passes it fails with KindPayloadTooLarge and cancels the stream. Zero
	// means no bound here (cachekitio bounds what it reads itself, with
	// cachekitio.WithMaxResponseBytes).
	MaxResponseBytes int64
}

var _ http.RoundTripper = (*Transport)(nil)

// op is the Op of every error the Transport returns.
const op = "workers.fetch"

func closeBody(req *http.Request) {
	if req != nil && req.Body != nil {
		_ = req.Body.Close()
	}
}
