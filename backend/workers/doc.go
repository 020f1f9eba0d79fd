// Package workers is the CacheKit HTTP API backend for Go compiled with
// GOOS=js GOARCH=wasm and run by Cloudflare Workers (workerd) or Node: a
// backend/cachekitio Backend whose requests go through the JavaScript fetch
// API instead of Go's net/http transport.
//
//	b, err := workers.New() // CACHEKIT_API_KEY, CACHEKIT_API_URL, … from the Worker's bindings
//	cache, err := core.New(b, core.WithCodec(protocol.Msgpack()))
//
// # Why a Transport of its own
//
// Go's net/http has a fetch-based RoundTrip for js/wasm, but it cannot serve
// here: it is switched off under Node (which then dials Go's fake network),
// it is bypassed for any Transport with a DialContext (cachekitio sets one
// for its address guard), it follows redirects (the CacheKit backend never
// does), and it stops watching the context once the headers have arrived.
// Transport calls fetch bound to the global object (workerd throws "Illegal
// invocation" otherwise), with redirect "manual", and an AbortController
// that fires whenever the request's context ends, headers or body. Request
// bodies are buffered with a bound (the backend retries from its own copy
// anyway); response bodies stream from the ReadableStream, optionally
// bounded. Errors are *core.Error with a Kind.
//
// The backend is cachekitio unchanged — the same requests, headers, key
// encoding, freshness, retries and error kinds — built with
// cachekitio.WithTransport. Nothing is duplicated, so the two cannot drift.
// The endpoint rules therefore hold here too: HTTPS only, and the
// cachekit.io hosts unless a custom host is allowed. What cachekitio does
// at dial time (the address guard, WithRootCAs, the connection pool) does
// not apply, since no dial happens in Go: the runtime connects and decides
// which certificates it trusts. Tests point the backend at a reference
// server on loopback with cachekitio.WithInsecureCustomEndpoint, which is
// for tests and self-hosted servers only; the server's development CA is
// trusted through NODE_EXTRA_CA_CERTS under Node and through the network
// service's trustedCertificates in workerd.
//
// # Running a Go handler in a Worker
//
// The subpackage worker runs an http.Handler as a Worker: the Go program
// calls worker.Serve(handler), and worker.Shim's ES module boots one Go
// instance per isolate, on the first request, and passes it every request.
// See that package for the deployment files.
//
// # Tests
//
// The module's host tests prove the backend on real components. They build
// the reference server (module server) and start it in development mode over
// TLS, compile this package's js/wasm tests once (go test -c), and run them
// both under Node, through go_js_wasm_exec as go test does, and inside
// workerd: the conformance suite, a wrong-key check, and the Transport's
// contract against a local HTTP server. They also build a Worker from
// internal/e2eworker (worker.Serve, this backend, a core client with the
// MessagePack codec), serve it with workerd and drive it over HTTP: round
// trips, misses, TTLs, freshness and expiry, locks, state kept across
// requests, error kinds, concurrent requests, a panic, and values shared
// with a native Go client. Node is found on PATH; workerd at
// $CACHEKIT_WORKERD, in .tools/node (make workers installs the pinned
// version there with npm), or on PATH. Without them the tests skip locally
// and fail when CI=true.
//
// To run the js/wasm tests by hand, start a reference server and set
// CACHEKIT_WORKERS_TEST_URL, _KEY and _MAX (see js_test.go), then
//
//	PATH=$PATH:$(go env GOROOT)/lib/wasm NODE_EXTRA_CA_CERTS=ca.pem \
//	GOOS=js GOARCH=wasm go test -parallel 32 .
//
// -parallel matters: it defaults to GOMAXPROCS, which is 1 on js/wasm, and
// the suite's subtests mostly wait on TTLs (about 20 s in parallel, 90 s
// one by one).
package workers
