package rig

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
)

// DefaultRedisImage is the Redis image used when CACHEKIT_REDIS_IMAGE is
// unset.
const DefaultRedisImage = "redis:7"

// RedisImage returns the Redis image the helpers run: CACHEKIT_REDIS_IMAGE,
// or DefaultRedisImage.
func RedisImage() string {
	if img := os.Getenv("CACHEKIT_REDIS_IMAGE"); img != "" {
		return img
	}
	return DefaultRedisImage
}

var (
	availOnce sync.Once
	availErr  error
)

// Available reports whether a container engine answers. The result is
// computed once per process.
func Available() error {
	availOnce.Do(func() { availErr = probe() })
	return availErr
}

func probe() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("container engine: %v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	provider, err := testcontainers.ProviderDocker.GetProvider()
	if err != nil {
		return fmt.Errorf("container engine: %w", err)
	}
	defer provider.Close()
	if err := provider.Health(ctx); err != nil {
		return fmt.Errorf("container engine: %w", err)
	}
	return nil
}

// Require stops the test when no container engine answers: t.Fatal when the
// CI environment variable is "true", t.Skip otherwise, with the reason and
// the command that sets a rig up.
func Require(t testing.TB) {
	t.Helper()
	err := Available()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("no container runtime (%v); run `eval \"$(scripts/rig.sh up)\"` at the repository root, or set DOCKER_HOST", err)
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

var portMu sync.Mutex

// freePort returns a TCP port on 127.0.0.1 that is free now; with bus set,
// port+10000 (the Redis Cluster bus port) is free too.
func freePort(bus bool) (int, error) {
	portMu.Lock()
	defer portMu.Unlock()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		if !bus {
			l.Close()
			return port, nil
		}
		if port+10000 > 65535 {
			l.Close()
			continue
		}
		l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		l.Close()
		if err != nil {
			continue
		}
		l2.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no free port pair found")
}
