package redis_test

import (
	"testing"
	"time"

	redis "github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/conformance"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/core"
)

// harness runs the conformance suite on backends New makes from conn and
// opts; every subtest gets its own client on the shared server.
func harness(conn redis.Options, opts ...redis.Option) conformance.Harness {
	return conformance.Harness{
		New: func(t *testing.T) core.Backend {
			b, err := redis.New(conn, opts...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			return b
		},
		TTLResolution: time.Millisecond,
	}
}

func TestConformanceSingle(t *testing.T) {
	r := rig.StartRedis(t)
	t.Run("pipeline", func(t *testing.T) {
		conformance.RunBackend(t, harness(redis.Options{URL: r.URL()}))
	})
	t.Run("script", func(t *testing.T) {
		conformance.RunBackend(t, harness(redis.Options{URL: r.URL()}, redis.WithGetScript()))
	})
	t.Run("no-freshness", func(t *testing.T) {
		h := harness(redis.Options{URL: r.URL()}, redis.WithoutFreshness())
		h.NoFreshness = true
		conformance.RunBackend(t, h)
	})
}

func TestConformanceCluster(t *testing.T) {
	c := rig.StartCluster(t)
	conformance.RunBackend(t, harness(redis.Options{Addrs: c.Addrs(), Cluster: true}))
}

func TestConformanceSentinel(t *testing.T) {
	s := rig.StartSentinel(t)
	conformance.RunBackend(t, harness(redis.Options{Addrs: s.SentinelAddrs(), MasterName: s.MasterName}))
}

// Wrap adapts a client the application owns; the suite's Close check must
// not close it.
func TestConformanceWrap(t *testing.T) {
	r := rig.StartRedis(t)
	b0, err := redis.New(redis.Options{URL: r.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer b0.Close()
	client := b0.Client()
	conformance.RunBackend(t, conformance.Harness{
		New: func(t *testing.T) core.Backend {
			b, err := redis.Wrap(client)
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		TTLResolution: time.Millisecond,
	})
	if err := client.Ping(t.Context()).Err(); err != nil {
		t.Errorf("the wrapped client was closed: %v", err)
	}
}

// TestConformanceStack runs the suite on the default production shape, an
// in-memory tier over Redis (compose), with the composition following
// Redis's invalidations: live reads keep upper-tier copies without asking
// for freshness, and writes go around the upper tier. The composition must
// still behave as one backend.
func TestConformanceStack(t *testing.T) {
	r := rig.StartRedis(t)
	conformance.RunBackend(t, conformance.Harness{
		New: func(t *testing.T) core.Backend {
			s := newStack(t, r.URL())
			waitLive(t, s, true)
			return s
		},
		TTLResolution: time.Millisecond,
	})
}
