package workers

import (
	"github.com/cachekit-io/cachekit-go/backend/cachekitio"
)

// New returns a cachekitio.Backend whose requests go through a fetch
// Transport: the CacheKit HTTP API backend, usable from Go compiled with
// GOOS=js GOARCH=wasm in Cloudflare Workers and Node. It is cachekitio.New
// with cachekitio.WithTransport(&Transport{}) put first, so opts (and the
// CACHEKIT_* environment variables, which the worker shim fills from the
// Worker's text and secret bindings) configure everything else, the
// Transport included: a later cachekitio.WithTransport replaces it.
//
// The URL rules of cachekitio apply unchanged: HTTPS only, and the
// allow-list unless cachekitio.WithAllowCustomHost. cachekitio.WithRootCAs
// and the connection pool size have no effect (the runtime's fetch owns
// connections and trust), nor has the dial-time address guard: the literal
// address checks on the URL remain. Errors are *core.Error of KindConfig.
//
// Built for any other platform, New succeeds but every request fails with
// KindConfig; use cachekitio.New there.
func New(opts ...cachekitio.Option) (*cachekitio.Backend, error) {
	all := make([]cachekitio.Option, 0, len(opts)+1)
	all = append(all, cachekitio.WithTransport(&Transport{}))
	return cachekitio.New(append(all, opts...)...)
}
