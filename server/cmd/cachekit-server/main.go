// Command cachekit-server runs the reference CacheKit HTTP API server.
//
// Configuration comes from flags, each with an environment fallback:
//
//	-listen    CACHEKIT_SERVER_LISTEN     listen address (default 127.0.0.1:8443)
//	-tls-cert  CACHEKIT_SERVER_TLS_CERT   PEM certificate file
//	-tls-key   CACHEKIT_SERVER_TLS_KEY    PEM private key file
//	-keys      CACHEKIT_SERVER_KEYS_FILE  API keys → tenants file (JSON, see server.KeysFile)
//	-storage   CACHEKIT_SERVER_STORAGE    storage: bigcache (default, in-process), memory, or redis
//	-redis-url CACHEKIT_SERVER_REDIS_URL  Redis URL for -storage redis (redis://, rediss://)
//	-max-memory CACHEKIT_SERVER_MAX_MEMORY_MB  memory bound in MiB of the data held (default 256; 0: unbounded):
//	           the store gets seven eighths (half for values up to 16 KiB in bigcache, half for
//	           larger ones in a store of their own), lock leases one eighth; unless GOMEMLIMIT is
//	           set, the Go runtime's soft memory limit is this + -max-inflight-mb + 64 MiB
//	-max-inflight-mb CACHEKIT_SERVER_MAX_INFLIGHT_MB  bytes of PUT bodies received at once, in MiB (default 64);
//	           a PUT finding no room within a second is answered 503 + Retry-After
//	-upload-rate-mb CACHEKIT_SERVER_UPLOAD_RATE_MB  MiB of PUT bodies a second per tenant, a second's worth
//	           banked (default 32; 0: no limit); a PUT that would wait over a second for its bytes
//	           is answered 429 + Retry-After, its body unread
//	-lock-quota CACHEKIT_SERVER_LOCK_QUOTA  live lock leases per tenant (default 10000); beyond it 429 + Retry-After
//	-max-value-bytes CACHEKIT_SERVER_MAX_VALUE_BYTES  largest value a PUT may store (default 25 MiB)
//	-plain-http CACHEKIT_SERVER_PLAIN_HTTP serve HTTP without TLS (behind a TLS terminator only)
//	-log-level CACHEKIT_SERVER_LOG_LEVEL  debug, info, warn or error
//	-cors-origins CACHEKIT_SERVER_CORS_ORIGINS  comma-separated browser origins that get Access-Control-* headers
//	-rate-limit CACHEKIT_SERVER_RATE_LIMIT  requests a second per tenant (0: off); beyond it 429 + Retry-After
//	-rate-burst CACHEKIT_SERVER_RATE_BURST  token bucket size (0: the rate, rounded up)
//	-edge-cache-mb CACHEKIT_SERVER_EDGE_CACHE_MB  in-process edge tier size in MiB (0: off)
//	-edge-budget CACHEKIT_SERVER_EDGE_BUDGET  how long an edge copy may be served (default 5s, at most 300s)
//	-edge-store-signals CACHEKIT_SERVER_EDGE_STORE_SIGNALS  whether the store below the edge emits X-CacheKit-Fresh-For (default true)
//
// Without -keys the server starts in development mode: it listens on a
// loopback address only, makes a throwaway CA and server certificate (unless
// -tls-cert is given), generates one API key of each class for tenant "dev"
// and prints them with the CA file's path. It shuts down gracefully on
// SIGINT or SIGTERM.
//
// It serves HTTP/1.1 only, TLS included, through server.WrapListener, so
// that requests net/http refuses to parse are answered like the API's
// others (API-2's headers, authentication first).
//
// A Redis URL with a password belongs in CACHEKIT_SERVER_REDIS_URL rather
// than -redis-url, which other users of the machine can read in the process
// list. Neither the usage text nor an error shows the password.
package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/server"
	"github.com/cachekit-io/cachekit-go/server/devcert"
	"github.com/cachekit-io/cachekit-go/server/memstore"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "cachekit-server:", err)
		os.Exit(1)
	}
}

type config struct {
	listen, tlsCert, tlsKey, keysFile, storage, logLevel, redisURL string
	maxMemoryMB, maxValueBytes                                     int64
	plainHTTP                                                      bool
	shutdownTimeout                                                time.Duration
	corsOrigins                                                    string
	rateLimit                                                      float64
	rateBurst                                                      int
	edgeCacheMB                                                    int64
	edgeBudget                                                     time.Duration
	edgeStoreSignals                                               bool
	maxInflightMB                                                  int64
	lockQuota                                                      int
	uploadRateMB                                                   int64
}

func parseConfig(args []string, getenv func(string) string) (config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var c config
	fs := flag.NewFlagSet("cachekit-server", flag.ContinueOnError)
	fs.StringVar(&c.listen, "listen", env("CACHEKIT_SERVER_LISTEN", "127.0.0.1:8443"), "listen address")
	fs.StringVar(&c.tlsCert, "tls-cert", env("CACHEKIT_SERVER_TLS_CERT", ""), "PEM certificate file")
	fs.StringVar(&c.tlsKey, "tls-key", env("CACHEKIT_SERVER_TLS_KEY", ""), "PEM private key file")
	fs.StringVar(&c.keysFile, "keys", env("CACHEKIT_SERVER_KEYS_FILE", ""), "API keys file (JSON)")
	fs.StringVar(&c.storage, "storage", env("CACHEKIT_SERVER_STORAGE", "bigcache"), "storage: bigcache, memory or redis")
	// No default from the environment: the usage text prints defaults, and
	// the URL may hold a password. The environment is read after Parse.
	fs.StringVar(&c.redisURL, "redis-url", "", "Redis URL for -storage redis (default $CACHEKIT_SERVER_REDIS_URL)")
	maxMem, _ := strconv.ParseInt(env("CACHEKIT_SERVER_MAX_MEMORY_MB", strconv.Itoa(defaultMaxMemoryMB)), 10, 64)
	fs.Int64Var(&c.maxMemoryMB, "max-memory", maxMem, "memory bound in MiB of the data held: the store gets 7/8 (values up to 16 KiB in bigcache, larger ones apart, half each), lock leases 1/8 (0: unbounded)")
	fs.StringVar(&c.logLevel, "log-level", env("CACHEKIT_SERVER_LOG_LEVEL", "info"), "log level")
	maxValue, _ := strconv.ParseInt(env("CACHEKIT_SERVER_MAX_VALUE_BYTES", strconv.Itoa(server.DefaultMaxValueBytes)), 10, 64)
	fs.Int64Var(&c.maxValueBytes, "max-value-bytes", maxValue, "largest value a PUT may store")
	plain, _ := strconv.ParseBool(env("CACHEKIT_SERVER_PLAIN_HTTP", "false"))
	fs.BoolVar(&c.plainHTTP, "plain-http", plain, "serve plain HTTP (only behind a TLS terminator)")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 10*time.Second, "graceful shutdown timeout")
	fs.StringVar(&c.corsOrigins, "cors-origins", env("CACHEKIT_SERVER_CORS_ORIGINS", ""), "comma-separated browser origins that get Access-Control-* headers")
	var envErr error
	envNum := func(name, def string, parse func(string) error) {
		if err := parse(env(name, def)); err != nil && envErr == nil {
			envErr = fmt.Errorf("%s: %w", name, err)
		}
	}
	envNum("CACHEKIT_SERVER_RATE_LIMIT", "0", func(v string) (err error) { c.rateLimit, err = strconv.ParseFloat(v, 64); return })
	envNum("CACHEKIT_SERVER_RATE_BURST", "0", func(v string) (err error) { c.rateBurst, err = strconv.Atoi(v); return })
	envNum("CACHEKIT_SERVER_EDGE_CACHE_MB", "0", func(v string) (err error) { c.edgeCacheMB, err = strconv.ParseInt(v, 10, 64); return })
	envNum("CACHEKIT_SERVER_EDGE_BUDGET", server.DefaultEdgeBudget.String(), func(v string) (err error) { c.edgeBudget, err = time.ParseDuration(v); return })
	envNum("CACHEKIT_SERVER_MAX_INFLIGHT_MB", strconv.Itoa(server.DefaultMaxBodyBytesInFlight>>20), func(v string) (err error) { c.maxInflightMB, err = strconv.ParseInt(v, 10, 64); return })
	envNum("CACHEKIT_SERVER_LOCK_QUOTA", strconv.Itoa(server.DefaultLockQuota), func(v string) (err error) { c.lockQuota, err = strconv.Atoi(v); return })
	envNum("CACHEKIT_SERVER_UPLOAD_RATE_MB", strconv.Itoa(server.DefaultUploadBytesPerSecond>>20), func(v string) (err error) { c.uploadRateMB, err = strconv.ParseInt(v, 10, 64); return })
	envNum("CACHEKIT_SERVER_EDGE_STORE_SIGNALS", "true", func(v string) (err error) { c.edgeStoreSignals, err = strconv.ParseBool(v); return })
	if envErr != nil {
		return c, envErr
	}
	fs.Float64Var(&c.rateLimit, "rate-limit", c.rateLimit, "requests a second per tenant (0: off)")
	fs.IntVar(&c.rateBurst, "rate-burst", c.rateBurst, "rate limiter burst (0: the rate, rounded up)")
	fs.Int64Var(&c.edgeCacheMB, "edge-cache-mb", c.edgeCacheMB, "edge tier size in MiB (0: off)")
	fs.DurationVar(&c.edgeBudget, "edge-budget", c.edgeBudget, "how long an edge copy may be served (at most 300s)")
	fs.Int64Var(&c.maxInflightMB, "max-inflight-mb", c.maxInflightMB, "MiB of PUT bodies received at once; a PUT finding no room within a second gets 503 + Retry-After")
	fs.IntVar(&c.lockQuota, "lock-quota", c.lockQuota, "live lock leases per tenant; beyond it 429 + Retry-After")
	fs.Int64Var(&c.uploadRateMB, "upload-rate-mb", c.uploadRateMB, "MiB of PUT bodies a second per tenant; a PUT that would wait over a second for it gets 429 + Retry-After (0: no limit)")
	fs.BoolVar(&c.edgeStoreSignals, "edge-store-signals", c.edgeStoreSignals, "whether the store below the edge tier emits X-CacheKit-Fresh-For")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	redisURLSet := false
	fs.Visit(func(f *flag.Flag) { redisURLSet = redisURLSet || f.Name == "redis-url" })
	if !redisURLSet {
		c.redisURL = getenv("CACHEKIT_SERVER_REDIS_URL")
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return c, errors.New("-tls-cert and -tls-key go together")
	}
	if c.maxMemoryMB < 0 || c.maxMemoryMB > math.MaxInt64>>20 {
		return c, fmt.Errorf("-max-memory: %d MiB is not a size from 0 (unbounded) to %d", c.maxMemoryMB, int64(math.MaxInt64>>20))
	}
	if c.maxInflightMB <= 0 || c.maxInflightMB > math.MaxInt64>>20 {
		return c, fmt.Errorf("-max-inflight-mb: %d is not a positive size in MiB", c.maxInflightMB)
	}
	if c.uploadRateMB < 0 || c.uploadRateMB > math.MaxInt64>>20 {
		return c, fmt.Errorf("-upload-rate-mb: %d is not a rate in MiB a second from 0 (no limit) to %d", c.uploadRateMB, int64(math.MaxInt64>>20))
	}
	if c.lockQuota <= 0 {
		return c, fmt.Errorf("-lock-quota: %d is not a positive count", c.lockQuota)
	}
	return c, nil
}

// runtimeOverhead is what the process's soft memory limit allows beyond
// -max-memory and -max-inflight-mb: stacks, buffers, the runtime.
const runtimeOverhead = 64 << 20

// defaultMaxMemoryMB is -max-memory's default.
const defaultMaxMemoryMB = 256

// memoryBudget splits -max-memory between the store (bigcache) and the
// lock table: seven eighths and one eighth, in bytes. 0 means unbounded
// for both (the lock table then keeps its own default bound).
func memoryBudget(c config) (store, locks int64) {
	total := c.maxMemoryMB << 20
	return total - total/8, total / 8
}

// uploadRate is server.Config.UploadBytesPerSecond for -upload-rate-mb:
// 0 turns the limit off.
func uploadRate(c config) int64 {
	if c.uploadRateMB == 0 {
		return -1
	}
	return c.uploadRateMB << 20
}

func newStorage(c config) (core.Backend, error) {
	switch c.storage {
	case "bigcache", "":
		storeBytes, _ := memoryBudget(c)
		maxValue := c.maxValueBytes
		if maxValue <= 0 {
			maxValue = server.DefaultMaxValueBytes
		}
		st, err := server.NewBuiltinStore(storeBytes, maxValue)
		if err != nil {
			return nil, fmt.Errorf("-max-memory: %w", err)
		}
		return st, nil
	case "memory":
		return memstore.New(), nil
	case "redis":
		if c.redisURL == "" {
			return nil, errors.New("-storage redis needs -redis-url")
		}
		return redis.New(redis.Options{URL: c.redisURL})
	}
	return nil, fmt.Errorf("unknown storage %q", c.storage)
}

func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	c, err := parseConfig(args, getenv)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return fmt.Errorf("log level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level}))

	store, err := newStorage(c)
	if err != nil {
		return err
	}
	if c.maxMemoryMB > 0 && getenv("GOMEMLIMIT") == "" {
		// The data held, the bodies in flight and the runtime's own: a soft
		// limit that makes the GC keep garbage within the bound.
		debug.SetMemoryLimit(c.maxMemoryMB<<20 + c.maxInflightMB<<20 + runtimeOverhead)
	}
	if err := store.Health(ctx); err != nil {
		return fmt.Errorf("storage %s: %w", c.storage, err)
	}
	dev := c.keysFile == ""
	var keys server.KeyStore
	if dev {
		host, _, err := net.SplitHostPort(c.listen)
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return errors.New("development mode (no -keys) listens on a loopback address only")
		}
		k, err := devKeys(out)
		if err != nil {
			return err
		}
		keys = k
	} else {
		k, err := server.LoadKeysFile(c.keysFile)
		if err != nil {
			return err
		}
		log.Info("loaded API keys", "count", k.Len())
		keys = k
	}
	_, lockBytes := memoryBudget(c)
	if lockBytes == 0 {
		lockBytes = -1 // -max-memory 0: unbounded
	}
	var origins []string
	for _, o := range strings.Split(c.corsOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	srv, err := server.New(server.Config{
		Storage: store, Keys: keys, Logger: log, MaxValueBytes: c.maxValueBytes,
		CORSOrigins: origins, RateLimit: c.rateLimit, RateBurst: c.rateBurst,
		EdgeCacheBytes: c.edgeCacheMB << 20, EdgeBudget: c.edgeBudget, EdgeStorePreSignal: !c.edgeStoreSignals,
		LockQuota: c.lockQuota, LockMemoryBytes: lockBytes, MaxBodyBytesInFlight: c.maxInflightMB << 20,
		UploadBytesPerSecond: uploadRate(c),
	})
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		// A whole request, body included, within a minute (a client that
		// dribbles its body, or holds an unauthenticated request open while
		// the server drains it, is cut off), and its response within
		// another: the server's values are bounded, and a minute is ample
		// for the largest over a slow link.
		ReadTimeout:  time.Minute,
		WriteTimeout: 2 * time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// OPTIONS * is answered by the handler (204 with API-2's
		// headers), not by net/http's default.
		DisableGeneralOptionsHandler: true,
	}
	var tlsConfig *tls.Config
	switch {
	case c.plainHTTP:
	case c.tlsCert != "":
		cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
		if err != nil {
			return err
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	case dev:
		b, err := devcert.New("localhost", "127.0.0.1", "::1")
		if err != nil {
			return err
		}
		dir, err := os.MkdirTemp("", "cachekit-dev-")
		if err != nil {
			return err
		}
		// The development CA lives as long as the server: it is removed on
		// a graceful shutdown.
		defer os.RemoveAll(dir)
		ca, _, _, err := b.WriteFiles(dir)
		if err != nil {
			return err
		}
		tlsConfig = b.ServerTLSConfig()
		fmt.Fprintf(out, "development CA certificate (trust it with cachekitio.WithRootCAs): %s\n", ca)
	default:
		return errors.New("TLS is required: give -tls-cert and -tls-key (or -plain-http behind a TLS terminator)")
	}

	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	if tlsConfig != nil {
		// TLS below the server's listener wrapper, which must see the
		// plain requests: HTTP/1.1 only (net/http's own HTTP/2 needs the
		// *tls.Conn).
		tlsConfig = tlsConfig.Clone()
		tlsConfig.NextProtos = []string{"http/1.1"}
		ln = tls.NewListener(ln, tlsConfig)
	}
	// The wrapper lets the server answer, with API-2's headers and the
	// authentication outcome first, the malformed requests net/http
	// refuses before any handler runs.
	ln = srv.WrapListener(ln)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("listening", "addr", addr, "tls", !c.plainHTTP, "storage", c.storage, "dev", dev)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	if cl, ok := store.(io.Closer); ok {
		_ = cl.Close()
	}
	log.Info("stopped")
	return nil
}

// devKeys makes one key of each class for tenant "dev" and prints them:
// development mode only, where printing them is the point.
func devKeys(out io.Writer) (*server.StaticKeys, error) {
	var entries []server.KeyEntry
	fmt.Fprintln(out, "development mode: API keys for tenant \"dev\" (this process only):")
	for _, prefix := range []string{"ck_sdk_", "ck_api_", "ck_live_"} {
		k := prefix + "dev_" + rand.Text()
		entries = append(entries, server.KeyEntry{Key: k, Tenant: "dev"})
		fmt.Fprintf(out, "  %s\n", k)
	}
	return server.NewStaticKeys(entries)
}
