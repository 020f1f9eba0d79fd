package rig

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/testcontainers/testcontainers-go"
)

// SentinelMasterName is the master name the sentinel monitors.
const SentinelMasterName = "cachekit"

// Sentinel is a Sentinel setup: one master, one replica of it and one
// sentinel monitoring them (quorum 1).
type Sentinel struct {
	// MasterName is the monitored master's name, for
	// redis.FailoverOptions.MasterName.
	MasterName string
	// Master, Replica and Sentinel are the three servers.
	Master, Replica, Sentinel *Node
	// Password is the data nodes' default user password, if one was set.
	// The sentinel itself has none.
	Password string
}

// SentinelAddrs returns the sentinels' addresses, for
// redis.FailoverOptions.SentinelAddrs.
func (s *Sentinel) SentinelAddrs() []string { return []string{s.Sentinel.Addr} }

// StartSentinel starts a master, a replica and a sentinel with host
// networking (see the package doc) and waits until the replica is in sync
// and the sentinel reports the master. The containers are terminated when
// the test ends. Supported options: WithPassword, WithArgs (data nodes).
func StartSentinel(t testing.TB, opts ...Option) *Sentinel {
	t.Helper()
	Require(t)
	o := collect(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 3*startTimeout)
	defer cancel()
	s := &Sentinel{MasterName: SentinelMasterName, Password: o.password}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("rig: start sentinel setup (%s): "+format, append([]any{RedisImage()}, args...)...)
	}

	ports := make([]int, 3)
	for i := range ports {
		p, err := freePort(false)
		if err != nil {
			fail("%v", err)
		}
		ports[i] = p
	}
	base := func(port int) []string {
		return append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1"}, o.serverArgs()...)
	}
	var err error
	if s.Master, err = startHostNode(ctx, t, ports[0], o.password, readyLog, base(ports[0])); err != nil {
		fail("master: %v", err)
	}
	replicaArgs := append(base(ports[1]), "--replicaof", "127.0.0.1", strconv.Itoa(ports[0]))
	if s.Replica, err = startHostNode(ctx, t, ports[1], o.password, readyLog, replicaArgs); err != nil {
		fail("replica: %v", err)
	}

	conf := fmt.Sprintf("port %[1]d\nbind 127.0.0.1\n"+
		"sentinel monitor %[2]s 127.0.0.1 %[3]d 1\n"+
		"sentinel down-after-milliseconds %[2]s 2000\n"+
		"sentinel failover-timeout %[2]s 10000\n"+
		"sentinel parallel-syncs %[2]s 1\n",
		ports[2], s.MasterName, ports[0])
	if o.password != "" {
		conf += fmt.Sprintf("sentinel auth-pass %s %s\n", s.MasterName, o.password)
	}
	file := testcontainers.ContainerFile{
		Reader:            strings.NewReader(conf),
		ContainerFilePath: "/data/sentinel.conf",
		FileMode:          0o666,
	}
	if s.Sentinel, err = startHostNode(ctx, t, ports[2], "", sentinelLog, []string{"/data/sentinel.conf", "--sentinel"}, file); err != nil {
		fail("sentinel: %v", err)
	}
	if err := s.waitReady(ctx); err != nil {
		fail("%v", err)
	}
	return s
}

// waitReady waits until the replica's link to the master is up and the
// sentinel reports the master's address.
func (s *Sentinel) waitReady(ctx context.Context) error {
	replica := redis.NewClient(&redis.Options{Addr: s.Replica.Addr, Password: s.Password, MaxRetries: -1})
	defer replica.Close()
	sentinel := redis.NewSentinelClient(&redis.Options{Addr: s.Sentinel.Addr, MaxRetries: -1})
	defer sentinel.Close()
	var last string
	for {
		info, err := replica.Info(ctx, "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") {
			addr, err := sentinel.GetMasterAddrByName(ctx, s.MasterName).Result()
			if err == nil && len(addr) == 2 && addr[0]+":"+addr[1] == s.Master.Addr {
				return nil
			}
			last = fmt.Sprintf("sentinel master addr %v, %v", addr, err)
		} else {
			last = fmt.Sprintf("replica: %v %q", err, info)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w; last: %s", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
