package core

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Client is the typed front of a Backend, as slog.Logger is the front of a
// slog.Handler: it validates keys and TTLs, applies the namespace, encodes
// values with its Codec, encrypts them with its Encryptor (when it has one),
// and talks to the Backend. Read values with the generic functions Get,
// GetOrLoad, Cached and GetMany; write them with Set, SetMany, Delete and
// DeleteMany. TTL, Expire and Lock reach the backend's optional
// capabilities the same way.
//
// A Client is safe for concurrent use. Namespace returns a view of the same
// client under another namespace that shares its backend, background work
// and statistics.
type Client struct {
	backend     Backend
	values      ValueGetter       // backend's ValueGetter, or nil
	marked      markedLocalGetter // backend's, or nil
	checking    CheckingCodec     // codec's, or nil; nil with an encryptor
	codec       Codec
	encryptor   Encryptor
	inPlace     InPlaceDecrypter // encryptor's, or nil
	format      string
	compressed  bool
	namespace   string
	prefix      string // "ns:{namespace}:" or ""
	defaultTTL  time.Duration
	neverExpire bool
	maxPayload  int
	maxStored   int // maxPayload plus the encryption overhead
	swr         bool
	freshRatio  float64
	retries     int
	backoff     time.Duration
	loadTimeout time.Duration
	logger      *slog.Logger
	obs         *Observer // WithObserver, or nil
	preset      Preset
	onClose     []func() error // WithOnClose
	fill        fillLock       // the distributed fill lock of GetOrLoad
	ttlJitter   float64        // WithTTLJitter
	absentTTL   time.Duration  // WithNegativeCache
	sh          *shared
}

// shared is the state every namespace view of a client shares.
type shared struct {
	flight    flightGroup   // GetOrLoad: one backend read (and load) per key
	refreshes flightGroup   // stale-while-revalidate: one background refresh per key
	versions  *versions     // per-key write ordering
	refresh   chan struct{} // semaphore bounding background refreshes
	bg        sync.WaitGroup
	pending   atomic.Int64              // goroutines started by spawn and not yet done
	lastPool  atomic.Pointer[typedPool] // the decode targets last used (targetPool)
	closed    atomic.Bool
	counters  counters
	objects   *objectCache // nil unless WithObjectCache
	st        *stack       // the reliability stack, or nil
	warn      *warnings    // rate-limited warnings
	strays    strayLocks   // fill locks this client could not release
}

// EncryptionOverhead is what sealing adds to a value: a 12-byte nonce and a
// 16-byte tag.
const EncryptionOverhead = 28

// New returns a Client over backend. WithCodec is required.
func New(backend Backend, opts ...Option) (*Client, error) {
	if backend == nil {
		return nil, configErr("New: nil backend")
	}
	s := defaultSettings()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&s); err != nil {
			return nil, err
		}
	}
	if s.codec == nil {
		return nil, configErr("no codec: pass WithCodec (protocol.Msgpack() or protocol.Envelope())")
	}
	if s.objectEntries > 0 && s.encryptor != nil {
		return nil, configErr("WithObjectCache keeps decoded plaintext in memory; it cannot be combined with WithEncryptor")
	}
	if s.preset == PresetSecure && s.encryptor == nil {
		return nil, configErr("the secure preset requires an encryptor (WithEncryptor); a master key in the environment does not turn encryption on by itself")
	}
	if !s.ttlSet {
		s.defaultTTL = s.preset.defaultTTL()
	}
	if !s.swrSet {
		s.swr = s.preset != PresetMinimal
	}
	if !s.retriesSet {
		s.retries = s.preset.defaultRetries()
	}
	if !s.relSet && s.presetSet && s.preset != PresetMinimal {
		s.rel = DefaultReliability()
	}
	if s.rel.on && s.retriesSet {
		s.rel.Retries, s.rel.BackoffBase = s.retries, s.retryBackoff
		s.rel.BackoffCap = max(s.rel.BackoffCap, s.retryBackoff)
	}
	codec := s.codec
	if ms, ok := codec.(MaxSizer); ok {
		codec = ms.WithMaxSize(s.maxPayload)
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	values, _ := backend.(ValueGetter)
	inPlace, _ := s.encryptor.(InPlaceDecrypter)
	marked, _ := backend.(markedLocalGetter)
	checking, _ := codec.(CheckingCodec)
	if s.encryptor != nil {
		checking = nil // the tiers hold ciphertext: no guard saw it
	}
	c := &Client{
		backend:     backend,
		values:      values,
		marked:      marked,
		checking:    checking,
		codec:       codec,
		encryptor:   s.encryptor,
		inPlace:     inPlace,
		format:      codec.Format(),
		compressed:  codec.Compressed(),
		defaultTTL:  s.defaultTTL,
		neverExpire: s.neverExpire,
		maxPayload:  s.maxPayload,
		maxStored:   s.maxPayload,
		swr:         s.swr,
		freshRatio:  s.freshRatio,
		retries:     s.retries,
		backoff:     s.retryBackoff,
		loadTimeout: s.loadTimeout,
		logger:      s.logger,
		obs:         s.observer,
		preset:      s.preset,
		onClose:     s.onClose,
		fill:        s.resolveFillLock(),
		ttlJitter:   s.ttlJitter,
		absentTTL:   s.absentTTL,
		sh: &shared{
			refresh: make(chan struct{}, s.refreshLimit),
		},
	}
	if c.encryptor != nil {
		c.maxStored = min(c.maxStored, math.MaxInt-EncryptionOverhead) + EncryptionOverhead
	}
	if s.objectEntries > 0 {
		c.sh.objects = newObjectCache(s.objectEntries, s.objectMaxAge)
	}
	c.sh.versions = newVersions(c.sh.objects)
	clk := s.clk
	if clk == nil {
		clk = realClock{epoch: time.Now()}
	}
	if s.rel.on {
		c.sh.st = newStack(s.rel, clk, &c.sh.counters, backend.Health)
		c.sh.st.obs, c.sh.st.brk.obs = s.observer, s.observer
	}
	c.sh.warn = newWarnings(c.logger, clk)
	c.setNamespace(s.namespace)
	return c, nil
}

func (c *Client) setNamespace(ns string) {
	c.namespace = ns
	c.prefix = ""
	if ns != "" {
		c.prefix = NamespacePrefix + ns + ":"
	}
}

// Namespace returns a view of c that stores keys under namespace ns
// ("ns:{ns}:{key}"). It shares c's backend, background work and statistics.
func (c *Client) Namespace(ns string) (*Client, error) {
	if err := ValidateNamespace(ns); err != nil {
		return nil, err
	}
	v := *c
	v.setNamespace(ns)
	return &v, nil
}

// NamespaceName returns the client's namespace ("" when it has none).
func (c *Client) NamespaceName() string { return c.namespace }

// Backend returns the backend the client talks to.
func (c *Client) Backend() Backend { return c.backend }

// Encrypted reports whether the client encrypts values.
func (c *Client) Encrypted() bool { return c.encryptor != nil }

// DefaultTTL returns the TTL used when none is given (0 with NeverExpire).
func (c *Client) DefaultTTL() time.Duration {
	if c.neverExpire {
		return NoExpiry
	}
	return c.defaultTTL
}

// StorageKey returns the key under which key is stored by this client
// (namespace applied), or an *Error of KindInvalidInput.
func (c *Client) StorageKey(key string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if c.prefix == "" {
		return key, nil
	}
	return c.prefix + key, nil
}

// Get reads the value stored under key into a T. found is false on a miss,
// which is not an error. Stored bytes that do not decode (or, with
// encryption, do not authenticate) are an error — never a silent miss.
//
// Without WithObjectCache every call returns a value of its own, decoded
// from the stored bytes: nothing in it is shared with the backend or with
// other callers. With WithObjectCache, a hit may be answered from the object
// cache: the value returned is then shared with other callers (see
// WithObjectCache).
func Get[T any](ctx context.Context, c *Client, key string) (value T, found bool, err error) {
	if c.sh.objects != nil {
		if err := ValidateKey(key); err != nil {
			return value, false, err
		}
		if v, ok := lookupObject[T](c, key); ok {
			return v, true, nil
		}
	}
	sk, err := c.StorageKey(key)
	if err != nil {
		return value, false, err
	}
	var gen uint64
	if c.sh.objects != nil {
		gen = c.sh.versions.current(sk)
	}
	// An in-process hit first (see readLocal); only the object cache looks
	// at a hit's freshness here.
	data, _, mark, found := c.readLocal(ctx, sk)
	var e Entry
	if !found {
		e, found, err = c.read(ctx, sk, c.sh.objects != nil)
		data = e.Value
		if err != nil && c.sh.st != nil && c.sh.st.cfg.GetFailOpen && unreachable(KindOf(err)) {
			c.sh.counters.degraded.Add(1)
			c.sh.warn.warn("cachekit: Get answered a miss: the backend is unavailable (GetFailOpen)", KindOf(err))
			return value, false, nil
		}
		if err != nil || !found {
			return value, false, err
		}
	}
	// The bytes of a read are this call's alone: they may open in place.
	if err = decodeMarked(c, data, sk, mark, &value); err != nil {
		return value, false, err
	}
	if c.sh.objects != nil {
		c.keepObject(sk, gen, value, e.Freshness)
	}
	return value, true, nil
}

// Set stores value under key, for the client's default TTL or the one given
// with TTL (the only CallOption Set takes). Once Set returns nil, every read
// of this client sees the value (or a later write).
func (c *Client) Set(ctx context.Context, key string, value any, opts ...CallOption) error {
	cs, err := c.callSettings("set", false, opts)
	if err != nil {
		return err
	}
	return c.set(ctx, key, value, cs.storeTTL())
}

func (c *Client) set(ctx context.Context, key string, value any, ttl time.Duration) error {
	sk, err := c.StorageKey(key)
	if err != nil {
		return err
	}
	data, err := c.encode(sk, value)
	if err != nil {
		return err
	}
	if err := c.sh.versions.beginWrite(ctx, sk); err != nil {
		return Wrap(err, KindCanceled, "set")
	}
	err = c.write(ctx, sk, data, ttl)
	c.sh.versions.endWrite(sk)
	if err == nil {
		c.sh.counters.sets.Add(1)
	}
	return err
}

// Delete removes key. Deleting a missing key succeeds.
func (c *Client) Delete(ctx context.Context, key string) error {
	sk, err := c.StorageKey(key)
	if err != nil {
		return err
	}
	if err := c.sh.versions.beginWrite(ctx, sk); err != nil {
		return Wrap(err, KindCanceled, "delete")
	}
	t := c.opStart()
	err = c.withRetry(ctx, func(ctx context.Context) error { return c.backend.Delete(ctx, sk) })
	c.sh.versions.endWrite(sk)
	c.opDone(ctx, OpDelete, ResultOK, err, 0, t)
	if err != nil {
		c.sh.counters.errors.Add(1)
		return Wrap(err, KindUnknown, "delete")
	}
	c.sh.counters.deletes.Add(1)
	return nil
}

// Exists reports whether key holds a live value, without reading it.
func (c *Client) Exists(ctx context.Context, key string) (bool, error) {
	sk, err := c.StorageKey(key)
	if err != nil {
		return false, err
	}
	var ok bool
	t := c.opStart()
	err = c.withRetry(ctx, func(ctx context.Context) (err error) {
		ok, err = c.backend.Exists(ctx, sk)
		return err
	})
	c.opDone(ctx, OpExists, ResultOK, err, 0, t)
	if err != nil {
		c.sh.counters.errors.Add(1)
		return false, Wrap(err, KindUnknown, "exists")
	}
	return ok, nil
}

// Health checks the backend.
func (c *Client) Health(ctx context.Context) error {
	return Wrap(c.backend.Health(ctx), KindUnknown, "health")
}

// read is a backend Get with retries and the stored-size bound. Unless
// fresh is set (the caller looks at the entry's freshness), a backend that
// implements ValueGetter is read with GetValue, and the entry's freshness is
// UnknownFreshness.
func (c *Client) read(ctx context.Context, sk string, fresh bool) (Entry, bool, error) {
	t := c.opStart()
	e, found, err := c.readBackend(ctx, sk, fresh)
	switch {
	case err != nil:
		c.sh.counters.errors.Add(1)
		c.opDone(ctx, OpGet, ResultError, err, 0, t)
		return Entry{}, false, err
	case !found:
		c.sh.counters.misses.Add(1)
		c.opDone(ctx, OpGet, ResultMiss, nil, 0, t)
		return Entry{}, false, nil
	}
	c.sh.counters.hits.Add(1)
	c.opDone(ctx, OpGet, hitResult(e.Freshness), nil, len(e.Value), t)
	return e, true, nil
}

// readBackend is read without the counters and observers: the backend call
// (with the client's retries) and the stored-size check. A fill-lock
// waiter's polls use it alone, so that one GetOrLoad counts one miss however
// often it looks for the value another process loads.
func (c *Client) readBackend(ctx context.Context, sk string, fresh bool) (Entry, bool, error) {
	var (
		e     Entry
		found bool
	)
	plain := c.values != nil && !fresh
	err := c.withRetry(ctx, func(ctx context.Context) (err error) {
		if plain {
			e.Value, found, err = c.values.GetValue(ctx, sk)
			return err
		}
		e, found, err = c.backend.Get(ctx, sk)
		return err
	})
	if err != nil {
		return Entry{}, false, Wrap(err, KindUnknown, "get")
	}
	if !found {
		return Entry{}, false, nil
	}
	if len(e.Value) > c.maxStored {
		return Entry{}, false, &Error{Kind: KindPayloadTooLarge, Op: "get", Key: sk,
			Msg: "stored value is " + strconv.Itoa(len(e.Value)) + " bytes; the limit is " + strconv.Itoa(c.maxPayload)}
	}
	return e, true, nil
}

// unreachable reports whether a failure of kind k says the backend could not
// be reached (or was not called): the kinds GetOrLoad degrades on.
func unreachable(k Kind) bool { return k.Retryable() || k == KindCircuitOpen }

// write is a backend Set with retries.
func (c *Client) write(ctx context.Context, sk string, data []byte, ttl time.Duration) error {
	t := c.opStart()
	err := c.withRetry(ctx, func(ctx context.Context) error { return c.backend.Set(ctx, sk, data, ttl) })
	c.opDone(ctx, OpSet, ResultOK, err, len(data), t)
	if err != nil {
		c.sh.counters.errors.Add(1)
		return Wrap(err, KindUnknown, "set")
	}
	return nil
}

// withRetry makes one backend call: through the reliability stack when the
// client has it (see Reliability), otherwise by calling attempt until it
// succeeds, fails with a kind that is not retryable, or the retries of
// WithRetries run out. It returns the last error. attempt receives the
// context to call the backend with.
func (c *Client) withRetry(ctx context.Context, attempt func(context.Context) error) error {
	if st := c.sh.st; st != nil {
		return st.do(ctx, attempt)
	}
	for n := 0; ; n++ {
		err := attempt(ctx)
		if !c.retry(ctx, err, n) {
			return err
		}
	}
}

// maxRetryDelay caps the doubling of a retry's backoff (before jitter),
// unless the base itself is larger.
const maxRetryDelay = 30 * time.Second

// retryDelay is base doubled attempt times, capped at max(base,
// maxRetryDelay) without overflowing.
func retryDelay(base time.Duration, attempt int) time.Duration {
	limit := max(base, maxRetryDelay)
	d := base
	for range attempt {
		if d >= limit/2 {
			return limit
		}
		d *= 2
	}
	return d
}

// retry reports whether a failed attempt should be tried again, sleeping
// the backoff first.
func (c *Client) retry(ctx context.Context, err error, attempt int) bool {
	if err == nil || attempt >= c.retries || !KindOf(err).Retryable() || ctx.Err() != nil {
		return false
	}
	c.sh.counters.retries.Add(1)
	d := retryDelay(c.backoff, attempt)
	if d > 0 {
		d += rand.N(d/2 + 1)
	}
	observeRetry(ctx, c.obs, attempt+1, err, d)
	return d <= 0 || sleepCtx(ctx, d)
}

// encode turns value into the bytes to store: codec, size bound, encryption.
func (c *Client) encode(sk string, value any) ([]byte, error) {
	data, err := c.marshal(value)
	if err != nil {
		return nil, Wrap(err, KindSerialization, "encode")
	}
	if len(data) > c.maxPayload {
		return nil, &Error{Kind: KindPayloadTooLarge, Op: "set", Key: sk,
			Msg: "encoded value is " + strconv.Itoa(len(data)) + " bytes; the limit is " + strconv.Itoa(c.maxPayload)}
	}
	if c.encryptor != nil {
		data, err = c.encryptor.Encrypt(data, sk, c.format, c.compressed)
		if err != nil {
			return nil, encryptionErr("encrypt", sk, err)
		}
	}
	return data, nil
}

// decode turns stored bytes back into *out: decryption (fail closed), codec.
// With owned, data is the caller's alone and may be decrypted in place (see
// InPlaceDecrypter); its contents are then unspecified afterwards.
func (c *Client) decode(data []byte, owned bool, sk string, out any) error {
	if c.encryptor != nil {
		var plain []byte
		var err error
		if owned && c.inPlace != nil {
			plain, err = c.inPlace.DecryptInPlace(data, sk, c.format, c.compressed)
		} else {
			plain, err = c.encryptor.Decrypt(data, sk, c.format, c.compressed)
		}
		if err != nil {
			c.sh.counters.errors.Add(1)
			return encryptionErr("decrypt", sk, err)
		}
		data = plain
	}
	if isAbsentEntry(data) {
		return ErrAbsent
	}
	if err := c.codec.Unmarshal(data, out); err != nil {
		c.sh.counters.errors.Add(1)
		return Wrap(err, KindSerialization, "decode")
	}
	return nil
}

// encryptionErr classifies an Encryptor failure: always KindEncryption
// (fail closed), whatever the encryptor reported.
func encryptionErr(op, sk string, err error) error {
	return &Error{Kind: KindEncryption, Op: op, Key: sk, Err: err}
}

// Wait blocks until the client's background work (stale-while-revalidate
// refreshes, detached loads) has finished, or ctx is done. With nothing
// under way it returns at once, without starting a goroutine.
func (c *Client) Wait(ctx context.Context) error {
	if c.sh.pending.Load() == 0 {
		return nil
	}
	done := make(chan struct{})
	go func() {
		c.sh.bg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return Wrap(ctx.Err(), KindTimeout, "wait")
	}
}

// Close stops new background refreshes and waits for those under way. It
// does not close the backend, which the caller owns. It empties the object
// cache, which stays empty. Reads and writes keep working after Close,
// unless a WithOnClose hook (which Close then runs) closed what they use.
func (c *Client) Close() error {
	c.sh.closed.Store(true)
	if c.sh.st != nil {
		c.sh.st.close()
	}
	c.sh.bg.Wait()
	if c.sh.objects != nil {
		c.sh.objects.purge()
	}
	return runOnClose(c.onClose)
}

// String describes the client without any secret: its namespace, preset,
// codec container and whether it encrypts.
func (c *Client) String() string {
	return "core.Client{namespace=" + strconv.Quote(c.namespace) + " preset=" + c.preset.String() +
		" format=" + c.format + " compressed=" + strconv.FormatBool(c.compressed) +
		" encrypted=" + strconv.FormatBool(c.encryptor != nil) + "}"
}

// GoString implements fmt.GoStringer like String.
func (c *Client) GoString() string { return c.String() }

// Format implements fmt.Formatter so that no verb walks the client's fields
// (an encryptor holds key material).
func (c *Client) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }
