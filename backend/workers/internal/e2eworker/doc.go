// Command e2eworker is the Worker the module's workerd test serves: a Go
// http.Handler, run by the worker package, that drives the workers backend
// and a core client (MessagePack codec) against the reference server and
// reports each result as JSON. It reads CACHEKIT_API_URL and
// CACHEKIT_API_KEY from the Worker's bindings and points the backend at
// the URL with cachekitio.WithInsecureCustomEndpoint, since the test
// server listens on loopback: test use only. Build it with GOOS=js
// GOARCH=wasm.
package main
