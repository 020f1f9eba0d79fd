package rig

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// startTimeout bounds starting one container and waiting until it serves.
const startTimeout = 60 * time.Second

// Node is one running Redis server (or sentinel) in a container.
type Node struct {
	// Addr is host:port, reachable from the test process.
	Addr string
	// Container is the underlying testcontainers container.
	Container testcontainers.Container
	// Password is the password of the default user, if one was set.
	Password string

	tls *tls.Config // set when the node serves TLS only
}

// Stop stops the node's container (SIGTERM, then SIGKILL after one second)
// and fails the test if that fails. Its address is kept: Start brings the
// same server back on it.
func (n *Node) Stop(t testing.TB) {
	t.Helper()
	stopContainer(t, n.Container, n.Addr)
}

// Start starts a stopped node again and waits until it answers PING.
func (n *Node) Start(t testing.TB) {
	t.Helper()
	startContainer(t, n.Container, n.Addr, func(ctx context.Context) error {
		return waitPing(ctx, n.Addr, n.Password, n.tls)
	})
}

// Pause freezes the node's processes: connections stay open but nothing is
// answered, so clients run into their read timeouts.
func (n *Node) Pause(t testing.TB) {
	t.Helper()
	pauseContainer(t, n.Container, n.Addr, true)
}

// Unpause resumes a paused node.
func (n *Node) Unpause(t testing.TB) {
	t.Helper()
	pauseContainer(t, n.Container, n.Addr, false)
}

// stopContainer stops ctr, serving addr (SIGTERM, then SIGKILL after one
// second), and fails t if that fails.
func stopContainer(t testing.TB, ctr testcontainers.Container, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	timeout := time.Second
	if err := ctr.Stop(ctx, &timeout); err != nil {
		t.Fatalf("rig: stop %s: %v", addr, err)
	}
}

// startContainer starts the stopped ctr again and waits until ready says
// it serves addr.
func startContainer(t testing.TB, ctr testcontainers.Container, addr string, ready func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := ctr.Start(ctx); err != nil {
		t.Fatalf("rig: start %s: %v", addr, err)
	}
	if err := ready(ctx); err != nil {
		t.Fatalf("rig: start %s: %v", addr, err)
	}
}

// pauseContainer freezes (or resumes) ctr's processes, through the
// container engine's cgroup freezer.
func pauseContainer(t testing.TB, ctr testcontainers.Container, addr string, pause bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatalf("rig: docker client: %v", err)
	}
	defer cli.Close()
	if pause {
		_, err = cli.ContainerPause(ctx, ctr.GetContainerID(), client.ContainerPauseOptions{})
	} else {
		_, err = cli.ContainerUnpause(ctx, ctr.GetContainerID(), client.ContainerUnpauseOptions{})
	}
	if err != nil {
		t.Fatalf("rig: pause=%v %s: %v", pause, addr, err)
	}
}

// terminateOnCleanup terminates ctr when the test ends (Ryuk may be off).
func terminateOnCleanup(t testing.TB, ctr testcontainers.Container) {
	t.Helper()
	if ctr == nil {
		return
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		if err := testcontainers.TerminateContainer(ctr, testcontainers.StopContext(ctx)); err != nil {
			t.Errorf("rig: terminate container: %v", err)
		}
	})
}

// waitPing waits until addr answers PING with PONG (or with an
// authentication error, which also means it serves), using a raw RESP
// exchange so that it needs no client library.
func waitPing(ctx context.Context, addr, password string, tlsConf *tls.Config) error {
	var last error
	for {
		if last = ping(ctx, addr, password, tlsConf); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not serving: %w (last: %v)", addr, ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func ping(ctx context.Context, addr, password string, tlsConf *tls.Config) error {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	if tlsConf != nil {
		conn = tls.Client(conn, tlsConf)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	r := bufio.NewReader(conn)
	if password != "" {
		if _, err := fmt.Fprintf(conn, "*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(password), password); err != nil {
			return err
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, "+OK") {
			return fmt.Errorf("AUTH: %q", strings.TrimSpace(line))
		}
	}
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING: %q", strings.TrimSpace(line))
	}
	return nil
}
