//go:build !(js && wasm)

package workers

import (
	"net/http"

	"github.com/cachekit-io/cachekit-go/core"
)

// RoundTrip fails with KindConfig: the fetch API exists only in a
// JavaScript host, so the Transport works only in a GOOS=js GOARCH=wasm
// build. Use cachekitio.New directly on other platforms.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	closeBody(req)
	return nil, &core.Error{Kind: core.KindConfig, Op: op,
		Msg: "the fetch transport needs a GOOS=js GOARCH=wasm build (Cloudflare Workers or Node); use backend/cachekitio elsewhere"}
}
