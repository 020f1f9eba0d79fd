package rig

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster of three masters (no replicas) covering all
// 16384 slots.
type Cluster struct {
	// Nodes are the masters, in slot order.
	Nodes []*Node
	// Password is the default user's password, if one was set.
	Password string
}

// Addrs returns the nodes' addresses, for redis.ClusterOptions.Addrs.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr
	}
	return addrs
}

// clusterSize is the number of masters StartCluster starts.
const clusterSize = 3

// StartCluster starts a three-master Redis Cluster with host networking
// (see the package doc), assigns the slots, joins the nodes and waits until
// every node reports cluster_state:ok. The containers are terminated when the
// test ends. Supported options: WithPassword, WithArgs.
func StartCluster(t testing.TB, opts ...Option) *Cluster {
	t.Helper()
	Require(t)
	o := collect(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 2*startTimeout)
	defer cancel()

	c := &Cluster{Nodes: make([]*Node, clusterSize), Password: o.password}
	errs := make([]error, clusterSize)
	var wg sync.WaitGroup
	for i := range clusterSize {
		wg.Go(func() {
			port, err := freePort(true)
			if err != nil {
				errs[i] = err
				return
			}
			args := append([]string{
				"--port", strconv.Itoa(port),
				"--bind", "127.0.0.1",
				"--cluster-enabled", "yes",
				"--cluster-config-file", "nodes-" + strconv.Itoa(port) + ".conf",
				"--cluster-node-timeout", "2000",
			}, o.serverArgs()...)
			c.Nodes[i], errs[i] = startHostNode(ctx, t, port, o.password, readyLog, args)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("rig: start cluster (%s): %v", RedisImage(), err)
		}
	}
	if err := c.form(ctx); err != nil {
		t.Fatalf("rig: form cluster: %v", err)
	}
	return c
}

// form assigns an equal share of the slots to each node, introduces the
// nodes to each other and waits for a healthy cluster.
func (c *Cluster) form(ctx context.Context) error {
	clients := make([]*redis.Client, len(c.Nodes))
	for i, n := range c.Nodes {
		clients[i] = redis.NewClient(&redis.Options{Addr: n.Addr, Password: c.Password, MaxRetries: -1})
		defer clients[i].Close()
	}
	const slots = 16384
	for i, cl := range clients {
		lo, hi := i*slots/len(clients), (i+1)*slots/len(clients)-1
		if err := cl.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			return fmt.Errorf("%s: CLUSTER ADDSLOTSRANGE %d %d: %w", c.Nodes[i].Addr, lo, hi, err)
		}
	}
	for i := 1; i < len(clients); i++ {
		host, port, _ := strings.Cut(c.Nodes[i].Addr, ":")
		if err := clients[0].ClusterMeet(ctx, host, port).Err(); err != nil {
			return fmt.Errorf("CLUSTER MEET %s: %w", c.Nodes[i].Addr, err)
		}
	}
	var last string
	for {
		ok := true
		for i, cl := range clients {
			info, err := cl.ClusterInfo(ctx).Result()
			if err != nil {
				return fmt.Errorf("%s: CLUSTER INFO: %w", c.Nodes[i].Addr, err)
			}
			if !strings.Contains(info, "cluster_state:ok") ||
				!strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(len(clients))) ||
				!strings.Contains(info, "cluster_slots_ok:16384") {
				ok, last = false, c.Nodes[i].Addr+": "+info
				break
			}
			// Every node must know every master and its slots.
			shards, err := cl.ClusterShards(ctx).Result()
			if err != nil {
				return fmt.Errorf("%s: CLUSTER SHARDS: %w", c.Nodes[i].Addr, err)
			}
			withSlots := 0
			for _, s := range shards {
				if len(s.Slots) > 0 {
					withSlots++
				}
			}
			if withSlots != len(clients) {
				ok, last = false, fmt.Sprintf("%s: %d shards with slots", c.Nodes[i].Addr, withSlots)
				break
			}
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster not ready: %w; last state: %s", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
