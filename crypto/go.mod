module github.com/cachekit-io/cachekit-go/crypto

go 1.26
