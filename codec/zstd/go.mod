module github.com/cachekit-io/cachekit-go/codec/zstd

go 1.26.0

require (
	github.com/cachekit-io/cachekit-go/core v0.0.0-00010101000000-000000000000
	github.com/cachekit-io/cachekit-go/protocol v0.0.0-00010101000000-000000000000
	github.com/klauspost/compress v1.18.6
)

require (
	github.com/google/uuid v1.6.0 // indirect
	github.com/klauspost/cpuid/v2 v2.2.10 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/shamaton/msgpack/v2 v2.4.0 // indirect
	github.com/zeebo/xxh3 v1.1.0 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace (
	github.com/cachekit-io/cachekit-go/core => ../../core
	github.com/cachekit-io/cachekit-go/protocol => ../../protocol
)
