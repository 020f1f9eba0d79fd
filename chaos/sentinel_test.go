package chaos_test

import (
	"context"
	"testing"
	"time"

	redis "github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/chaos"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
)

// TestFailoverSentinel runs the workload over Redis Sentinel (a master, its
// replica, one sentinel) through the stack the README recommends, and stops
// the master for good 3 s in: the sentinel promotes the replica, and the
// client must follow it. Asserted: no wrong value and no read-through error
// over the whole run; the breaker ends closed; a Set succeeds within 20 s
// of the master's stop (the sentinel's down-after is 2 s).
func TestFailoverSentinel(t *testing.T) {
	s := rig.StartSentinel(t)
	stack, err := redisStack(redis.Options{Addrs: s.SentinelAddrs(), MasterName: s.MasterName})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Close()
	c, breaker, logs, err := recordedClient(stack, core.PresetProduction)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var (
		rep  *chaos.Report
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		rep = chaos.Run(context.Background(), c, chaos.Workload{ID: "sentinel", Goroutines: 8, Keys: 200, Duration: 15 * time.Second, Think: 2 * time.Millisecond})
	}()
	time.Sleep(3 * time.Second)
	s.Master.Stop(t)
	stopped := time.Now().UnixMilli()
	<-done
	rep.Breaker = breaker()
	st := c.Stats()
	t.Logf("%d GetOrLoad, %d GetOrLoadMany, %d GetMany (%d failed), %d Set (%d failed), breaker opened %d times, %d degraded, %d warnings; breaker: %v",
		rep.GetOrLoads, rep.Batches, rep.ManyReads, rep.ManyReadErrors, rep.Sets, rep.SetErrors, st.BreakerOpens, st.Degraded, logs.n.Load(), rep.Breaker)
	if rep.Wrong != 0 || rep.GetOrLoadErrors != 0 || rep.BatchErrors != 0 {
		t.Errorf("%d wrong values, %d GetOrLoad errors, %d GetOrLoadMany errors; first: %q", rep.Wrong, rep.GetOrLoadErrors, rep.BatchErrors, rep.Examples)
	}
	if rep.SetErrors == 0 && st.Degraded == 0 {
		t.Error("no call failed or degraded: the master's stop went unnoticed")
	}
	if n := len(rep.Breaker); n > 0 && rep.Breaker[n-1].State != "closed" {
		t.Errorf("the breaker ended %s", rep.Breaker[n-1].State)
	}
	ok := rep.FirstSetOK(stopped + 1000)
	t.Logf("first successful Set %+d ms after the master stopped", ok-stopped)
	if ok < 0 || ok > stopped+20_000 {
		t.Errorf("first successful Set at %+d ms after the master stopped, want within 20 s", ok-stopped)
	}
}
