package server_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/cachekit-io/cachekit-go/l1/bigcache"
	"github.com/cachekit-io/cachekit-go/server"
)

// A value the store cannot hold is 413, a permanent error, not 500, which
// SDKs treat as transient and retry.
func TestValueTooLargeForStoreIs413(t *testing.T) {
	bc, err := bigcache.New(bigcache.WithMaxBytes(64 << 20)) // -max-memory 64: 1 MiB shards
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *server.Config) { c.Storage = bc })
	r := e.do(req{method: "PUT", path: "/v1/cache/big", key: liveA, body: bytes.Repeat([]byte("x"), 2<<20), hdr: ttlHdr("60")})
	if r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("PUT of 2 MiB into 1 MiB shards: %d %s, want 413", r.status, r.body)
	}
	if r := e.do(req{method: "PUT", path: "/v1/cache/small", key: liveA, body: []byte("x"), hdr: ttlHdr("60")}); r.status != http.StatusOK {
		t.Fatalf("PUT of a small value: %d", r.status)
	}
}
