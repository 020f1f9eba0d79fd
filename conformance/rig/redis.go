package rig

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	tcredis "github.com/testcontainers/testcontainers-go/modules/redis"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Option configures the servers a helper starts.
type Option func(*options)

type options struct {
	password string
	aclUser  string
	aclPass  string
	tls      bool
	args     []string
}

// WithPassword sets the password of the default user (requirepass; for
// replicas and cluster nodes, masterauth too).
func WithPassword(password string) Option {
	return func(o *options) { o.password = password }
}

// WithACLUser adds an ACL user with the given password and full access
// (single node only).
func WithACLUser(user, password string) Option {
	return func(o *options) { o.aclUser, o.aclPass = user, password }
}

// WithTLS serves TLS only, with certificates made up for the test; clients
// use Redis.TLSConfig (single node only).
func WithTLS() Option {
	return func(o *options) { o.tls = true }
}

// WithArgs appends redis-server arguments ("--maxmemory", "10mb").
func WithArgs(args ...string) Option {
	return func(o *options) { o.args = append(o.args, args...) }
}

func collect(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// serverArgs are the arguments every server gets: no persistence, so that
// stopping a container is quick and restarting it starts empty.
func (o options) serverArgs() []string {
	args := []string{"--save", "", "--appendonly", "no"}
	if o.password != "" {
		args = append(args, "--requirepass", o.password, "--masterauth", o.password)
	}
	if o.aclUser != "" {
		args = append(args, "--user", o.aclUser, "on", ">"+o.aclPass, "~*", "&*", "+@all")
	}
	return append(args, o.args...)
}

// Redis is a single Redis server in a container.
type Redis struct {
	*Node
	// TLSConfig is the client TLS configuration when WithTLS was given.
	TLSConfig *tls.Config
}

// URL returns a redis:// (or rediss://) URL for the server, holding the
// default user's password when one was set.
func (r *Redis) URL() string {
	u := url.URL{Scheme: "redis", Host: r.Addr}
	if r.TLSConfig != nil {
		u.Scheme = "rediss"
	}
	if r.Password != "" {
		u.User = url.UserPassword("", r.Password)
	}
	return u.String()
}

// StartRedis starts a single Redis server and terminates it when the test
// ends. Its port is published on 127.0.0.1 at a host port picked up front, so
// that Stop and Start keep the address.
func StartRedis(t testing.TB, opts ...Option) *Redis {
	t.Helper()
	Require(t)
	o := collect(opts)
	var lastErr error
	for range 3 { // the picked port may be taken in between: retry
		r, err := startRedis(t, o)
		if err == nil {
			return r
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("rig: start redis (%s): %v", RedisImage(), lastErr)
	return nil
}

func startRedis(t testing.TB, o options) (*Redis, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	port, err := freePort(false)
	if err != nil {
		return nil, err
	}
	binding := network.PortMap{
		network.MustParsePort("6379/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(port)}},
	}
	custom := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(tclog.TestLogger(t)),
		testcontainers.WithCmdArgs(o.serverArgs()...),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { hc.PortBindings = binding }),
	}
	if o.tls {
		custom = append(custom, tcredis.WithTLS())
	}
	ctr, err := tcredis.Run(ctx, RedisImage(), custom...)
	if ctr != nil {
		terminateOnCleanup(t, ctr)
	}
	if err != nil {
		return nil, err
	}
	r := &Redis{
		Node:      &Node{Addr: "127.0.0.1:" + strconv.Itoa(port), Container: ctr, Password: o.password},
		TLSConfig: ctr.TLSConfig(),
	}
	r.Node.tls = r.TLSConfig
	if err := waitPing(ctx, r.Addr, r.Password, r.TLSConfig); err != nil {
		return nil, err
	}
	return r, nil
}

// Log lines that say a server is up.
const (
	readyLog    = "Ready to accept connections"
	sentinelLog = "+monitor master"
)

// startHostNode starts one redis-server (or sentinel) with host networking,
// serving on 127.0.0.1:port, and waits for ready in its log. files are
// copied in before it starts.
func startHostNode(ctx context.Context, t testing.TB, port int, password, ready string, args []string, files ...testcontainers.ContainerFile) (*Node, error) {
	custom := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(tclog.TestLogger(t)),
		testcontainers.WithCmd(args...),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { hc.NetworkMode = "host" }),
		// No network endpoints: podman refuses them with host networking.
		testcontainers.WithEndpointSettingsModifier(func(m map[string]*network.EndpointSettings) { clear(m) }),
		testcontainers.WithWaitStrategy(wait.ForLog(ready).WithStartupTimeout(startTimeout)),
	}
	if len(files) > 0 {
		custom = append(custom, testcontainers.WithFiles(files...))
	}
	ctr, err := testcontainers.Run(ctx, RedisImage(), custom...)
	if ctr != nil {
		terminateOnCleanup(t, ctr)
	}
	if err != nil {
		return nil, fmt.Errorf("start node on port %d: %w", port, err)
	}
	n := &Node{Addr: "127.0.0.1:" + strconv.Itoa(port), Container: ctr, Password: password}
	if err := waitPing(ctx, n.Addr, password, nil); err != nil {
		return nil, err
	}
	return n, nil
}
