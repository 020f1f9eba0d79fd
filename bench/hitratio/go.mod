module github.com/cachekit-io/cachekit-go/bench/hitratio

go 1.26.0

replace (
	github.com/cachekit-io/cachekit-go/conformance => ../../conformance
	github.com/cachekit-io/cachekit-go/core => ../../core
	github.com/cachekit-io/cachekit-go/l1/bigcache => ../../l1/bigcache
	github.com/cachekit-io/cachekit-go/l1/otter => ../../l1/otter
	github.com/cachekit-io/cachekit-go/protocol => ../../protocol
)

require (
	github.com/cachekit-io/cachekit-go/core v0.0.0-00010101000000-000000000000
	github.com/cachekit-io/cachekit-go/l1/bigcache v0.0.0-00010101000000-000000000000
	github.com/cachekit-io/cachekit-go/l1/otter v0.0.0-00010101000000-000000000000
	github.com/cachekit-io/cachekit-go/protocol v0.0.0-00010101000000-000000000000
	github.com/dgraph-io/ristretto/v2 v2.4.2
	github.com/go-redis/cache/v9 v9.0.0
	github.com/maypok86/otter/v2 v2.4.0
)

require (
	github.com/allegro/bigcache/v3 v3.1.0 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/dgryski/go-rendezvous v0.0.0-20200823014737-9f7001d12a5f // indirect
	github.com/dustin/go-humanize v1.0.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/klauspost/compress v1.13.6 // indirect
	github.com/klauspost/cpuid/v2 v2.2.10 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/redis/go-redis/v9 v9.0.0-rc.4 // indirect
	github.com/shamaton/msgpack/v2 v2.4.0 // indirect
	github.com/vmihailenco/go-tinylfu v0.2.2 // indirect
	github.com/vmihailenco/msgpack/v5 v5.3.4 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
	github.com/zeebo/xxh3 v1.1.0 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sync v0.1.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
