package cachekit

import (
	"context"
	"os"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/registry"
)

// Open builds a client over the backend rawURL names, opened by the
// core/registry driver that registered the URL's scheme, in the manner of
// gocloud.dev's URL openers:
//
//   - redis://[user:password@]host:port/db and rediss:// (TLS) → Redis
//     (backend/redis), with the production preset;
//   - memcached://host:port[,host:port…] → memcached (backend/memcached),
//     with the production preset;
//   - file:///absolute/path → a cache directory (backend/file), with the
//     production preset;
//   - https://api.cachekit.io (or another origin the SSRF rules admit) →
//     cachekit.io (backend/cachekitio), with the io preset; the API key comes
//     from CACHEKIT_API_KEY only, never from the URL;
//   - a third-party driver's scheme → that driver, with the production
//     preset.
//
// The adapter must be linked (a blank import will do), or Open fails with
// a core.KindConfig error naming the package to import. A URL that does not
// parse, or that its driver refuses, is a core.KindConfig error that never
// repeats the URL's user information (the password); Open's own errors
// name the scheme at most. Open takes the options FromEnv takes, apart from
// WithInProcessDefault; like FromEnv it turns encryption on only when an
// option asks for it. Close releases the L1, the composition and the
// backend.
func Open(ctx context.Context, rawURL string, opts ...Option) (*core.Client, error) {
	const ctor = "Open"
	cfg := collect(opts)
	if err := check(ctor, cfg, append(encryptionOptions, openerOptions...)...); err != nil {
		return nil, err
	}
	scheme, err := registry.Scheme(rawURL)
	if err != nil {
		return nil, err
	}
	d, ok := registry.LookupScheme(scheme)
	if !ok {
		for _, k := range knownDrivers {
			if contains(k.schemes, scheme) {
				return nil, configErr(op(ctor), scheme+":// URLs are opened by the "+k.name+" driver, which is not linked: import _ \""+k.pkg+"\"")
			}
		}
		return nil, configErr(op(ctor), "no linked driver opens "+scheme+":// URLs (import the adapter that registers the scheme)")
	}
	enc, err := explicitEncryption(ctor, cfg)
	if err != nil {
		return nil, err
	}
	b, err := d.OpenURL(ctx, rawURL, registry.Config{Lookup: os.LookupEnv, Options: cfg.backendOpts})
	if err != nil {
		closeEnc(enc)
		return nil, err
	}
	return build(ctor, presetOf(d.Name), b, true, enc, cfg)
}
