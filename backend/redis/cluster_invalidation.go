package redis

import (
	"context"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/cachekit-io/cachekit-go/core/tier"
	goredis "github.com/redis/go-redis/v9"
)

// clusterTopologyInterval is how often a cluster watch asks the cluster for
// its masters, to watch new ones and drop departed ones.
const clusterTopologyInterval = time.Second

// clusterWatch follows the invalidations of a Redis Cluster: one tracking
// watch (the single-server kind, see newWatch) per master, and a supervisor
// goroutine that merges what they report into the one watcher w.
//
// Each master reports the keys changed on it, so watching every master
// reports every change, including the two halves of a key moving between
// masters: MIGRATE deletes the key on its old master and RESTORE writes it
// on the new one, and both are ordinary changes there. The merged watch is
// live only while every known master's watch is: a master that is new, lost
// or flushed takes it to Reset(false) until all are live again, which
// covers whatever changed on a master while nobody watched it.
type clusterWatch struct {
	cc       *goredis.ClusterClient
	prefixes []string
	ping     time.Duration
	w        tier.InvalidationWatcher
	events   chan clusterEvent
}

// clusterNode is the watch of one master.
type clusterNode struct {
	addr string
	wt   *watch
	quit chan struct{} // closed before wt.stop, so that its reports stop blocking
	live bool
}

// clusterEvent is one report of a master's watch.
type clusterEvent struct {
	node  *clusterNode
	reset bool
	live  bool     // with reset
	keys  []string // without reset
}

// nodeReporter is the tier.InvalidationWatcher of one master's watch: it
// hands the reports to the supervisor.
type nodeReporter struct {
	n      *clusterNode
	events chan<- clusterEvent
}

func (r nodeReporter) send(ev clusterEvent) {
	select {
	case r.events <- ev:
	case <-r.n.quit:
	}
}

func (r nodeReporter) Invalidated(keys []string) {
	r.send(clusterEvent{node: r.n, keys: keys})
}

func (r nodeReporter) Reset(live bool) {
	r.send(clusterEvent{node: r.n, reset: true, live: live})
}

// newClusterWatch returns a watch that runs a clusterWatch.
func newClusterWatch(cc *goredis.ClusterClient, prefixes []string, ping time.Duration, w tier.InvalidationWatcher) *watch {
	ctx, cancel := context.WithCancel(context.Background())
	return &watch{
		w: w, ctx: ctx, cancel: cancel, done: make(chan struct{}),
		cluster: &clusterWatch{cc: cc, prefixes: prefixes, ping: ping, w: w, events: make(chan clusterEvent)},
	}
}

// run supervises the masters' watches until ctx ends, then stops them and
// ends a live watch with Reset(false). Every call of w happens here.
func (cw *clusterWatch) run(ctx context.Context) {
	nodes := make(map[string]*clusterNode)
	live := false
	update := func() {
		all := len(nodes) > 0
		for _, n := range nodes {
			all = all && n.live
		}
		if all != live {
			live = all
			cw.w.Reset(live)
		}
	}
	stopNode := func(n *clusterNode) {
		close(n.quit)
		n.wt.stop()
	}
	defer func() {
		for _, n := range nodes {
			stopNode(n)
		}
		if live {
			cw.w.Reset(false)
		}
	}()
	apply := func(masters map[string]*goredis.Options) {
		for addr, n := range nodes {
			if _, ok := masters[addr]; !ok {
				delete(nodes, addr)
				stopNode(n)
			}
		}
		for addr, opt := range masters {
			if nodes[addr] != nil {
				continue
			}
			n := &clusterNode{addr: addr, quit: make(chan struct{})}
			n.wt = newWatch(opt, cw.prefixes, cw.ping, nodeReporter{n: n, events: cw.events})
			nodes[addr] = n
			go n.wt.run()
		}
		update()
	}
	// Topology queries run on a goroutine of their own, so that a slow or
	// frozen node delays neither the reports nor stop for longer than the
	// query in flight.
	topo := make(chan map[string]*goredis.Options)
	var wg sync.WaitGroup
	wg.Go(func() { cw.discover(ctx, topo) })
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case masters := <-topo:
			apply(masters)
		case ev := <-cw.events:
			if nodes[ev.node.addr] != ev.node {
				continue // a departed master's last words
			}
			if ev.reset {
				ev.node.live = ev.live
				if !ev.live && live {
					live = false
					cw.w.Reset(false)
				}
				update()
				continue
			}
			if live {
				cw.w.Invalidated(ev.keys)
			}
		}
	}
}

// discover sends the cluster's masters to out at once and then every
// clusterTopologyInterval, until ctx ends. A failed query sends nothing: the
// masters' own watches notice an unreachable cluster.
func (cw *clusterWatch) discover(ctx context.Context, out chan<- map[string]*goredis.Options) {
	for {
		if masters, err := cw.masters(ctx); err == nil {
			select {
			case out <- masters:
			case <-ctx.Done():
				return
			}
		}
		t := time.NewTimer(clusterTopologyInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// masters returns the client options of every master of the cluster, by
// address: those go-redis routes to (the masters that own slots, from a
// fresh CLUSTER SLOTS), and, from CLUSTER SHARDS (Redis 7 or later), the
// online masters that own no slot yet, which a slot migration may be
// writing to.
func (cw *clusterWatch) masters(ctx context.Context) (map[string]*goredis.Options, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var mu sync.Mutex
	out := make(map[string]*goredis.Options)
	err := cw.cc.ForEachMaster(ctx, func(_ context.Context, c *goredis.Client) error {
		o := c.Options()
		mu.Lock()
		out[o.Addr] = o
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	var tmpl *goredis.Options
	for _, o := range out {
		tmpl = o
		break
	}
	if tmpl == nil {
		return out, nil
	}
	shards, err := cw.cc.ClusterShards(ctx).Result()
	if err != nil {
		return out, nil // before Redis 7: the slot owners only
	}
	for _, s := range shards {
		for _, n := range s.Nodes {
			if n.Role != "master" || n.Health != "online" {
				continue
			}
			host := n.Endpoint
			if host == "" || host == "?" {
				host = n.IP
			}
			port := n.Port
			if tmpl.TLSConfig != nil && n.TLSPort != 0 {
				port = n.TLSPort
			}
			if host == "" || port == 0 {
				continue
			}
			addr := net.JoinHostPort(host, strconv.FormatInt(port, 10))
			if _, ok := out[addr]; !ok {
				o := *tmpl
				o.Addr = addr
				out[addr] = &o
			}
		}
	}
	return out, nil
}
