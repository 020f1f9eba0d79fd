package cachekitio

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// The batch calls send one request per key, at most BatchConcurrency at
// once, and return each key's own result in order.
func TestBatchBoundedConcurrency(t *testing.T) {
	var inFlight, peak atomic.Int64
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		key := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		switch {
		case r.Method == http.MethodGet && strings.HasPrefix(key, "miss"):
			w.WriteHeader(http.StatusNotFound)
		case r.Method == http.MethodGet:
			_, _ = w.Write([]byte("v-" + key))
		default:
			w.WriteHeader(http.StatusOK)
		}
	})
	b := rec.backend(t)
	ctx := context.Background()
	keys := make([]string, 40)
	items := make([]core.BatchItem, len(keys))
	for i := range keys {
		keys[i] = "k" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		items[i] = core.BatchItem{Key: keys[i], Value: []byte("x"), TTL: time.Minute}
	}
	keys[7] = "miss7"
	res, err := b.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		want := "v-" + k
		if k == "miss7" {
			want = ""
		}
		if res[i].Found != (want != "") || string(res[i].Entry.Value) != want {
			t.Fatalf("result %d = found %v %q; want %q", i, res[i].Found, res[i].Entry.Value, want)
		}
	}
	if p := peak.Load(); p > BatchConcurrency || p < 2 {
		t.Errorf("peak concurrency %d; want 2..%d", p, BatchConcurrency)
	}
	if err := b.SetMany(ctx, items); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteMany(ctx, keys); err != nil {
		t.Fatal(err)
	}
	if n := rec.count(); n != 3*len(keys) {
		t.Errorf("%d requests for three batches of %d keys", n, len(keys))
	}
	if peak.Load() > BatchConcurrency {
		t.Errorf("peak concurrency %d > %d", peak.Load(), BatchConcurrency)
	}

	// A bad key fails the call before any request.
	before := rec.count()
	if _, err := b.GetMany(ctx, []string{"ok", "lock"}); core.KindOf(err) != core.KindInvalidInput {
		t.Errorf("GetMany with a reserved key = %v; want KindInvalidInput", err)
	}
	if err := b.SetMany(ctx, []core.BatchItem{{Key: "ok", TTL: -1}}); core.KindOf(err) != core.KindInvalidInput {
		t.Errorf("SetMany with a negative TTL = %v; want KindInvalidInput", err)
	}
	if rec.count() != before {
		t.Error("a rejected batch sent requests")
	}
	// A canceled context is a KindCanceled error.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.DeleteMany(cctx, keys); core.KindOf(err) != core.KindCanceled {
		t.Errorf("DeleteMany with a canceled context = %v; want KindCanceled", err)
	}
}

// The first failing request fails the batch with its kind.
func TestBatchFirstErrorFails(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/bad") {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	})
	b := rec.backend(t)
	_, err := b.GetMany(context.Background(), []string{"a", "bad", "c"})
	if err == nil || core.KindOf(err) == core.KindUnknown {
		t.Fatalf("GetMany with a 403 = %v; want its classified error", err)
	}
}
