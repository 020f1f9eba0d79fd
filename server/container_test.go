package server_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/conformance"
	"github.com/cachekit-io/cachekit-go/conformance/rig"
	"github.com/cachekit-io/cachekit-go/server"
	"github.com/cachekit-io/cachekit-go/server/devcert"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// serverImage is this test process's own tag: rig.sh image replaces an
// image of the same tag with `rmi -f`, which stops every container running
// it, so two test processes sharing a container engine (two checkouts on
// one machine) must not share the tag. TestConformanceContainer removes it.
var serverImage = "localhost/cachekit-server:test-" + strconv.Itoa(os.Getpid())

var (
	imageOnce sync.Once
	imageErr  error
)

// buildServerImage builds cmd/cachekit-server as a static binary and
// packages it as a local image with the rig (scripts/rig.sh image).
func buildServerImage(t *testing.T) {
	t.Helper()
	imageOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cachekit-server-image-")
		if err != nil {
			imageErr = err
			return
		}
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "cachekit-server")
		build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/cachekit-server")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Logf("go build: %s", out)
			imageErr = err
			return
		}
		img := exec.Command("bash", "../scripts/rig.sh", "image", serverImage, bin)
		if out, err := img.CombinedOutput(); err != nil {
			t.Logf("rig.sh image: %s", out)
			imageErr = err
		}
	})
	if imageErr != nil {
		t.Fatalf("building the server image: %v", imageErr)
	}
}

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServerContainer runs the server image with host networking on a free
// loopback port, over TLS with a certificate from a CA made for this test,
// with the given storage flags. It returns the URL and the CA bundle.
func startServerContainer(t *testing.T, args ...string) (string, *devcert.Bundle) {
	t.Helper()
	bundle, err := devcert.New("127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, cert, key, err := bundle.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	keysJSON, err := json.Marshal(server.KeysFile{Keys: testKeys})
	if err != nil {
		t.Fatal(err)
	}
	keysPath := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(keysPath, keysJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	// The port is picked free and released before the server binds it, so
	// another process on a busy machine can take it in between: the server
	// then exits, and a bare TCP dial would reach the other process. So the
	// wait asks for our server's health over TLS with this test's CA, and a
	// server that exited is started again on another port.
	for attempt := 1; ; attempt++ {
		addr := "127.0.0.1:" + strconv.Itoa(freeLoopbackPort(t))
		err := runServerContainer(t, addr, bundle, cert, key, keysPath, args)
		if err == nil {
			return "https://" + addr, bundle
		}
		if attempt == 3 {
			t.Fatalf("server container: %v", err)
		}
		t.Logf("server container on %s: %v; starting another", addr, err)
	}
}

// runServerContainer starts one server container listening on addr and
// waits until it answers its health endpoint over TLS with a certificate of
// bundle's CA. It fails when the container stops (its port was taken) or
// does not answer within a minute.
func runServerContainer(t *testing.T, addr string, bundle *devcert.Bundle, cert, key, keysPath string, args []string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ctr, err := testcontainers.Run(ctx, serverImage,
		testcontainers.WithCmd(append([]string{
			"-listen", addr,
			"-tls-cert", "/etc/cachekit/cert.pem", "-tls-key", "/etc/cachekit/key.pem",
			"-keys", "/etc/cachekit/keys.json",
			"-max-value-bytes", strconv.Itoa(conformanceValueLimit),
			"-log-level", "warn",
		}, args...)...),
		testcontainers.WithFiles(
			testcontainers.ContainerFile{HostFilePath: cert, ContainerFilePath: "/etc/cachekit/cert.pem", FileMode: 0o644},
			testcontainers.ContainerFile{HostFilePath: key, ContainerFilePath: "/etc/cachekit/key.pem", FileMode: 0o644},
			testcontainers.ContainerFile{HostFilePath: keysPath, ContainerFilePath: "/etc/cachekit/keys.json", FileMode: 0o644},
		),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { hc.NetworkMode = "host" }),
		testcontainers.WithEndpointSettingsModifier(func(m map[string]*network.EndpointSettings) { clear(m) }),
	)
	if ctr != nil {
		t.Cleanup(func() {
			sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer scancel()
			if t.Failed() {
				// The server's own account of the failure (a crash, a lost
				// port, a storage error), which the suite cannot see.
				if rc, err := ctr.Logs(sctx); err == nil {
					logs, _ := io.ReadAll(io.LimitReader(rc, 64<<10))
					rc.Close()
					t.Logf("server container %s log:\n%s", addr, logs)
				}
			}
			_ = ctr.Terminate(sctx)
		})
	}
	if err != nil {
		t.Fatalf("start server container: %v", err)
	}
	client := &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: bundle.Pool}},
		Timeout:   2 * time.Second,
	}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(time.Minute)
	for {
		req, _ := http.NewRequest("GET", "https://"+addr+"/v1/cache/health", nil)
		req.Header.Set("Authorization", "Bearer "+sdkA)
		req.Header.Set("X-CacheKit-L1-Status", "disabled") // asked of ck_sdk_ keys
		res, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("health answered %d %s", res.StatusCode, body)
		}
		if st, serr := ctr.State(ctx); serr == nil && !st.Running {
			return fmt.Errorf("the container stopped (exit code %d) before answering: %v", st.ExitCode, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer from its health endpoint within a minute: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestConformanceContainer runs the conformance suite for backend/cachekitio
// against the server running in a container (a static binary packaged by
// the rig) over TLS, on both storage options: bigcache in the server
// process, and Redis in a container of its own.
func TestConformanceContainer(t *testing.T) {
	if testing.Short() {
		t.Skip("containers")
	}
	rig.Require(t)
	buildServerImage(t)
	t.Cleanup(func() { removeServerImage(t) }) // after the parallel subtests
	t.Run("bigcache", func(t *testing.T) {
		t.Parallel()
		url, b := startServerContainer(t, "-storage", "bigcache")
		conformance.RunBackend(t, harness(url, b.Pool, conformanceValueLimit))
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		r := rig.StartRedis(t)
		url, b := startServerContainer(t, "-storage", "redis", "-redis-url", r.URL())
		conformance.RunBackend(t, harness(url, b.Pool, conformanceValueLimit))
	})
}

// removeServerImage removes this process's server image from the engine.
func removeServerImage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Logf("remove %s: %v", serverImage, err)
		return
	}
	defer cli.Close()
	if _, err := cli.ImageRemove(ctx, serverImage, client.ImageRemoveOptions{Force: true}); err != nil {
		t.Logf("remove %s: %v", serverImage, err)
	}
}
