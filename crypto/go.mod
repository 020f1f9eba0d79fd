module github.com/cachekit-io/cachekit-go/crypto

go 1.26

require github.com/cachekit-io/cachekit-go/core v0.0.0-00010101000000-000000000000

replace github.com/cachekit-io/cachekit-go/core => ../core
