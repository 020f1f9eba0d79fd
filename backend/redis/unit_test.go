package redis

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
	goredis "github.com/redis/go-redis/v9"
)

const secret = "hunter2-S3cret"

func TestOptionsFormatRedacts(t *testing.T) {
	o := Options{
		URL:              "redis://alice:" + secret + "@db.example:6379/2?password=" + secret + "x",
		Password:         secret,
		SentinelPassword: secret + "s",
		Username:         "alice",
		TLSConfig:        &tls.Config{},
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		got := fmt.Sprintf(verb, o)
		if strings.Contains(got, secret) {
			t.Errorf("%s of Options shows the password: %s", verb, got)
		}
		if !strings.Contains(got, "alice") || !strings.Contains(got, redacted) {
			t.Errorf("%s of Options = %s; want the user and %q", verb, got, redacted)
		}
	}
	if got := fmt.Sprint(&o); strings.Contains(got, secret) {
		t.Errorf("%%v of *Options shows the password: %s", got)
	}
	if got := o.String(); strings.Contains(got, secret) {
		t.Errorf("String shows the password: %s", got)
	}
}

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"redis://:" + secret + "@h:1/0", "redis://:xxxxx@h:1/0"},
		{"rediss://bob:" + secret + "@h:1", "rediss://bob:xxxxx@h:1"},
		{"redis://h:1?master_name=m&password=" + secret, "redis://h:1?master_name=m&password=xxxxx"},
		{"redis://bob@h:1", "redis://bob@h:1"},
		{"redis://h:1", "redis://h:1"},
		// url.Parse rejects this one (bad port); still redacted.
		{"redis://bob:" + secret + "@h:port/0", "redis://bob:xxxxx@h:port/0"},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestNewBadURLRedacted(t *testing.T) {
	for _, u := range []string{
		"redis://bob:" + secret + "@h:notaport/0",
		"redis://bob:" + secret + "@h:1/notadb",
		"ftp://bob:" + secret + "@h:1",
		"redis://bob:" + secret + "@h:1?addr=bad",
		"redis://bob:" + secret + "@h:1?master_name=m&nope=1",
		"redis://bob:" + secret + "@h:1?dial_timeout=xyz",
	} {
		b, err := New(Options{URL: u})
		if err == nil {
			b.Close()
			t.Errorf("New(%s) succeeded", RedactURL(u))
			continue
		}
		if core.KindOf(err) != core.KindConfig {
			t.Errorf("New(%s): kind %v; want config (%v)", RedactURL(u), core.KindOf(err), err)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v", err), secret) {
			t.Errorf("New(%s) error shows the password: %v", RedactURL(u), err)
		}
	}
}

func TestNewModes(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, "single localhost:6379"},
		{Options{URL: "redis://h:1/3"}, "single h:1"},
		{Options{URL: "unix:///tmp/r.sock"}, "single /tmp/r.sock"},
		{Options{Addrs: []string{"a:1", "b:2"}}, "cluster a:1,b:2"},
		{Options{Addrs: []string{"a:1"}, Cluster: true}, "cluster a:1"},
		{Options{URL: "redis://a:1?addr=b:2"}, "cluster a:1,b:2"},
		{Options{URL: "redis://s:26379?master_name=mm"}, "sentinel mm s:26379"},
		{Options{Addrs: []string{"s:1"}, MasterName: "m"}, "sentinel m s:1"},
	} {
		b, err := New(tc.o)
		if err != nil {
			t.Errorf("New(%v): %v", tc.o, err)
			continue
		}
		if got := b.String(); got != "redis.Backend("+tc.want+")" {
			t.Errorf("New(%v) = %s; want %s", tc.o, got, tc.want)
		}
		b.Close()
	}
	if _, err := New(Options{MasterName: "m", Cluster: true}); core.KindOf(err) != core.KindConfig {
		t.Errorf("Sentinel+Cluster: %v; want a config error", err)
	}
	if _, err := New(Options{PoolSize: -1}); core.KindOf(err) != core.KindConfig {
		t.Errorf("PoolSize -1: %v; want a config error", err)
	}
}

func TestBackendFormatHidesSecrets(t *testing.T) {
	b, err := New(Options{URL: "redis://bob:" + secret + "@127.0.0.1:1/0", SentinelPassword: secret})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{b, []*Backend{b}, map[string]any{"b": b}} {
			if got := fmt.Sprintf(verb, v); strings.Contains(got, secret) {
				t.Errorf("%s of %T shows the password: %s", verb, v, got)
			}
		}
	}
}

func TestURLApplied(t *testing.T) {
	u, err := Options{
		URL:         "rediss://bob:pw@h:1/4?dial_timeout=2s&pool_size=7&read_timeout=250ms&max_retries=1",
		ReadTimeout: time.Second,
	}.universal()
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "bob" || u.Password != "pw" || u.DB != 4 || u.TLSConfig == nil ||
		u.DialTimeout != 2*time.Second || u.PoolSize != 7 || u.MaxRetries != 1 ||
		u.ReadTimeout != time.Second || !u.ContextTimeoutEnabled {
		t.Errorf("universal() = %+v", u)
	}
}

// replyErr is a server error reply, as go-redis returns them.
type replyErr string

func (e replyErr) Error() string { return string(e) }
func (replyErr) RedisError()     {}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestKindOf(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tc := range []struct {
		err  error
		want core.Kind
	}{
		{context.Canceled, core.KindCanceled},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), core.KindTimeout},
		{goredis.ErrPoolTimeout, core.KindTimeout},
		{&net.OpError{Op: "read", Err: timeoutErr{}}, core.KindTimeout},
		{os.ErrDeadlineExceeded, core.KindTimeout},
		{refused, core.KindTransient},
		{fmt.Errorf("redis: connection pool: failed to dial after 5 attempts: %w", refused), core.KindTransient},
		{io.EOF, core.KindTransient},
		{syscall.ECONNRESET, core.KindTransient},
		{goredis.ErrClosed, core.KindPermanent},
		{errClosed, core.KindPermanent},
		{replyErr("NOAUTH Authentication required."), core.KindAuth},
		{replyErr("WRONGPASS invalid username-password pair or user is disabled."), core.KindAuth},
		{replyErr("NOPERM this user has no permissions to run the 'get' command"), core.KindAuth},
		{replyErr("LOADING Redis is loading the dataset in memory"), core.KindTransient},
		{replyErr("READONLY You can't write against a read only replica."), core.KindTransient},
		{replyErr("CLUSTERDOWN The cluster is down"), core.KindTransient},
		{replyErr("ERR max number of clients reached"), core.KindTransient},
		{replyErr("OOM command not allowed when used memory > 'maxmemory'."), core.KindBackpressure},
		{replyErr("WRONGTYPE Operation against a key holding the wrong kind of value"), core.KindPermanent},
		{replyErr("ERR syntax error"), core.KindPermanent},
		{errors.New("something else"), core.KindPermanent},
	} {
		if got := kindOf(tc.err); got != tc.want {
			t.Errorf("kindOf(%v) = %v; want %v", tc.err, got, tc.want)
		}
	}
}

func TestScrubbedKeepsChain(t *testing.T) {
	cause := fmt.Errorf("dial redis://u:%s@h:1: %w", secret, syscall.ECONNREFUSED)
	err := scrubbed(cause, sealSecrets([]string{secret}))
	if strings.Contains(err.Error(), secret) {
		t.Errorf("scrubbed message shows the secret: %v", err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("scrubbed error lost its chain")
	}
	if plain := errors.New("plain"); scrubbed(plain, sealSecrets([]string{secret})) != plain {
		t.Errorf("a clean error was rewrapped")
	}
}

func TestValidationWithoutServer(t *testing.T) {
	b, err := New(Options{Addrs: []string{"127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	if err := b.Set(ctx, "k", nil, -1); core.KindOf(err) != core.KindInvalidInput {
		t.Errorf("Set(ttl -1) = %v; want invalid input", err)
	}
	if _, err := b.Expire(ctx, "k", 0); core.KindOf(err) != core.KindInvalidInput {
		t.Errorf("Expire(0) = %v; want invalid input", err)
	}
	if _, _, err := b.Lock(ctx, "k", -time.Second); core.KindOf(err) != core.KindInvalidInput {
		t.Errorf("Lock(-1s) = %v; want invalid input", err)
	}
	if err := b.SetMany(ctx, []core.BatchItem{{Key: "a", TTL: time.Second}, {Key: "b", TTL: -1}}); core.KindOf(err) != core.KindInvalidInput {
		t.Errorf("SetMany(negative TTL) = %v; want invalid input", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := b.Get(canceled, "k"); core.KindOf(err) != core.KindCanceled {
		t.Errorf("Get(canceled) = %v; want canceled", err)
	}
	// Nothing listens on port 1: a transient error, fast.
	start := time.Now()
	if err := b.Health(ctx); core.KindOf(err) != core.KindTransient {
		t.Errorf("Health(no server) = %v; want transient", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Health(no server) took %v", d)
	}
}

func TestMillisAndFreshness(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want int64
	}{{time.Nanosecond, 1}, {time.Millisecond, 1}, {1500 * time.Microsecond, 2}, {time.Hour, 3600000}} {
		if got := millis(tc.in); got != tc.want {
			t.Errorf("millis(%v) = %d; want %d", tc.in, got, tc.want)
		}
	}
	if f := freshness(-1, time.Millisecond); !f.Known || !f.NoExpiry {
		t.Errorf("freshness(-1) = %+v", f)
	}
	if f := freshness(-2, time.Millisecond); !f.Known || f.NoExpiry || f.FreshFor != 0 {
		t.Errorf("freshness(-2) = %+v", f)
	}
	if f := freshness(1500, time.Millisecond); f.FreshFor != 1500*time.Millisecond {
		t.Errorf("freshness(1500ms) = %+v", f)
	}
}

// Every bad Option value is a KindConfig error from New and Wrap alike; the
// Wrap options (and Options' fields) used to take any value, and Redis then
// refused overlapping prefixes at every watch attempt.
func TestOptionsRejectBadValues(t *testing.T) {
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for name, opts := range map[string][]Option{
		"ping 0":                      {WithInvalidationPing(0)},
		"ping negative":               {WithInvalidationPing(-time.Second)},
		"ping below 1ms":              {WithInvalidationPing(500 * time.Microsecond)},
		"empty prefix":                {WithInvalidationPrefixes("ns:", "")},
		"overlapping prefixes":        {WithInvalidationPrefixes("ns:a", "ns:ab")},
		"overlapping, reverse order":  {WithInvalidationPrefixes("ns:ab", "ns:a")},
		"repeated prefix":             {WithInvalidationPrefixes("ns:", "ns:")},
		"overlap across two options":  {WithInvalidationPrefixes("ns:a:"), WithInvalidationPrefixes("ns:")},
		"bad value after a good one":  {WithGetScript(), WithInvalidationPing(-1)},
		"bad value after a nil entry": {nil, WithInvalidationPing(-1)},
	} {
		if _, err := New(Options{Addrs: []string{"127.0.0.1:1"}}, opts...); core.KindOf(err) != core.KindConfig {
			t.Errorf("New, %s: %v, want KindConfig", name, err)
		}
		if _, err := Wrap(c, opts...); core.KindOf(err) != core.KindConfig {
			t.Errorf("Wrap, %s: %v, want KindConfig", name, err)
		}
	}
	if _, err := Wrap(nil); core.KindOf(err) != core.KindConfig {
		t.Errorf("Wrap(nil): %v, want KindConfig", err)
	}
}

// The Options reach the Backend the same way through New and Wrap.
func TestOptionsApplied(t *testing.T) {
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	opts := []Option{WithGetScript(), WithInvalidationPrefixes("ns:a:", "ns:b:"), WithInvalidationPrefixes("x:"), WithInvalidationPing(250 * time.Millisecond)}
	n, err := New(Options{Addrs: []string{"127.0.0.1:1"}}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	w, err := Wrap(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]*Backend{"New": n, "Wrap": w} {
		if !b.useScript || b.valueOnly || !slices.Equal(b.prefixes, []string{"ns:a:", "ns:b:", "x:"}) || b.ping != 250*time.Millisecond {
			t.Errorf("%s: script %v, value-only %v, prefixes %v, ping %v", name, b.useScript, b.valueOnly, b.prefixes, b.ping)
		}
	}
	w, err = Wrap(c, WithoutFreshness(), WithGetScript())
	if err != nil || w.useScript || !w.valueOnly {
		t.Errorf("WithoutFreshness does not override WithGetScript: %v %v %v", w.useScript, w.valueOnly, err)
	}
}
