package memcached_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/backend/memcached"
	"github.com/cachekit-io/cachekit-go/core"
)

// Bad servers and options are KindConfig errors that never repeat an
// address (it may hold a credential by mistake).
func TestNewConfig(t *testing.T) {
	const secret = "s3cr3t-pa55"
	for _, tc := range []struct {
		name    string
		servers []string
		opts    []memcached.Option
	}{
		{"no servers", nil, nil},
		{"empty server", []string{""}, nil},
		{"no port", []string{"user:" + secret + "@host"}, nil},
		{"bad port", []string{"host:" + secret}, nil},
		{"port 0", []string{"127.0.0.1:0"}, nil},
		{"url", []string{"memcached://u:" + secret + "@h:11211"}, nil},
		{"timeout", []string{"127.0.0.1:11211"}, []memcached.Option{memcached.WithTimeout(0)}},
		{"idle conns", []string{"127.0.0.1:11211"}, []memcached.Option{memcached.WithMaxIdleConns(-1)}},
		{"item size small", []string{"127.0.0.1:11211"}, []memcached.Option{memcached.WithMaxItemSize(1024)}},
		{"item size large", []string{"127.0.0.1:11211"}, []memcached.Option{memcached.WithMaxItemSize(2 << 30)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := memcached.New(tc.servers, tc.opts...)
			if core.KindOf(err) != core.KindConfig {
				t.Fatalf("New: %v (backend %v), want KindConfig", err, b)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error repeats the secret: %v", err)
			}
		})
	}
}

// Without a server, calls fail with a classified error, and a closed
// backend refuses every call without panicking.
func TestNoServerAndClosed(t *testing.T) {
	b, err := memcached.New([]string{"127.0.0.1:1"}, memcached.WithTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := b.Get(ctx, "k"); core.KindOf(err) != core.KindTransient {
		t.Errorf("Get without a server: %v, want KindTransient", err)
	}
	if err := b.Health(ctx); core.KindOf(err) != core.KindTransient {
		t.Errorf("Health without a server: %v, want KindTransient", err)
	}
	if _, _, err := b.Get(ctx, ""); core.KindOf(err) != core.KindInvalidInput {
		t.Errorf("Get(\"\"): %v, want KindInvalidInput", err)
	}
	if err := b.Set(ctx, "k", make([]byte, b.MaxValueSize()+1), time.Minute); core.KindOf(err) != core.KindPayloadTooLarge {
		t.Errorf("Set(too large): %v, want KindPayloadTooLarge", err)
	}
	_ = b.Close()
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	calls := map[string]error{}
	_, _, calls["Get"] = b.Get(ctx, "k")
	calls["Set"] = b.Set(ctx, "k", []byte("v"), time.Minute)
	calls["Delete"] = b.Delete(ctx, "k")
	_, calls["Exists"] = b.Exists(ctx, "k")
	_, calls["Expire"] = b.Expire(ctx, "k", time.Minute)
	_, calls["GetMany"] = b.GetMany(ctx, []string{"k"})
	_, _, calls["Lock"] = b.Lock(ctx, "k", time.Minute)
	_, calls["Unlock"] = b.Unlock(ctx, "k", "t")
	calls["Health"] = b.Health(ctx)
	for name, err := range calls {
		if core.KindOf(err) != core.KindPermanent {
			t.Errorf("%s after Close: %v, want KindPermanent", name, err)
		}
	}
}
