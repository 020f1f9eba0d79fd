module github.com/cachekit-io/cachekit-go/backend/file

go 1.26.0

require (
	github.com/cachekit-io/cachekit-go/conformance v0.0.0-00010101000000-000000000000
	github.com/cachekit-io/cachekit-go/core v0.0.0-00010101000000-000000000000
	golang.org/x/crypto v0.58.0
	golang.org/x/sys v0.49.0
)

replace (
	github.com/cachekit-io/cachekit-go/conformance => ../../conformance
	github.com/cachekit-io/cachekit-go/core => ../../core
)
