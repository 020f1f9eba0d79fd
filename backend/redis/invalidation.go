package redis

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/tier"
	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// invalidationChannel is the Pub/Sub channel Redis publishes tracking
// invalidations on for a RESP2 connection that redirects them to itself.
const invalidationChannel = "__redis__:invalidate"

// Default timing of an invalidation watch.
const (
	// DefaultInvalidationPing is how long a watch's connection may stay
	// silent before the watch pings it; a ping unanswered for as long again
	// counts as a lost connection.
	DefaultInvalidationPing = time.Second
	// minWatchBackoff and maxWatchBackoff bound the wait between
	// reconnection attempts, which doubles from the one to the other.
	minWatchBackoff = 50 * time.Millisecond
	maxWatchBackoff = 5 * time.Second
)

var _ tier.Invalidator = (*Backend)(nil)

// WatchInvalidations implements tier.Invalidator with Redis's server-assisted
// client tracking in broadcasting mode (Redis 6 or later): a dedicated
// connection, dialled with the client's own settings, runs
//
//	CLIENT TRACKING ON REDIRECT <its own id> BCAST [PREFIX p …]
//	SUBSCRIBE __redis__:invalidate
//
// and from then on Redis sends it the name of every key (under
// WithInvalidationPrefixes, or every key) that is written, deleted,
// expired or evicted, by any client, this process's own writes included. The
// server keeps no per-key state for it.
//
// w.Reset(true) follows each successful subscription. A lost connection —
// an error, or a ping unanswered for WithInvalidationPing — ends in
// w.Reset(false) and a reconnection with backoff; a FLUSHALL or FLUSHDB
// (which Redis reports without key names) in a Reset(false) and Reset(true)
// pair. A server that refuses CLIENT TRACKING (before 6.0, or an ACL
// without it) never gets as far as Reset(true), so the watcher never relies
// on it.
//
// stop ends the watch with a last w.Reset(false) if it was live, and waits
// for it: once stop has returned, w is not called again.
//
// A Redis Cluster reports changes per node: the watch
// runs one such connection per master and merges their reports, live only
// while every master's connection is (see the package doc, "Invalidations
// on a Redis Cluster"). Each call opens its own connections; Close stops
// every watch of the backend.
func (b *Backend) WatchInvalidations(w tier.InvalidationWatcher) (func(), error) {
	if w == nil {
		return nil, invalid("redis.watch", "", "nil watcher")
	}
	if b.closed.Load() {
		return nil, b.classify(context.Background(), "redis.watch", "", errClosed)
	}
	var wt *watch
	switch cl := b.c.(type) {
	case *goredis.Client:
		wt = newWatch(cl.Options(), b.prefixes, b.ping, w)
	case *goredis.ClusterClient:
		wt = newClusterWatch(cl, b.prefixes, b.ping, w)
	default:
		return nil, &core.Error{Kind: core.KindNotSupported, Op: "redis.watch", Msg: "invalidations need a single-server, Sentinel or Cluster client, not " + b.desc}
	}
	b.watchMu.Lock()
	if b.closed.Load() {
		b.watchMu.Unlock()
		wt.stop()
		return nil, b.classify(context.Background(), "redis.watch", "", errClosed)
	}
	if b.watches == nil {
		b.watches = make(map[*watch]struct{})
	}
	b.watches[wt] = struct{}{}
	b.watchMu.Unlock()
	go wt.run()
	return func() {
		b.watchMu.Lock()
		delete(b.watches, wt)
		b.watchMu.Unlock()
		wt.stop()
	}, nil
}

// stopWatches stops every watch of b (Close).
func (b *Backend) stopWatches() {
	b.watchMu.Lock()
	ws := b.watches
	b.watches = nil
	b.watchMu.Unlock()
	for wt := range ws {
		wt.stop()
	}
}

// watch is one running invalidation watch: its own one-connection client and
// the goroutine that reads it.
type watch struct {
	c      *goredis.Client
	w      tier.InvalidationWatcher
	ping   time.Duration
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	ps   *goredis.PubSub // the current subscription, closed by stop
	once sync.Once

	cluster *clusterWatch // set for a Redis Cluster; c is nil then
}

// newWatch builds a watch whose client is a copy of opt: one connection,
// RESP2 (invalidations then arrive as Pub/Sub messages on the connection
// itself), no client-side cache of go-redis's own, and tracking switched on
// by every (re)connection.
func newWatch(opt *goredis.Options, prefixes []string, ping time.Duration, w tier.InvalidationWatcher) *watch {
	o := *opt
	o.Protocol = 2
	o.PoolSize = 1
	o.MinIdleConns = 0
	o.MaxIdleConns = 0
	o.MaxActiveConns = 0
	o.ClientSideCache = nil
	o.ClientSideCacheConfig = nil
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled} // RESP3 only
	userHook := opt.OnConnect
	o.OnConnect = func(ctx context.Context, cn *goredis.Conn) error {
		if userHook != nil {
			if err := userHook(ctx, cn); err != nil {
				return err
			}
		}
		id, err := cn.ClientID(ctx).Result()
		if err != nil {
			return err
		}
		args := []any{"CLIENT", "TRACKING", "ON", "REDIRECT", id, "BCAST"}
		for _, p := range prefixes {
			args = append(args, "PREFIX", p)
		}
		return cn.Do(ctx, args...).Err()
	}
	if ping <= 0 {
		ping = DefaultInvalidationPing
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &watch{c: goredis.NewClient(&o), w: w, ping: ping, ctx: ctx, cancel: cancel, done: make(chan struct{})}
}

// stop ends the watch and waits for its goroutine: after stop returns, the
// watcher is not called again.
// A second call waits for the first (sync.Once).
func (wt *watch) stop() {
	wt.once.Do(func() {
		wt.cancel()
		wt.mu.Lock()
		if wt.ps != nil {
			_ = wt.ps.Close() // unblocks a pending receive
		}
		wt.mu.Unlock()
		<-wt.done
		if wt.c != nil {
			_ = wt.c.Close()
		}
	})
}

// run subscribes, reads until the connection is lost, reports the loss and
// tries again with backoff, until stop.
func (wt *watch) run() {
	defer close(wt.done)
	if wt.cluster != nil {
		wt.cluster.run(wt.ctx)
		return
	}
	backoff := minWatchBackoff
	for wt.ctx.Err() == nil {
		live := wt.session()
		if live {
			wt.w.Reset(false)
			backoff = minWatchBackoff
		}
		if wt.ctx.Err() != nil {
			return
		}
		t := time.NewTimer(backoff)
		select {
		case <-wt.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxWatchBackoff)
	}
}

// session runs one subscription until it fails or the watch stops, and
// reports whether it got as far as Reset(true).
func (wt *watch) session() (live bool) {
	wt.mu.Lock()
	if wt.ctx.Err() != nil {
		wt.mu.Unlock()
		return false
	}
	ps := wt.c.Subscribe(wt.ctx, invalidationChannel)
	wt.ps = ps
	wt.mu.Unlock()
	defer func() {
		wt.mu.Lock()
		wt.ps = nil
		wt.mu.Unlock()
		_ = ps.Close()
	}()
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(wt.ctx, wt.ping)
		if err != nil {
			if !timeout(err) || pinged || wt.ctx.Err() != nil {
				return live
			}
			if ps.Ping(wt.ctx) != nil {
				return live
			}
			pinged = true
			continue
		}
		pinged = false
		switch m := msg.(type) {
		case *goredis.Subscription:
			if m.Kind == "subscribe" && m.Channel == invalidationChannel && !live {
				live = true
				wt.w.Reset(true)
			}
		case *goredis.Message:
			if !live || m.Channel != invalidationChannel {
				continue
			}
			switch {
			case len(m.PayloadSlice) > 0:
				wt.w.Invalidated(m.PayloadSlice)
			case m.Payload != "":
				wt.w.Invalidated([]string{m.Payload})
			}
		}
	}
}

// timeout reports whether err is a read deadline passing (the connection is
// merely quiet).
func timeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
