package server_test

import (
	"context"
	"encoding/json"
	"net"
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
	"github.com/testcontainers/testcontainers-go"
)

const serverImage = "localhost/cachekit-server:test"

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
	port := freeLoopbackPort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
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
			_ = ctr.Terminate(sctx)
		})
	}
	if err != nil {
		t.Fatalf("start server container: %v", err)
	}
	// Host networking publishes no ports: wait for the listener directly.
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server container never listened on %s", addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "https://" + addr, bundle
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
