module github.com/cachekit-io/cachekit-go/l1/otter

go 1.26

replace (
	github.com/cachekit-io/cachekit-go/conformance => ../../conformance
	github.com/cachekit-io/cachekit-go/core => ../../core
)

require (
	github.com/cachekit-io/cachekit-go/conformance v0.0.0-00010101000000-000000000000
	github.com/cachekit-io/cachekit-go/core v0.0.0-00010101000000-000000000000
	github.com/maypok86/otter/v2 v2.4.0
)

require go.uber.org/goleak v1.3.0
