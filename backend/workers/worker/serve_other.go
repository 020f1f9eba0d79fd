//go:build !(js && wasm)

package worker

import (
	"net/http"

	"github.com/cachekit-io/cachekit-go/core"
)

// Serve hands h to the Worker shim and then serves requests for the life of
// the isolate: it never returns once it has the shim. Built for any other
// platform than GOOS=js GOARCH=wasm it returns a *core.Error of KindConfig
// at once.
func Serve(h http.Handler) error {
	return &core.Error{Kind: core.KindConfig, Op: op,
		Msg: "worker.Serve needs a GOOS=js GOARCH=wasm build run by the worker shim"}
}
