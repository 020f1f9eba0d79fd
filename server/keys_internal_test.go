package server

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go/backend/cachekitio"
)

// The backend's client-side key check and the server's validator agree:
// every key the backend refuses is one the server answers 400 (or a route
// token, which the path encoding reserves), and every key it sends is one
// the server stores. Keys are drawn at random around the rules' edges; the
// seed is fixed so failures reproduce.
func TestClientKeyCheckMatchesServer(t *testing.T) {
	reserved := map[string]bool{"health": true, "ttl": true, "lock": true}
	pieces := []string{"a", "Z", "9", "_", "-", ".", ".", ":", ":", "ns:", "nsapi:", "ns", "api", "/", " ", "%", "~", "\x00", "é", "health", "ttl", "lock"}
	r := rand.New(rand.NewPCG(3, 5))
	check := func(key string) {
		_, bad := validateKey(key)
		serverOK := bad == "" && !reserved[key]
		clientOK := cachekitio.ValidateKey(key) == nil
		if serverOK != clientOK {
			t.Fatalf("key %q: server accepts %v (%s), client accepts %v", key, serverOK, bad, clientOK)
		}
	}
	for _, k := range []string{strings.Repeat("a", 400), strings.Repeat("a", 401), "ns:" + strings.Repeat("n", 64) + ":x", "ns:" + strings.Repeat("n", 65) + ":x"} {
		check(k)
	}
	n := 20000
	if testing.Short() {
		n = 3000
	}
	for i := 0; i < n; i++ {
		var sb strings.Builder
		for j := r.IntN(7); j > 0; j-- {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		check(sb.String())
	}
}
