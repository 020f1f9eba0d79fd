module github.com/cachekit-io/cachekit-go/l1/bigcache

go 1.26

require (
	github.com/allegro/bigcache/v3 v3.1.0
	github.com/cachekit-io/cachekit-go/conformance v0.0.0-00010101000000-000000000000
	github.com/cachekit-io/cachekit-go/core v0.0.0-00010101000000-000000000000
)

require go.uber.org/goleak v1.3.0

replace (
	github.com/cachekit-io/cachekit-go/conformance => ../../conformance
	github.com/cachekit-io/cachekit-go/core => ../../core
)
