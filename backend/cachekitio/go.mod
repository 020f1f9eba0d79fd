module github.com/cachekit-io/cachekit-go/backend/cachekitio

go 1.26

require (
	github.com/cachekit-io/cachekit-go/core v0.0.0-00010101000000-000000000000
	github.com/google/uuid v1.6.0
)

replace github.com/cachekit-io/cachekit-go/core => ../../core
