package cachekit

import (
	"context"
	"os"
	"slices"
	"strings"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/core/registry"
	"github.com/cachekit-io/cachekit-go/crypto"
	"github.com/cachekit-io/cachekit-go/protocol"
)

// The environment variables the constructors read.
const (
	// EnvMasterKey holds the master key (64 hex digits) that SecureFromEnv
	// and WithEncryptionFromEnv use. Its presence turns nothing on.
	EnvMasterKey = crypto.EnvMasterKey
	// EnvPreviousMasterKeys holds decrypt-only master keys,
	// comma-separated, for key rotation.
	EnvPreviousMasterKeys = crypto.EnvPreviousMasterKeys
	// EnvAPIKey holds the cachekit.io API key: IOFromEnv reads it, and
	// FromEnv chooses cachekit.io when it is set.
	EnvAPIKey = "CACHEKIT_API_KEY"
)

// Import paths of the adapters FromEnv and IO can open, named in the error
// that says which one to import.
const (
	cachekitioPackage = "github.com/cachekit-io/cachekit-go/backend/cachekitio"
	redisPackage      = "github.com/cachekit-io/cachekit-go/backend/redis"
	filePackage       = "github.com/cachekit-io/cachekit-go/backend/file"
	memcachedPackage  = "github.com/cachekit-io/cachekit-go/backend/memcached"
)

// fallbackSelectors are the generic variables that select a backend only
// when no other selector is set: platforms set REDIS_URL for their own
// reasons, so it never competes with a CACHEKIT_* variable.
var fallbackSelectors = []string{"REDIS_URL"}

// knownDrivers are the adapters of this repository that register a
// core/registry driver, in cachekit-py's order of precedence: FromEnv and
// Open recognise their selectors and URL schemes even when the adapter is
// not linked, to say which package to import.
var knownDrivers = []struct {
	name, pkg string
	selectors []string
	schemes   []string
	preset    core.Preset
}{
	{"cachekitio", cachekitioPackage, []string{EnvAPIKey}, []string{"https"}, core.PresetIO},
	{"redis", redisPackage, []string{"CACHEKIT_REDIS_URL", "REDIS_URL"}, []string{"redis", "rediss"}, core.PresetProduction},
	{"memcached", memcachedPackage, []string{"CACHEKIT_MEMCACHED_SERVERS"}, []string{"memcached"}, core.PresetProduction},
	{"file", filePackage, []string{"CACHEKIT_FILE_CACHE_DIR"}, []string{"file"}, core.PresetProduction},
}

// Options every constructor takes; each constructor adds its own below.
var commonOptions = []string{"WithDefaultTTL", "WithNamespace", "WithL1MaxBytes", "WithoutL1",
	"WithInvalidation", "WithStaleWhileRevalidate", "WithCodec", "WithLogger", "WithObserver", "WithClientOptions",
	"WithFillLock", "WithoutFillLock", "WithNegativeCache", "WithTTLJitter"}

var (
	encryptionOptions = []string{"WithEncryption", "WithEncryptionFromEnv", "WithoutEncryption", "WithPreviousMasterKeys"}
	openerOptions     = []string{"WithBackendOptions"}
)

// Minimal returns a client of the minimal preset over backend: the
// cheapest correct cache. Default TTL 300 s; an otter L1 (l1/otter) in front of
// backend; no stale-while-revalidate, no cross-process invalidation (L1
// copies live at most 30 s and never past the value's remaining TTL), no
// retries; the ByteStorage envelope codec; no encryption unless
// WithEncryption asks for it. Close releases the L1, not backend.
//
// When backend is unreachable (it fails with a retryable kind: transient,
// timeout, backpressure), with no retry:
//   - Get returns the error, unless the L1 holds a fresh copy, which it
//     returns; Set and Delete return the error (Set drops the L1 copy,
//     Delete removes it first);
//   - GetOrLoad and Cached return the first error too (the minimal preset
//     has no reliability stack and does not degrade); the loader does not
//     run.
//
// A stored value that cannot be read (it does not decode, or does not
// authenticate under encryption) is an error from Get (KindSerialization,
// KindEncryption); GetOrLoad and Cached treat it as a miss: the loader's
// value is returned and replaces it (Stats.SelfHealed).
func Minimal(backend core.Backend, opts ...Option) (*core.Client, error) {
	return withBackend("Minimal", core.PresetMinimal, backend, opts)
}

// Production returns a client of the production preset over backend: the
// default for services. Default TTL 600 s; an otter L1 (l1/otter) in front of
// backend, kept in step with other processes' writes where backend reports
// invalidations (backend/redis on a single server or Sentinel);
// stale-while-revalidate; two retries with backoff on retryable failures;
// the ByteStorage envelope codec; no encryption unless WithEncryption asks
// for it — never from CACHEKIT_MASTER_KEY alone. Close releases the L1 and
// the composition, not backend.
//
// When backend is unreachable (it fails with a retryable kind: transient,
// timeout, backpressure), after the retries:
//   - Get returns the error, unless the L1 holds a fresh copy, which it
//     returns; Set and Delete return the error (Set drops the L1 copy,
//     Delete removes it first);
//   - GetOrLoad and Cached run the loader and return its value with a nil
//     error (counted in Stats.Degraded; the failed write-back in
//     Stats.Errors); a non-retryable failure (auth, permanent) is returned
//     and the loader does not run.
//
// The reliability stack is on (core.DefaultReliability): after 5
// consecutive transient failures the circuit breaker opens, and calls that
// would reach backend fail at once with KindCircuitOpen (GetOrLoad and
// Cached still answer from the loader) until a background health check
// finds it back.
//
// A stored value that cannot be read (it does not decode, or does not
// authenticate under encryption) is an error from Get (KindSerialization,
// KindEncryption); GetOrLoad and Cached treat it as a miss: the loader's
// value is returned and replaces it (Stats.SelfHealed).
func Production(backend core.Backend, opts ...Option) (*core.Client, error) {
	return withBackend("Production", core.PresetProduction, backend, opts)
}

// Secure returns a client of the secure preset over backend: zero-knowledge
// encryption with the master key masterKeyHex (64 hex digits, decoded to
// the 32 key bytes every SDK derives from the same string; use exactly 32
// bytes, the only length every SDK accepts). An empty, short, long or
// non-hex key is a core.KindConfig error that never shows the key; there is
// no plaintext fallback. Every value is sealed (AES-256-GCM, tenant
// "default" for key derivation and AAD alike) before it reaches any tier,
// so the L1 and backend hold only ciphertext. Otherwise as Production:
// default TTL 600 s, L1 with cross-process invalidation,
// stale-while-revalidate, two retries, the envelope codec. Close releases
// the L1, the composition and the key material, not backend.
//
// When backend is unreachable (it fails with a retryable kind: transient,
// timeout, backpressure), after the retries:
//   - Get returns the error, unless the L1 holds a fresh copy, which it
//     decrypts and returns; Set and Delete return the error (Set drops the
//     L1 copy, Delete removes it first);
//   - GetOrLoad and Cached run the loader and return its value with a nil
//     error (counted in Stats.Degraded; the failed write-back in
//     Stats.Errors); a non-retryable failure (auth, permanent) is returned
//     and the loader does not run.
//
// The reliability stack is on, as for Production (KindCircuitOpen while
// the breaker is open).
//
// A stored value that cannot be read — tampered, written under another
// key, or not decodable — is a KindEncryption (or KindSerialization) error
// from Get: reads fail closed, no byte of it is returned. GetOrLoad and
// Cached treat it as a miss: the loader's value is returned and replaces
// it (Stats.SelfHealed).
func Secure(backend core.Backend, masterKeyHex string, opts ...Option) (*core.Client, error) {
	const ctor = "Secure"
	cfg := collect(opts)
	if err := check(ctor, cfg, "WithPreviousMasterKeys"); err != nil {
		return nil, err
	}
	if backend == nil {
		return nil, configErr(op(ctor), "nil backend")
	}
	if masterKeyHex == "" {
		return nil, configErr(op(ctor), "no master key: pass 64 hex digits, or use SecureFromEnv to read "+EnvMasterKey)
	}
	enc, err := newEncryptor(ctor, "master key", masterKeyHex, cfg.previousHex)
	if err != nil {
		return nil, err
	}
	return build(ctor, core.PresetSecure, backend, false, enc, cfg)
}

// SecureFromEnv is Secure with the master key of CACHEKIT_MASTER_KEY and the
// decrypt-only keys of CACHEKIT_PREVIOUS_MASTER_KEYS (comma-separated hex).
// A missing or empty CACHEKIT_MASTER_KEY, or a malformed key in either
// variable, fails here, before backend is used.
func SecureFromEnv(backend core.Backend, opts ...Option) (*core.Client, error) {
	const ctor = "SecureFromEnv"
	cfg := collect(opts)
	if err := check(ctor, cfg, "WithPreviousMasterKeys"); err != nil {
		return nil, err
	}
	if backend == nil {
		return nil, configErr(op(ctor), "nil backend")
	}
	enc, err := encryptorFromEnv(ctor, cfg.previousHex)
	if err != nil {
		return nil, err
	}
	return build(ctor, core.PresetSecure, backend, false, enc, cfg)
}

// IO returns a client of the io preset over cachekit.io with the API key
// apiKey: default TTL 3600 s, an otter L1 (l1/otter) in front, stale-while-revalidate,
// two client retries (the cachekitio backend retries idempotent requests
// too), the envelope codec, no encryption unless WithEncryption asks for it
// (CACHEKIT_MASTER_KEY alone never turns it on). The backend is opened by
// the "cachekitio" driver of core/registry: the program must import
// backend/cachekitio (a blank import will do), or IO fails with a
// core.KindConfig error naming the package. Its other settings
// (CACHEKIT_API_URL, CACHEKIT_TIMEOUT, …) come from the environment and
// WithBackendOptions; apiKey wins over CACHEKIT_API_KEY. An empty apiKey is
// a core.KindConfig error (IOFromEnv reads the variable). Close releases
// the L1, the composition and the backend.
//
// When cachekit.io is unreachable (a retryable kind: transient, timeout,
// backpressure — the backend's own retries spent), after the client's
// retries:
//   - Get returns the error, unless the L1 holds a fresh copy, which it
//     returns; Set and Delete return the error (Set drops the L1 copy,
//     Delete removes it first);
//   - GetOrLoad and Cached run the loader and return its value with a nil
//     error (counted in Stats.Degraded; the failed write-back in
//     Stats.Errors); a non-retryable failure (a rejected API key: auth) is
//     returned and the loader does not run.
//
// The reliability stack is on, as for Production (KindCircuitOpen while
// the breaker is open).
//
// A stored value that cannot be read is an error from Get
// (KindSerialization, KindEncryption); GetOrLoad and Cached treat it as a
// miss: the loader's value is returned and replaces it (Stats.SelfHealed).
func IO(apiKey string, opts ...Option) (*core.Client, error) {
	const ctor = "IO"
	if apiKey == "" {
		return nil, configErr(op(ctor), "no API key: pass one, or use IOFromEnv to read "+EnvAPIKey)
	}
	lookup := func(k string) (string, bool) {
		if k == EnvAPIKey {
			return apiKey, true
		}
		return os.LookupEnv(k)
	}
	return openIO(ctor, lookup, opts)
}

// IOFromEnv is IO with the API key of CACHEKIT_API_KEY, the only variable it
// reads for the io preset itself (the cachekitio backend reads its own
// CACHEKIT_* settings). A missing or empty variable fails here.
func IOFromEnv(opts ...Option) (*core.Client, error) {
	const ctor = "IOFromEnv"
	if v, _ := os.LookupEnv(EnvAPIKey); v == "" {
		return nil, configErr(op(ctor), EnvAPIKey+" is not set")
	}
	return openIO(ctor, os.LookupEnv, opts)
}

func openIO(ctor string, lookup func(string) (string, bool), opts []Option) (*core.Client, error) {
	cfg := collect(opts)
	if err := check(ctor, cfg, append(encryptionOptions, openerOptions...)...); err != nil {
		return nil, err
	}
	enc, err := explicitEncryption(ctor, cfg)
	if err != nil {
		return nil, err
	}
	d, ok := registry.Lookup("cachekitio")
	if !ok {
		closeEnc(enc)
		return nil, configErr(op(ctor), "the cachekitio driver is not linked: import _ \""+cachekitioPackage+"\"")
	}
	b, err := d.Open(context.Background(), registry.Config{Lookup: lookup, Options: cfg.backendOpts})
	if err != nil {
		closeEnc(enc)
		return nil, err
	}
	return build(ctor, core.PresetIO, b, true, enc, cfg)
}

// FromEnv builds a client from the environment in one call, choosing the
// backend by the variable that is set, with cachekit-py's variables:
//
//   - CACHEKIT_API_KEY → cachekit.io, with the io preset;
//   - CACHEKIT_REDIS_URL → Redis, with the production preset;
//   - CACHEKIT_MEMCACHED_SERVERS (a JSON array of "host:port") → memcached,
//     with the production preset;
//   - CACHEKIT_FILE_CACHE_DIR → a cache directory, with the production
//     preset;
//   - a third-party driver's selector (registered in core/registry) → that
//     driver, with the production preset;
//   - REDIS_URL → Redis, with the production preset, but only when none of
//     the above is set.
//
// The selectors above REDIS_URL are exclusive: two of them set at once (say
// CACHEKIT_API_KEY and CACHEKIT_REDIS_URL) is a core.KindConfig error
// naming both, never a silent choice. REDIS_URL, which hosting platforms
// set for their own reasons, is only a fallback: it is ignored when one of
// them is set, and used when none is (this reconciles cachekit-py's order
// of precedence, which puts it last, with refusing ambiguous settings).
// None set is a core.KindConfig error unless WithInProcessDefault asked for
// an in-process cache (the minimal preset over an L1 alone, shared with no
// other process). A malformed value is the chosen driver's
// core.KindConfig error, which does not repeat it.
//
// The chosen adapter must be linked (import backend/redis,
// backend/cachekitio, backend/memcached or backend/file; a blank import
// will do), or FromEnv fails naming the package to import, so that a
// program links only the adapters it uses.
//
// FromEnv never turns encryption on from CACHEKIT_MASTER_KEY: pass
// WithEncryptionFromEnv (or WithEncryption) for that. What each operation
// does when the backend is unreachable is the chosen preset's (see
// Production and IO); the in-process cache has no backend to lose.
func FromEnv(ctx context.Context, opts ...Option) (*core.Client, error) {
	const ctor = "FromEnv"
	cfg := collect(opts)
	if err := check(ctor, cfg, append(append(encryptionOptions, openerOptions...), "WithInProcessDefault")...); err != nil {
		return nil, err
	}
	picks, err := selectBackend(ctor, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	enc, err := explicitEncryption(ctor, cfg)
	if err != nil {
		return nil, err
	}
	if picks == nil {
		if !cfg.inProcessDflt {
			closeEnc(enc)
			return nil, configErr(op(ctor), "no backend selected: set "+EnvAPIKey+" (cachekit.io), CACHEKIT_REDIS_URL / REDIS_URL (Redis), CACHEKIT_MEMCACHED_SERVERS (memcached) or CACHEKIT_FILE_CACHE_DIR (a cache directory), or pass WithInProcessDefault for an in-process cache")
		}
		l1, release, err := inProcess(cfg)
		if err != nil {
			closeEnc(enc)
			return nil, err
		}
		return client(ctor, core.PresetMinimal, l1, release, enc, cfg)
	}
	p := *picks
	if p.driver == nil {
		closeEnc(enc)
		return nil, configErr(op(ctor), p.variable+" selects "+p.name+", whose driver is not linked: import _ \""+p.pkg+"\"")
	}
	b, err := p.driver.Open(ctx, registry.Config{Lookup: os.LookupEnv, Options: cfg.backendOpts})
	if err != nil {
		closeEnc(enc)
		return nil, err
	}
	return build(ctor, presetOf(p.name), b, true, enc, cfg)
}

// pick is the backend the environment selects: a linked driver, or a known
// adapter that is not linked (pkg names it).
type pick struct {
	name, variable, pkg string
	driver              *registry.Driver
}

// selectBackend applies FromEnv's rule: the exclusive selectors first (two
// of them set is an error naming both), then the fallbacks. It returns nil
// when nothing is selected.
func selectBackend(ctor string, lookup func(string) (string, bool)) (*pick, error) {
	var primary, fallback []pick
	add := func(p pick, selectors []string) {
		for _, s := range selectors {
			if v, ok := lookup(s); !ok || v == "" {
				continue
			}
			p.variable = s
			if contains(fallbackSelectors, s) {
				fallback = append(fallback, p)
				continue // a later, exclusive selector of the same driver wins
			}
			primary = append(primary, p)
			return
		}
	}
	linked := map[string]bool{}
	for _, d := range registry.Drivers() {
		linked[d.Name] = true
		add(pick{name: d.Name, driver: &d}, d.Selectors)
	}
	for _, k := range knownDrivers {
		if !linked[k.name] {
			add(pick{name: k.name, pkg: k.pkg}, k.selectors)
		}
	}
	// A driver with an exclusive selector set is not also a fallback pick.
	for _, p := range primary {
		fallback = slices.DeleteFunc(fallback, func(f pick) bool { return f.name == p.name })
	}
	for _, set := range [][]pick{primary, fallback} {
		switch {
		case len(set) == 1:
			return &set[0], nil
		case len(set) > 1:
			names := make([]string, len(set))
			for i, p := range set {
				names[i] = p.variable + " (" + p.name + ")"
			}
			return nil, configErr(op(ctor), "more than one backend is selected: "+strings.Join(names, " and ")+"; unset all but one")
		}
	}
	return nil, nil
}

// presetOf is the preset FromEnv and Open build over the driver name: the
// known driver's, else production.
func presetOf(name string) core.Preset {
	for _, k := range knownDrivers {
		if k.name == name {
			return k.preset
		}
	}
	return core.PresetProduction
}

// withBackend is Minimal and Production: a caller's backend, encryption
// only when asked for.
func withBackend(ctor string, p core.Preset, backend core.Backend, opts []Option) (*core.Client, error) {
	cfg := collect(opts)
	if err := check(ctor, cfg, encryptionOptions...); err != nil {
		return nil, err
	}
	if backend == nil {
		return nil, configErr(op(ctor), "nil backend")
	}
	enc, err := explicitEncryption(ctor, cfg)
	if err != nil {
		return nil, err
	}
	return build(ctor, p, backend, false, enc, cfg)
}

// build puts the preset's stack in front of backend and the client on top.
// On failure it releases everything it was given (enc, and backend when
// owned).
func build(ctor string, p core.Preset, backend core.Backend, owned bool, enc *crypto.Encryptor, cfg *config) (*core.Client, error) {
	var guard core.Codec
	if enc == nil { // an encrypting client's L1 holds ciphertext: no guard reads it
		guard = presetCodec(cfg)
	}
	stack, release, err := buildStack(p, backend, owned, cfg, guard)
	if err != nil {
		closeEnc(enc)
		if owned {
			_ = closeIfCloser(backend)
		}
		return nil, err
	}
	return client(ctor, p, stack, release, enc, cfg)
}

// presetCodec is the client's codec: WithCodec's, or the envelope.
func presetCodec(cfg *config) core.Codec {
	if !cfg.has("WithCodec") {
		return protocol.Envelope()
	}
	return cfg.codec
}

// client is core.New with the preset's client defaults (core.WithPreset:
// TTL, stale-while-revalidate, retries, the fill lock), the codec, the
// read-through options (fill lock, negative caching, TTL jitter), the encryptor and the
// caller's overrides, releasing the stack and the key material on Close.
func client(ctor string, p core.Preset, stack core.Backend, release func() error, enc *crypto.Encryptor, cfg *config) (*core.Client, error) {
	opts := []core.Option{core.WithPreset(p), core.WithCodec(presetCodec(cfg)), core.WithOnClose(release)}
	if enc != nil {
		opts = append(opts, core.WithEncryptor(enc), core.WithOnClose(enc.Close))
	}
	if cfg.ttlSet {
		opts = append(opts, core.WithDefaultTTL(cfg.ttl))
	}
	if cfg.has("WithNamespace") {
		opts = append(opts, core.WithNamespace(cfg.namespace))
	}
	if cfg.swr != nil {
		opts = append(opts, core.WithStaleWhileRevalidate(*cfg.swr))
	}
	if cfg.has("WithLogger") {
		opts = append(opts, core.WithLogger(cfg.logger))
	}
	if cfg.observer != nil {
		opts = append(opts, core.WithObserver(cfg.observer))
	}
	opts = append(opts, cfg.readThrough...)
	opts = append(opts, cfg.clientOpts...)
	c, err := core.New(stack, opts...)
	if err != nil {
		_ = release()
		closeEnc(enc)
		return nil, core.Wrap(err, core.KindConfig, op(ctor))
	}
	return c, nil
}

// check rejects the options ctor does not support (PRE-49) and the
// combinations that contradict each other.
func check(ctor string, cfg *config, extra ...string) error {
	for _, g := range cfg.given {
		if !contains(commonOptions, g) && !contains(extra, g) {
			return configErr(op(ctor), g+" is not supported by "+ctor+unsupportedWhy(ctor, g))
		}
	}
	switch {
	case cfg.has("WithEncryption") && cfg.has("WithEncryptionFromEnv"):
		return configErr(op(ctor), "WithEncryption and WithEncryptionFromEnv both name a key: pass one")
	case cfg.has("WithoutEncryption") && (cfg.has("WithEncryption") || cfg.has("WithEncryptionFromEnv")):
		return configErr(op(ctor), "WithoutEncryption contradicts WithEncryption/WithEncryptionFromEnv")
	}
	return nil
}

func unsupportedWhy(ctor, option string) string {
	switch {
	case strings.HasPrefix(ctor, "Secure") && strings.HasPrefix(option, "WithEncryption"):
		return ": the secure preset always encrypts, with the key it is given"
	case strings.HasPrefix(ctor, "Secure") && option == "WithoutEncryption":
		return ": the secure preset cannot run without encryption"
	case option == "WithBackendOptions":
		return ": it configures a backend the constructor opens itself (IO, IOFromEnv, FromEnv, Open); configure your backend before passing it"
	case option == "WithInProcessDefault":
		return ": only FromEnv chooses a backend"
	}
	return ""
}

// explicitEncryption builds the encryptor an explicit option asks for, or
// nil (PRE-30, PRE-34: the environment alone never activates it).
func explicitEncryption(ctor string, cfg *config) (*crypto.Encryptor, error) {
	switch {
	case cfg.has("WithEncryption"):
		if cfg.encKeyHex == "" {
			return nil, configErr(op(ctor), "WithEncryption: empty master key (WithEncryptionFromEnv reads "+EnvMasterKey+")")
		}
		return newEncryptor(ctor, "WithEncryption master key", cfg.encKeyHex, cfg.previousHex)
	case cfg.encFromEnv:
		return encryptorFromEnv(ctor, cfg.previousHex)
	case cfg.has("WithPreviousMasterKeys"):
		return nil, configErr(op(ctor), "WithPreviousMasterKeys needs encryption on (WithEncryption or WithEncryptionFromEnv)")
	}
	return nil, nil
}

func newEncryptor(ctor, which, keyHex string, previous []string) (*crypto.Encryptor, error) {
	var opts []crypto.Option
	if len(previous) > 0 {
		opts = append(opts, crypto.WithPreviousKeysHex(previous...))
	}
	enc, err := crypto.NewFromHex(keyHex, opts...)
	if err != nil {
		return nil, core.NewError(core.KindConfig, op(ctor), which+" rejected (want exactly 64 hex digits: 32 bytes)", err)
	}
	return enc, nil
}

// encryptorFromEnv reads EnvMasterKey and EnvPreviousMasterKeys (through
// crypto's parser) after checking that the key is there.
func encryptorFromEnv(ctor string, previous []string) (*crypto.Encryptor, error) {
	if v, _ := os.LookupEnv(EnvMasterKey); v == "" {
		return nil, configErr(op(ctor), EnvMasterKey+" is not set")
	}
	var opts []crypto.Option
	if len(previous) > 0 {
		opts = append(opts, crypto.WithPreviousKeysHex(previous...))
	}
	enc, err := crypto.NewFromEnv(opts...)
	if err != nil {
		return nil, core.NewError(core.KindConfig, op(ctor), EnvMasterKey+" or "+EnvPreviousMasterKeys+" rejected (want 64 hex digits per key)", err)
	}
	return enc, nil
}

func closeEnc(enc *crypto.Encryptor) {
	if enc != nil {
		_ = enc.Close()
	}
}

func op(ctor string) string { return "cachekit." + strings.ToLower(ctor) }

func configErr(op, msg string) error { return core.NewError(core.KindConfig, op, msg, nil) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func joinNames(list []string) string { return strings.Join(list, ", ") }
