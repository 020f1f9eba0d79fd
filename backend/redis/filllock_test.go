package redis_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"
)

// The fill lock of GetOrLoad against locks shaped as cachekit-py and
// cachekit-rs take them: SET "<key>:lock" <uuid4> NX PX 5000, released by a
// compare-and-delete script, on the full storage key.

// pyUnlock is the compare-and-delete release the other SDKs send.
var pyUnlock = goredis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`)

// pyLock takes a lock the way cachekit-py does and returns its token, or ""
// when it is held.
func pyLock(t *testing.T, c *goredis.Client, key string, lease time.Duration) string {
	t.Helper()
	token := uuid.NewString()
	ok, err := c.SetNX(context.Background(), key+":lock", token, lease).Result()
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return ""
	}
	return token
}

// A lock the Go client holds while it loads is honoured by a
// Python-convention SET NX on the same key, and released when the load is
// written back.
func TestFillLockHonouredByPythonConvention(t *testing.T) {
	_, raw, _ := loggedClient(t)
	c, err := core.New(wrap(t, raw), core.WithCodec(stringCodec{}), core.WithNamespace("users"),
		core.WithFillLock(5*time.Second, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const sk = "ns:users:42" // the storage key every SDK locks
	inLoad, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := core.GetOrLoad(context.Background(), c, "42", func(context.Context) (string, error) {
			close(inLoad)
			<-release
			return "from-go", nil
		})
		done <- err
	}()
	<-inLoad
	if tok := pyLock(t, raw, sk, 5*time.Second); tok != "" {
		t.Fatal("a Python-convention lock was granted while the Go client held the fill lock")
	}
	pttl, err := raw.PTTL(context.Background(), sk+":lock").Result()
	if err != nil || pttl <= 0 || pttl > 5*time.Second {
		t.Fatalf("the Go fill lock's PTTL = %v, %v; want a lease of at most 5s", pttl, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, _ := raw.Exists(context.Background(), sk+":lock").Result(); n != 0 {
		t.Fatal("the Go fill lock was not released after the write-back")
	}
	if tok := pyLock(t, raw, sk, 5*time.Second); tok == "" {
		t.Fatal("a Python-convention lock was refused after the Go load finished")
	}
}

// A lock a Python process holds makes the Go client wait for its value
// instead of loading; a Python holder that dies hands the load to Go after
// its lease.
func TestFillLockWaitsForPythonHolder(t *testing.T) {
	_, raw, _ := loggedClient(t)
	// SWR off: the raw write's 1-minute TTL would read as stale against
	// the 600 s default and start a refresh, a load this test counts.
	c, err := core.New(wrap(t, raw), core.WithCodec(stringCodec{}), core.WithStaleWhileRevalidate(false),
		core.WithFillLock(5*time.Second, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	var loads atomic.Int64
	load := func(context.Context) (string, error) { loads.Add(1); return "from-go", nil }

	t.Run("holder writes", func(t *testing.T) {
		tok := pyLock(t, raw, "report", 5*time.Second)
		if tok == "" {
			t.Fatal("could not take the Python lock")
		}
		got := make(chan string, 1)
		go func() {
			v, err := core.GetOrLoad(ctx, c, "report", load)
			if err != nil {
				v = err.Error()
			}
			got <- v
		}()
		time.Sleep(150 * time.Millisecond) // the Go caller is waiting now
		if err := raw.Set(ctx, "report", "from-python", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		released := time.Now()
		if n, err := pyUnlock.Run(ctx, raw, []string{"report:lock"}, tok).Int(); err != nil || n != 1 {
			t.Fatalf("compare-and-delete = %d, %v", n, err)
		}
		if v := <-got; v != "from-python" {
			t.Fatalf("GetOrLoad = %q; want the Python holder's value", v)
		}
		if d := time.Since(released); d > time.Second {
			t.Fatalf("the waiter returned %v after the value was written", d)
		}
		if loads.Load() != 0 {
			t.Fatal("the Go client loaded although the Python holder wrote the value")
		}
	})
	t.Run("holder dies", func(t *testing.T) {
		const lease = 400 * time.Millisecond
		if pyLock(t, raw, "orphan", lease) == "" {
			t.Fatal("could not take the Python lock")
		}
		began := time.Now()
		v, err := core.GetOrLoad(ctx, c, "orphan", load)
		if err != nil || v != "from-go" {
			t.Fatalf("GetOrLoad = %q, %v", v, err)
		}
		if d := time.Since(began); d < lease-100*time.Millisecond || d > lease+2*time.Second {
			t.Fatalf("loaded after %v; want about the dead holder's lease %v", d, lease)
		}
		if loads.Load() != 1 {
			t.Fatalf("loads = %d; want 1", loads.Load())
		}
		if err := raw.Get(ctx, "orphan:lock").Err(); !errors.Is(err, goredis.Nil) {
			t.Fatalf("the lock after the Go load: %v; want it released", err)
		}
	})
}
