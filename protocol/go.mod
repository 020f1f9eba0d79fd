module github.com/cachekit-io/cachekit-go/protocol

go 1.26.0

require (
	github.com/cachekit-io/cachekit-go/core v0.0.0-00010101000000-000000000000
	github.com/google/uuid v1.6.0
	github.com/pierrec/lz4/v4 v4.1.33
	github.com/shamaton/msgpack/v2 v2.4.0
	github.com/zeebo/xxh3 v1.1.0
	golang.org/x/crypto v0.58.0
)

require (
	github.com/klauspost/cpuid/v2 v2.2.10 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace github.com/cachekit-io/cachekit-go/core => ../core
