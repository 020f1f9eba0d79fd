// Package worker runs a Go http.Handler as a Cloudflare Worker: the
// program, built with GOOS=js GOARCH=wasm, calls Serve, and a small ES
// module (Shim) boots it inside workerd and hands it every request.
//
//	func main() {
//		log.Fatal(worker.Serve(http.HandlerFunc(hello)))
//	}
//
// # One Go instance per isolate
//
// The shim instantiates the program once per isolate, on the first request
// (a Worker may do no I/O at global scope), and keeps it: memory — caches,
// counters, open backends — lives across requests, as it does in a server.
// (Instantiating Go per request would lose all of it and pay the start-up
// every time.) The Worker's string bindings (vars and secrets) are the
// program's environment, so os.Getenv("CACHEKIT_API_KEY") reads a secret.
// If the program exits or fails to start, the next request starts a fresh
// instance.
//
// Requests enter Go one at a time per isolate. Go's scheduler runs every
// goroutine that is ready whenever JavaScript calls into Go, so with
// concurrent requests one request's fetch could be started inside another
// request's callback, and workerd ties every subrequest and stream to the
// request that was running when it was made: measured here, 19 of 20
// concurrent requests that waited on one mutex failed with "your Worker's
// code had hung" without serialising, none with it (the e2e test keeps that
// case). Serialising keeps each request's I/O in its own request; workerd
// spreads load over more isolates. The cost: a handler that never returns
// blocks its isolate, so bound every handler with timeouts. Work a handler
// leaves running after it returns (a goroutine, a timer) resumes only while
// later requests run, and its subrequests belong to them.
//
// Each request runs on its own goroutine with a context that ends when the
// handler returns or the client goes away. The response is buffered and
// sent when the handler returns (no streaming, no informational responses);
// a handler that panics produces a 500 and a log line, and the instance
// lives on. Request bodies stream from the Worker's request.
//
// # Deployment
//
// A Worker is three modules: the shim as main module, the stock
// wasm_exec.js of the Go release that built the program, and the program
// as app.wasm:
//
//	GOOS=js GOARCH=wasm go build -o app.wasm .
//	cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" .
//	# shim.mjs: this package's shim.mjs (or the string Shim returns)
//
// With wrangler, main = "shim.mjs" in wrangler.toml (its default rules
// import *.wasm as a WebAssembly.Module, as the shim expects). With workerd:
//
//	const worker :Workerd.Worker = (
//	  modules = [
//	    (name = "shim.mjs", esModule = embed "shim.mjs"),
//	    (name = "wasm_exec.js", esModule = embed "wasm_exec.js"),
//	    (name = "app.wasm", wasm = embed "app.wasm"),
//	  ],
//	  compatibilityDate = "2025-09-01",
//	  bindings = [(name = "CACHEKIT_API_KEY", fromEnvironment = "CACHEKIT_API_KEY")],
//	);
//
// Size: Go with net/http is large. The test Worker (this package, the
// workers backend, core, the MessagePack codec) is 12.5 MB of wasm, 3.2 MB
// gzipped: within the Workers Paid plan's 10 MB compressed limit, over the
// Free plan's 3 MB. Built for any other platform than
// js/wasm, Serve returns an error at once.
package worker
