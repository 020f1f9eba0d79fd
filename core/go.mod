module github.com/cachekit-io/cachekit-go/core

go 1.26
