package worker_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/cachekit-io/cachekit-go/backend/workers/worker"
)

// The main function of a Worker written in Go; build it with
// GOOS=js GOARCH=wasm go build -o app.wasm and deploy it with the shim.
func ExampleServe() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from Go")
	})
	log.Fatal(worker.Serve(mux)) // returns only if not run by the shim
}
