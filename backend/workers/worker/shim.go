package worker

import _ "embed"

//go:embed shim.mjs
var shim string

// Shim returns the source of shim.mjs, the ES module that runs a Go
// program as a Worker. Deploy it as the Worker's main module next to two
// more modules: "wasm_exec.js", the stock file of the Go release that built
// the program ($(go env GOROOT)/lib/wasm/wasm_exec.js), and "app.wasm", the
// program itself. The package documentation shows how, for workerd and for
// wrangler.
func Shim() string { return shim }

// op is the Op of the errors Serve returns.
const op = "worker.serve"
