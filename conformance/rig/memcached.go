package rig

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// DefaultMemcachedImage is the memcached image used when
// CACHEKIT_MEMCACHED_IMAGE is unset.
const DefaultMemcachedImage = "memcached:1.6"

// MemcachedImage returns the memcached image StartMemcached runs:
// CACHEKIT_MEMCACHED_IMAGE, or DefaultMemcachedImage. Its entrypoint must
// take memcached options as arguments, as the stock image's does.
func MemcachedImage() string {
	if img := os.Getenv("CACHEKIT_MEMCACHED_IMAGE"); img != "" {
		return img
	}
	return DefaultMemcachedImage
}

// Memcached is a memcached server in a container.
type Memcached struct {
	// Addr is host:port, reachable from the test process.
	Addr string
	// Container is the underlying testcontainers container.
	Container testcontainers.Container
}

// StartMemcached starts a memcached server (64 MiB of memory, then args,
// such as "-I", "2m") and terminates it when the test ends. Its port is
// published on 127.0.0.1 at a host port picked up front. Without a container
// engine the test is skipped (failed under CI=true).
func StartMemcached(t testing.TB, args ...string) *Memcached {
	t.Helper()
	Require(t)
	var lastErr error
	for range 3 { // the picked port may be taken in between: retry
		m, err := startMemcached(t, args)
		if err == nil {
			return m
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("rig: start memcached (%s): %v", MemcachedImage(), lastErr)
	return nil
}

// Stop stops the memcached container. Its address is kept: Start brings a
// server back on it, empty.
func (m *Memcached) Stop(t testing.TB) {
	t.Helper()
	stopContainer(t, m.Container, m.Addr)
}

// Start starts a stopped memcached container again and waits until it
// answers.
func (m *Memcached) Start(t testing.TB) {
	t.Helper()
	startContainer(t, m.Container, m.Addr, func(ctx context.Context) error { return waitVersion(ctx, m.Addr) })
}

// Pause freezes memcached: connections stay open but nothing is answered.
func (m *Memcached) Pause(t testing.TB) {
	t.Helper()
	pauseContainer(t, m.Container, m.Addr, true)
}

// Unpause resumes a paused memcached.
func (m *Memcached) Unpause(t testing.TB) {
	t.Helper()
	pauseContainer(t, m.Container, m.Addr, false)
}

func startMemcached(t testing.TB, args []string) (*Memcached, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	port, err := freePort(false)
	if err != nil {
		return nil, err
	}
	binding := network.PortMap{
		network.MustParsePort("11211/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(port)}},
	}
	ctr, err := testcontainers.Run(ctx, MemcachedImage(),
		testcontainers.WithLogger(tclog.TestLogger(t)),
		testcontainers.WithExposedPorts("11211/tcp"),
		testcontainers.WithCmd(append([]string{"-m", "64"}, args...)...),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { hc.PortBindings = binding }),
	)
	if ctr != nil {
		terminateOnCleanup(t, ctr)
	}
	if err != nil {
		return nil, err
	}
	m := &Memcached{Addr: "127.0.0.1:" + strconv.Itoa(port), Container: ctr}
	if err := waitVersion(ctx, m.Addr); err != nil {
		return nil, err
	}
	return m, nil
}

// waitVersion waits until addr answers memcached's version command.
func waitVersion(ctx context.Context, addr string) error {
	var last error
	for {
		if last = version(ctx, addr); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not serving: %w (last: %v)", addr, ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func version(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline := time.Now().Add(2 * time.Second)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = conn.SetDeadline(deadline)
	if _, err := conn.Write([]byte("version\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "VERSION ") {
		return fmt.Errorf("version: %q", strings.TrimSpace(line))
	}
	return nil
}
