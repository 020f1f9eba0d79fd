package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/server/memstore"
)

// lockingStore is memstore with locks kept the way backend/redis keeps
// them: in the store's own key space, under key+":lock".
type lockingStore struct {
	*memstore.Store
	mu sync.Mutex
	m  map[string]time.Time
}

func (l *lockingStore) Lock(_ context.Context, key string, lease time.Duration) (string, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := key + ":lock"
	if exp, ok := l.m[k]; ok && time.Now().Before(exp) {
		return "", false, nil
	}
	l.m[k] = time.Now().Add(lease)
	return "tok-" + k, true, nil
}

func (l *lockingStore) Unlock(_ context.Context, key, token string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := key + ":lock"
	if token != "tok-"+k {
		return false, nil
	}
	delete(l.m, k)
	return true, nil
}

func lockingServer(t *testing.T) (*Server, *lockingStore, *httptest.Server) {
	t.Helper()
	keys, err := NewStaticKeys([]KeyEntry{{Key: "ck_live_acme_0123456789abcdef", Tenant: "acme"}})
	if err != nil {
		t.Fatal(err)
	}
	st := &lockingStore{Store: memstore.New(), m: map[string]time.Time{}}
	s, err := New(Config{Storage: st, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, st, ts
}

func call(t *testing.T, ts *httptest.Server, method, path, body string) int {
	t.Helper()
	r, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer ck_live_acme_0123456789abcdef")
	res, err := ts.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	return res.StatusCode
}

// A store's locks never share a key with a value: the lock of "job", kept
// by a Redis-like store at "{key}:lock", used to be the storage key of the
// value "job:lock", which a PUT or DELETE of that value then overwrote or
// released.
func TestStoreLocksOutsideTheValueKeySpace(t *testing.T) {
	_, st, ts := lockingServer(t)
	if c := call(t, ts, "POST", "/v1/cache/job/lock", `{"timeout_ms":60000}`); c != http.StatusOK {
		t.Fatalf("lock: %d", c)
	}
	st.mu.Lock()
	for k := range st.m {
		if strings.HasPrefix(k, "t:") {
			t.Errorf("the store holds a lock under %q, in the values' key space", k)
		}
	}
	st.mu.Unlock()
	if c := call(t, ts, "PUT", "/v1/cache/job%3Alock", "v"); c != http.StatusOK {
		t.Fatalf("PUT job:lock: %d", c)
	}
	if c := call(t, ts, "DELETE", "/v1/cache/job%3Alock", ""); c != http.StatusOK {
		t.Fatalf("DELETE job:lock: %d", c)
	}
	st.mu.Lock()
	n := len(st.m)
	st.mu.Unlock()
	if n != 1 {
		t.Fatalf("after a PUT and DELETE of the value job:lock, the store holds %d locks, want job's 1", n)
	}
}

// Leases granted by a store are swept from the server's table once they
// expire; they used to stay until an unlock on this replica.
func TestStoreLeasesSwept(t *testing.T) {
	s, _, ts := lockingServer(t)
	for i := range 3000 {
		if c := call(t, ts, "POST", fmt.Sprintf("/v1/cache/k%d/lock", i), `{"timeout_ms":1}`); c != http.StatusOK {
			t.Fatalf("lock %d: %d", i, c)
		}
		if i%500 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	n := 0
	for i := range s.locks.shards {
		sh := &s.locks.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	if n > 1600 {
		t.Fatalf("%d leases in the table after 3000 leases of 1 ms, want expired ones swept", n)
	}
}
