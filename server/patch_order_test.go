package server_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/server"
	"github.com/cachekit-io/cachekit-go/server/memstore"
)

// pausingStore holds the first Get after arm until release is closed (after
// closing reached), as a store round trip would in the middle of PATCH's
// read and write-back.
type pausingStore struct {
	*memstore.Store
	mu      sync.Mutex
	armed   bool
	reached chan struct{}
	release chan struct{}
}

func (p *pausingStore) arm() {
	p.mu.Lock()
	p.armed, p.reached, p.release = true, make(chan struct{}), make(chan struct{})
	p.mu.Unlock()
}

func (p *pausingStore) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	e, ok, err := p.Store.Get(ctx, key)
	p.mu.Lock()
	armed, reached, release := p.armed, p.reached, p.release
	p.armed = false
	p.mu.Unlock()
	if armed {
		close(reached)
		<-release
	}
	return e, ok, err
}

// A PUT or DELETE made while PATCH /ttl is between its read and its
// write-back is not undone by it: PATCH used to write the bytes it had read
// back over the PUT's value, or over the DELETE.
func TestPatchTTLDoesNotUndoConcurrentWrites(t *testing.T) {
	for _, write := range []string{"PUT", "DELETE"} {
		t.Run(write, func(t *testing.T) {
			ps := &pausingStore{Store: memstore.New()}
			e := newEnv(t, func(c *server.Config) { c.Storage = ps })
			e.put(liveA, "/v1/cache/k", "v1", ttlHdr("60"))
			ps.arm()
			patched := make(chan resp, 1)
			go func() {
				patched <- e.do(req{method: "PATCH", path: "/v1/cache/k/ttl", key: liveA, body: []byte(`{"ttl":600}`)})
			}()
			<-ps.reached // PATCH has read the entry
			wrote := make(chan resp, 1)
			go func() {
				if write == "PUT" {
					wrote <- e.do(req{method: "PUT", path: "/v1/cache/k", key: liveA, body: []byte("v2"), hdr: ttlHdr("60")})
				} else {
					wrote <- e.do(req{method: "DELETE", path: "/v1/cache/k", key: liveA})
				}
			}()
			// The write either finishes while PATCH is held (the old
			// behaviour) or waits for PATCH to finish.
			var w resp
			select {
			case w = <-wrote:
			case <-time.After(200 * time.Millisecond):
			}
			close(ps.release)
			if r := <-patched; r.status != http.StatusOK {
				t.Fatalf("PATCH: %d %s", r.status, r.body)
			}
			if w.status == 0 {
				w = <-wrote
			}
			if w.status != http.StatusOK {
				t.Fatalf("%s: %d %s", write, w.status, w.body)
			}
			g := e.do(req{method: "GET", path: "/v1/cache/k", key: liveA})
			switch {
			case write == "PUT" && (g.status != http.StatusOK || string(g.body) != "v2"):
				t.Fatalf("GET after PUT v2 raced a PATCH: %d %q, want 200 \"v2\"", g.status, g.body)
			case write == "DELETE" && g.status != http.StatusNotFound:
				t.Fatalf("GET after DELETE raced a PATCH: %d %q, want 404", g.status, g.body)
			}
		})
	}
}
