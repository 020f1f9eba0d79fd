package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cachekit-io/cachekit-go/core"
	goredis "github.com/redis/go-redis/v9"
)

// Backend is a core.Backend on a go-redis UniversalClient. It implements
// core.TTLInspector, core.TTLRefresher, core.Locker, core.BatchGetter,
// core.BatchSetter, core.ValueGetter, tier.Invalidator, core.StatsReporter
// and io.Closer. It is safe for concurrent use.
type Backend struct {
	c         goredis.UniversalClient
	owned     bool          // Close closes c
	desc      string        // mode and addresses, for String
	secrets   []core.Secret // passwords scrubbed from error messages
	useScript bool          // Get by Lua script, not pipeline
	valueOnly bool          // Get by bare GET, freshness unknown (WithoutFreshness)
	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
	stats     *counters
	pipes     sync.Pool // goredis.Pipeliner, reused by getPipelined

	prefixes []string      // WithInvalidationPrefixes
	ping     time.Duration // WithInvalidationPing; 0: DefaultInvalidationPing
	watchMu  sync.Mutex
	watches  map[*watch]struct{} // running WatchInvalidations, stopped by Close
}

// Interface checks.
var (
	_ core.Backend           = (*Backend)(nil)
	_ core.TTLInspector      = (*Backend)(nil)
	_ core.TTLRefresher      = (*Backend)(nil)
	_ core.Locker            = (*Backend)(nil)
	_ core.BatchGetter       = (*Backend)(nil)
	_ core.BatchSetter       = (*Backend)(nil)
	_ core.StatsReporter     = (*Backend)(nil)
	_ core.ConditionalSetter = (*Backend)(nil)
)

// New connects a Backend as conn says, configured by opts. It does not
// contact the server: call Health to check the connection. Errors are
// *core.Error of core.KindConfig.
func New(conn Options, opts ...Option) (*Backend, error) {
	set, err := settle(opts)
	if err != nil {
		return nil, err
	}
	u, err := conn.universal()
	if err != nil {
		return nil, err
	}
	mode := "single"
	switch {
	case u.MasterName != "":
		mode = "sentinel " + u.MasterName
	case len(u.Addrs) > 1 || u.IsClusterMode:
		mode = "cluster"
	}
	b := newBackend(goredis.NewUniversalClient(u), true, mode+" "+strings.Join(u.Addrs, ","), set)
	b.secrets = sealSecrets(secretsOf(conn))
	return b, nil
}

// Wrap returns a Backend on a client the caller already has (a *Client,
// *ClusterClient, or Sentinel failover client), configured by opts. The
// caller keeps ownership: Backend.Close does not close c. Errors are
// *core.Error of core.KindConfig: a nil client, or a bad Option.
func Wrap(c goredis.UniversalClient, opts ...Option) (*Backend, error) {
	if c == nil {
		return nil, core.NewError(core.KindConfig, "redis.wrap", "nil client", nil)
	}
	set, err := settle(opts)
	if err != nil {
		return nil, err
	}
	mode := "client"
	switch c.(type) {
	case *goredis.ClusterClient:
		mode = "cluster client"
	case *goredis.Client:
		mode = "single client"
	}
	return newBackend(c, false, mode, set), nil
}

func newBackend(c goredis.UniversalClient, owned bool, desc string, set settings) *Backend {
	return &Backend{
		c: c, owned: owned, desc: desc, stats: &counters{},
		useScript: set.getScript && !set.noFreshness,
		valueOnly: set.noFreshness,
		prefixes:  set.prefixes,
		ping:      set.ping,
	}
}

// sealSecrets returns the passwords of s as Secrets.
func sealSecrets(s []string) []core.Secret {
	out := make([]core.Secret, len(s))
	for i, v := range s {
		out[i] = core.NewSecret(v)
	}
	return out
}

// Client returns the underlying go-redis client, for commands the Backend
// does not offer.
func (b *Backend) Client() goredis.UniversalClient { return b.c }

// String describes the backend (mode and addresses, never credentials).
func (b *Backend) String() string { return "redis.Backend(" + b.desc + ")" }

// Format prints String for every verb, so that no %v, %+v or %#v of a
// Backend shows its internals.
func (b *Backend) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(b.String())) }

// LogValue implements slog.LogValuer: String, for slog's text and JSON
// handlers alike.
func (b *Backend) LogValue() slog.Value { return slog.StringValue(b.String()) }

// start checks what every call checks first: a closed backend, a done
// context.
func (b *Backend) start(ctx context.Context, op, key string) error {
	if b.closed.Load() {
		return b.classify(ctx, op, key, errClosed)
	}
	if err := ctx.Err(); err != nil {
		return b.classify(ctx, op, key, err)
	}
	return nil
}

// millis converts a positive duration to whole milliseconds, rounding up:
// Redis's PX resolution, and never 0 (which Redis rejects).
func millis(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

func invalid(op, key, msg string) error {
	return &core.Error{Kind: core.KindInvalidInput, Op: op, Key: key, Msg: msg}
}

// Set stores value under key: SET key value [PX ms].
func (b *Backend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	const op = "redis.set"
	if ttl < 0 {
		return invalid(op, key, "negative TTL")
	}
	if err := b.start(ctx, op, key); err != nil {
		return err
	}
	if err := b.c.Process(ctx, setCmd(ctx, key, value, ttl)); err != nil {
		return b.classify(ctx, op, key, err)
	}
	return nil
}

// SetIfAbsent stores value under key only if key holds no live value:
// SET key value NX [PX ms]. It implements core.ConditionalSetter, with
// which the client writes back values it loaded after a miss, so that a
// load cannot overwrite another process's Set that landed while it ran.
func (b *Backend) SetIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	const op = "redis.setnx"
	if ttl < 0 {
		return false, invalid(op, key, "negative TTL")
	}
	if err := b.start(ctx, op, key); err != nil {
		return false, err
	}
	if value == nil {
		value = []byte{}
	}
	args := make([]any, 4, 6) // room for PX: no second allocation
	args[0], args[1], args[2], args[3] = "set", key, value, "nx"
	if ttl != core.NoExpiry {
		args = append(args, "px", millis(ttl))
	}
	cmd := goredis.NewStatusCmd(ctx, args...)
	err := b.c.Process(ctx, cmd)
	if errors.Is(err, goredis.Nil) {
		return false, nil // present: not stored
	}
	if err != nil {
		return false, b.classify(ctx, op, key, err)
	}
	return true, nil
}

func setCmd(ctx context.Context, key string, value []byte, ttl time.Duration) *goredis.StatusCmd {
	if value == nil {
		value = []byte{}
	}
	if ttl == core.NoExpiry {
		return goredis.NewStatusCmd(ctx, "set", key, value)
	}
	return goredis.NewStatusCmd(ctx, "set", key, value, "px", millis(ttl))
}

// getScript returns the value and remaining PTTL of a key in one command,
// atomically; nil for a missing key.
var getScript = goredis.NewScript(`local v = redis.call('GET', KEYS[1])
if not v then return false end
return {v, redis.call('PTTL', KEYS[1])}`)

// Get returns key's value and its remaining freshness (PTTL), in one round
// trip (a pipeline of a one-key MGET and a PTTL; see getPipelined); with
// NoFreshness, the value alone (one GET, freshness unknown).
func (b *Backend) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	return b.get(ctx, key, b.valueOnly)
}

// GetValue implements core.ValueGetter: key's value by a bare GET, without
// the PTTL that Get sends next to it. The client reads through it whenever
// it would not look at the freshness, so a client straight over Redis
// sends one command per read whatever WithoutFreshness says.
func (b *Backend) GetValue(ctx context.Context, key string) ([]byte, bool, error) {
	e, found, err := b.get(ctx, key, true)
	return e.Value, found, err
}

// get is Get; with valueOnly it sends a bare GET (freshness unknown).
func (b *Backend) get(ctx context.Context, key string, valueOnly bool) (core.Entry, bool, error) {
	const op = "redis.get"
	if err := b.start(ctx, op, key); err != nil {
		return core.Entry{}, false, err
	}
	var (
		e     core.Entry
		found bool
		err   error
	)
	switch {
	case valueOnly:
		e, found, err = fromGet(b.c.Get(ctx, key))
	case b.useScript:
		e, found, err = fromScript(getScript.Run(ctx, b.c, []string{key}))
	default:
		var g *goredis.SliceCmd
		var p *goredis.DurationCmd
		if g, p, err = b.getPipelined(ctx, key); err == nil {
			e, found, err = fromMGetPTTL(g, p)
		}
		if err == errOtherType {
			err = b.checkType(ctx, key)
		}
	}
	if err != nil {
		return core.Entry{}, false, b.classify(ctx, op, key, err)
	}
	b.stats.count(found)
	return e, found, nil
}

// fromGet reads the reply of a bare GET: the value, freshness unknown.
func fromGet(g *goredis.StringCmd) (core.Entry, bool, error) {
	v, err := g.Bytes()
	switch {
	case errors.Is(err, goredis.Nil):
		return core.Entry{}, false, nil
	case err != nil:
		return core.Entry{}, false, err
	}
	if v == nil {
		v = []byte{}
	}
	return core.Entry{Value: v}, true, nil
}

// getPipelined sends a one-key MGET and a PTTL of key as one pipeline.
// Pipelines are reused: Exec leaves one empty (go-redis keeps no reference
// to the commands it ran). Measured here, that saves 4 of a Get's 18
// allocations, not time.
//
// The value is read with MGET, not GET: a GET of a missing key replies
// nil, which go-redis turns into the error redis.Nil and then runs through
// its retry and bad-connection classification (about 20 allocations per
// miss, in the pipeline's reply loop and again in its retry loop). MGET's
// reply is an array whose one element is nil for a missing key: no error.
// A hit costs two allocations more (the array and the boxed string).
func (b *Backend) getPipelined(ctx context.Context, key string) (*goredis.SliceCmd, *goredis.DurationCmd, error) {
	p, ok := b.pipes.Get().(goredis.Pipeliner)
	if !ok {
		p = b.c.Pipeline()
	}
	k := any(key) // boxed once for both commands
	g := goredis.NewSliceCmd(ctx, "mget", k)
	t := goredis.NewDurationCmd(ctx, time.Millisecond, "pttl", k)
	_ = p.BatchProcess(ctx, g, t) // only appends
	err := execErr(p.Exec(ctx))
	b.pipes.Put(p)
	if err != nil {
		return nil, nil, err
	}
	return g, t, nil
}

// execErr returns the error of a pipeline's Exec that is not a miss. Exec
// reports the first failed command's error, but also failures that happen
// before any command is sent (dial, AUTH), which are set on no command.
func execErr(_ []goredis.Cmder, err error) error {
	if err == nil || errors.Is(err, goredis.Nil) {
		return nil
	}
	return err
}

// fromMGetPTTL reads the replies of a one-key MGET and a PTTL of the same
// key (getPipelined).
func fromMGetPTTL(g *goredis.SliceCmd, t *goredis.DurationCmd) (core.Entry, bool, error) {
	vals, err := g.Result()
	if err != nil {
		return core.Entry{}, false, err
	}
	if len(vals) != 1 {
		return core.Entry{}, false, fmt.Errorf("MGET returned %d values for 1 key", len(vals))
	}
	v, found, err := mgetValue(vals[0])
	if err != nil {
		return core.Entry{}, false, err
	}
	if !found {
		return core.Entry{}, false, absentOrOtherType(t)
	}
	return withPTTL(v, t)
}

// errOtherType marks a read whose MGET answered nil while the key's PTTL
// said it exists: the key holds a value of another type than string (where
// GET answered WRONGTYPE), or a writer created it between the two commands.
// checkType tells the two apart.
var errOtherType = errors.New("MGET answered nil for a key that exists")

// absentOrOtherType reads the PTTL of a key MGET answered nil for: nil when
// the key does not exist (PTTL -2), errOtherType when it does.
func absentOrOtherType(t *goredis.DurationCmd) error {
	if d, err := t.Result(); err == nil && d != -2 {
		return errOtherType
	}
	return nil
}

// wrongType is the error of a read of a key holding another type than
// string, as Redis words it for GET: a reply error, of KindPermanent. A
// read must not take such a key for a miss, or a read-through would
// overwrite data that is not the cache's.
type wrongType struct{}

func (wrongType) Error() string {
	return "WRONGTYPE Operation against a key holding the wrong kind of value"
}

// RedisError marks wrongType as a Redis reply error (goredis.Error).
func (wrongType) RedisError() {}

// checkType settles errOtherType with one more round trip (rare: a key of
// another type, or a write racing the read): the wrongType error when key
// holds another type than string, a miss when it holds a string now (the
// write came after the MGET) or nothing (deleted since).
func (b *Backend) checkType(ctx context.Context, key string) error {
	typ, err := b.c.Type(ctx, key).Result()
	switch {
	case err != nil:
		return err
	case typ == "string" || typ == "none":
		return nil
	}
	return wrongType{}
}

// withPTTL is the Entry of a hit with value v, its freshness read from t.
func withPTTL(v []byte, t *goredis.DurationCmd) (core.Entry, bool, error) {
	d, err := t.Result()
	if err != nil {
		return core.Entry{}, false, err
	}
	return core.Entry{Value: v, Freshness: freshness(d, time.Nanosecond)}, true, nil
}

// mgetValue reads one element of an MGET reply: nil for a missing key,
// else the value. The bytes are the reply string's own memory, which
// go-redis allocated for this reply alone and never touches again (its
// StringCmd.Bytes hands out a GET's reply the same way): the caller owns
// them, as core.Backend requires.
func mgetValue(x any) ([]byte, bool, error) {
	switch s := x.(type) {
	case nil:
		return nil, false, nil
	case string:
		if len(s) == 0 {
			return []byte{}, true, nil
		}
		return unsafe.Slice(unsafe.StringData(s), len(s)), true, nil
	}
	return nil, false, fmt.Errorf("unexpected MGET value %T", x)
}

// fromScript reads getScript's reply.
func fromScript(cmd *goredis.Cmd) (core.Entry, bool, error) {
	r, err := cmd.Result()
	if errors.Is(err, goredis.Nil) {
		return core.Entry{}, false, nil
	}
	if err != nil {
		return core.Entry{}, false, err
	}
	pair, ok := r.([]any)
	if !ok || len(pair) != 2 {
		return core.Entry{}, false, fmt.Errorf("unexpected script reply %T", r)
	}
	v, ok1 := pair[0].(string)
	ms, ok2 := pair[1].(int64)
	if !ok1 || !ok2 {
		return core.Entry{}, false, fmt.Errorf("unexpected script reply (%T, %T)", pair[0], pair[1])
	}
	return core.Entry{Value: []byte(v), Freshness: freshness(time.Duration(ms), time.Millisecond)}, true, nil
}

// freshness turns a PTTL reply (n units; -1 no expiry, -2 gone) into a
// Freshness.
func freshness(n, unit time.Duration) core.Freshness {
	switch {
	case n == -1:
		return core.ForeverFresh()
	case n < 0:
		// Expired between GET and PTTL: nothing left to promise.
		return core.FreshFor(0)
	}
	return core.FreshFor(n * unit)
}

// Delete removes key: DEL.
func (b *Backend) Delete(ctx context.Context, key string) error {
	const op = "redis.delete"
	if err := b.start(ctx, op, key); err != nil {
		return err
	}
	if err := b.c.Del(ctx, key).Err(); err != nil {
		return b.classify(ctx, op, key, err)
	}
	return nil
}

// Exists reports whether key holds a live value: EXISTS.
func (b *Backend) Exists(ctx context.Context, key string) (bool, error) {
	const op = "redis.exists"
	if err := b.start(ctx, op, key); err != nil {
		return false, err
	}
	n, err := b.c.Exists(ctx, key).Result()
	if err != nil {
		return false, b.classify(ctx, op, key, err)
	}
	return n > 0, nil
}

// Health pings the server: PING, on every master of a cluster.
func (b *Backend) Health(ctx context.Context) error {
	const op = "redis.health"
	if err := b.start(ctx, op, ""); err != nil {
		return err
	}
	var err error
	if cc, ok := b.c.(*goredis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
			return c.Ping(ctx).Err()
		})
	} else {
		err = b.c.Ping(ctx).Err()
	}
	if err != nil {
		return b.classify(ctx, op, "", err)
	}
	return nil
}

// TTL returns key's remaining lifetime: PTTL. core.NoExpiry with found ==
// true means the key never expires.
func (b *Backend) TTL(ctx context.Context, key string) (time.Duration, bool, error) {
	const op = "redis.ttl"
	if err := b.start(ctx, op, key); err != nil {
		return 0, false, err
	}
	d, err := b.c.PTTL(ctx, key).Result()
	if err != nil {
		return 0, false, b.classify(ctx, op, key, err)
	}
	switch {
	case d == -1:
		return core.NoExpiry, true, nil
	case d < 0:
		return 0, false, nil
	case d == 0:
		// Less than a millisecond left: still there, but about to go.
		return time.Nanosecond, true, nil
	}
	return d, true, nil
}

// Expire sets key's remaining lifetime: PEXPIRE. It returns false for a
// missing key.
func (b *Backend) Expire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	const op = "redis.expire"
	if ttl <= 0 {
		return false, invalid(op, key, "TTL must be positive")
	}
	if err := b.start(ctx, op, key); err != nil {
		return false, err
	}
	ok, err := b.c.PExpire(ctx, key, time.Duration(millis(ttl))*time.Millisecond).Result()
	if err != nil {
		return false, b.classify(ctx, op, key, err)
	}
	return ok, nil
}

// LockKey returns the key under which the lock of key lives: "<key>:lock",
// as in the other CacheKit SDKs. It is a name in the values' key space: the
// lock of "job" and a value stored under "job:lock" are one Redis key, and
// writing or deleting that value breaks the lock. Keep values whose keys end
// in ":lock" away from locked keys (the reference server keeps its locks
// under a prefix of their own for this reason).
func LockKey(key string) string { return key + ":lock" }

// unlockScript deletes the lock only if it still holds the caller's token.
var unlockScript = goredis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then
return redis.call('DEL', KEYS[1])
end
return 0`)

// Lock tries once to take the lock of key for lease: SET <key>:lock token NX
// PX lease, with a random 128-bit token.
func (b *Backend) Lock(ctx context.Context, key string, lease time.Duration) (string, bool, error) {
	const op = "redis.lock"
	if lease <= 0 {
		return "", false, invalid(op, key, "lease must be positive")
	}
	if err := b.start(ctx, op, key); err != nil {
		return "", false, err
	}
	var raw [16]byte
	_, _ = rand.Read(raw[:]) // never fails
	token := hex.EncodeToString(raw[:])
	cmd := goredis.NewStatusCmd(ctx, "set", LockKey(key), token, "nx", "px", millis(lease))
	err := b.c.Process(ctx, cmd)
	if errors.Is(err, goredis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, b.classify(ctx, op, key, err)
	}
	return token, true, nil
}

// Unlock releases the lock of key if token holds it, with a
// compare-and-delete script. It returns false when it did not.
func (b *Backend) Unlock(ctx context.Context, key, token string) (bool, error) {
	const op = "redis.unlock"
	if err := b.start(ctx, op, key); err != nil {
		return false, err
	}
	n, err := unlockScript.Run(ctx, b.c, []string{LockKey(key)}, token).Int64()
	if err != nil {
		return false, b.classify(ctx, op, key, err)
	}
	return n == 1, nil
}

// GetMany reads keys in one pipeline (split by node in a cluster), each with
// its remaining freshness: one MGET and a PTTL per key on one node, a
// one-key MGET and a PTTL per key in a cluster (with NoFreshness: GETs
// alone, freshness unknown).
func (b *Backend) GetMany(ctx context.Context, keys []string) ([]core.BatchResult, error) {
	const op = "redis.getmany"
	if err := b.start(ctx, op, ""); err != nil {
		return nil, err
	}
	out := make([]core.BatchResult, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	return b.getMany(ctx, op, keys, out, b.valueOnly)
}

// getMany reads keys into out with one pipeline (split by node in a
// cluster): GETs alone with valueOnly, else GET+PTTL (or the get script)
// per key.
func (b *Backend) getMany(ctx context.Context, op string, keys []string, out []core.BatchResult, valueOnly bool) ([]core.BatchResult, error) {
	p := b.c.Pipeline()
	var read func(i int) (core.Entry, bool, error)
	if valueOnly {
		gets := make([]*goredis.StringCmd, len(keys))
		for i, k := range keys {
			gets[i] = p.Get(ctx, k)
		}
		read = func(i int) (core.Entry, bool, error) { return fromGet(gets[i]) }
	} else if b.useScript {
		// EVALSHA in a pipeline: load the script once if the server lost it.
		cmds := make([]*goredis.Cmd, len(keys))
		for i, k := range keys {
			cmds[i] = getScript.EvalSha(ctx, p, []string{k})
		}
		read = func(i int) (core.Entry, bool, error) { return fromScript(cmds[i]) }
		err := execErr(p.Exec(ctx))
		if err != nil && noScript(cmds) {
			// SCRIPT LOAD reaches every shard of a cluster.
			if err := getScript.Load(ctx, b.c).Err(); err != nil {
				return nil, b.classify(ctx, op, "", err)
			}
			p = b.c.Pipeline()
			for i, k := range keys {
				cmds[i] = getScript.EvalSha(ctx, p, []string{k})
			}
		} else {
			if err != nil {
				return nil, b.classify(ctx, op, "", err)
			}
			p = nil
		}
	} else {
		read = b.mgetPTTL(ctx, p, keys)
	}
	if p != nil {
		if err := execErr(p.Exec(ctx)); err != nil {
			// Name the first key whose command failed, if one did.
			for i, k := range keys {
				if _, _, kerr := read(i); kerr != nil && kerr != errOtherType {
					return nil, b.classify(ctx, op, k, kerr)
				}
			}
			return nil, b.classify(ctx, op, "", err)
		}
	}
	hits := 0
	for i, k := range keys {
		e, found, err := read(i)
		if err == errOtherType {
			err = b.checkType(ctx, k)
		}
		if err != nil {
			return nil, b.classify(ctx, op, k, err)
		}
		out[i] = core.BatchResult{Entry: e, Found: found}
		if found {
			hits++
		}
	}
	b.stats.hits.Add(uint64(hits))
	b.stats.misses.Add(uint64(len(keys) - hits))
	return out, nil
}

// mgetPTTL queues on p the reads of keys with their PTTLs and returns the
// reader of key i's result, valid once p ran. On one node (a standalone
// server or a Sentinel master) the values come from one MGET; in a cluster,
// where an MGET must not cross slots, from one one-key MGET per key. MGET
// rather than GET: a missing key is a nil element, not a redis.Nil error
// (see getPipelined).
func (b *Backend) mgetPTTL(ctx context.Context, p goredis.Pipeliner, keys []string) func(i int) (core.Entry, bool, error) {
	ttls := make([]*goredis.DurationCmd, len(keys))
	if _, single := b.c.(*goredis.Client); single {
		all := p.MGet(ctx, keys...)
		for i, k := range keys {
			ttls[i] = p.PTTL(ctx, k)
		}
		return func(i int) (core.Entry, bool, error) {
			vals, err := all.Result()
			if err == nil && len(vals) != len(keys) {
				err = fmt.Errorf("MGET returned %d values for %d keys", len(vals), len(keys))
			}
			if err != nil {
				return core.Entry{}, false, err
			}
			v, found, err := mgetValue(vals[i])
			if err != nil {
				return core.Entry{}, false, err
			}
			if !found {
				return core.Entry{}, false, absentOrOtherType(ttls[i])
			}
			return withPTTL(v, ttls[i])
		}
	}
	gets := make([]*goredis.SliceCmd, len(keys))
	for i, k := range keys {
		gets[i] = p.MGet(ctx, k)
		ttls[i] = p.PTTL(ctx, k)
	}
	return func(i int) (core.Entry, bool, error) { return fromMGetPTTL(gets[i], ttls[i]) }
}

// GetValues implements core.BatchValueGetter: the values of keys without
// their freshness, in one round trip — one MGET on one node (a standalone
// server or a Sentinel master), a pipeline of GETs split by node in a
// cluster (where one MGET would cross slots). A key holding another type
// than string reads as missing here (MGET answers nil for it, and no PTTL
// is read to tell), where Get and GetMany answer WRONGTYPE.
func (b *Backend) GetValues(ctx context.Context, keys []string) ([]core.BatchResult, error) {
	const op = "redis.getvalues"
	if err := b.start(ctx, op, ""); err != nil {
		return nil, err
	}
	out := make([]core.BatchResult, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	if _, single := b.c.(*goredis.Client); !single {
		return b.getMany(ctx, op, keys, out, true)
	}
	vals, err := b.c.MGet(ctx, keys...).Result()
	if err == nil && len(vals) != len(keys) {
		err = fmt.Errorf("MGET returned %d values for %d keys", len(vals), len(keys))
	}
	if err != nil {
		return nil, b.classify(ctx, op, "", err)
	}
	hits := 0
	for i, x := range vals {
		v, found, err := mgetValue(x) // no copy: the reply's bytes are ours
		if err != nil {
			return nil, b.classify(ctx, op, keys[i], err)
		}
		if found {
			out[i] = core.BatchResult{Entry: core.Entry{Value: v}, Found: true}
			hits++
		}
	}
	b.stats.hits.Add(uint64(hits))
	b.stats.misses.Add(uint64(len(keys) - hits))
	return out, nil
}

func noScript(cmds []*goredis.Cmd) bool {
	for _, c := range cmds {
		if err := c.Err(); err != nil && goredis.HasErrorPrefix(err, "NOSCRIPT") {
			return true
		}
	}
	return false
}

// SetMany writes items in one pipeline (split by node in a cluster). It is
// not atomic: on error some items may be stored. A negative TTL rejects the
// whole batch before anything is sent.
func (b *Backend) SetMany(ctx context.Context, items []core.BatchItem) error {
	const op = "redis.setmany"
	for _, it := range items {
		if it.TTL < 0 {
			return invalid(op, it.Key, "negative TTL")
		}
	}
	if err := b.start(ctx, op, ""); err != nil {
		return err
	}
	if len(items) == 0 {
		return nil
	}
	p := b.c.Pipeline()
	cmds := make([]*goredis.StatusCmd, len(items))
	for i, it := range items {
		cmds[i] = setCmd(ctx, it.Key, it.Value, it.TTL)
		_ = p.Process(ctx, cmds[i])
	}
	err := execErr(p.Exec(ctx))
	for i, c := range cmds {
		if err := c.Err(); err != nil {
			return b.classify(ctx, op, items[i].Key, err)
		}
	}
	if err != nil {
		return b.classify(ctx, op, "", err)
	}
	return nil
}

// DeleteMany deletes keys in one pipeline of DELs (split by node in a
// cluster, where one multi-key DEL would cross slots). Deleting a missing
// key succeeds. It is not atomic: on error some keys may be deleted.
func (b *Backend) DeleteMany(ctx context.Context, keys []string) error {
	const op = "redis.deletemany"
	if err := b.start(ctx, op, ""); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	p := b.c.Pipeline()
	cmds := make([]*goredis.IntCmd, len(keys))
	for i, k := range keys {
		cmds[i] = p.Del(ctx, k)
	}
	err := execErr(p.Exec(ctx))
	for i, c := range cmds {
		if err := c.Err(); err != nil {
			return b.classify(ctx, op, keys[i], err)
		}
	}
	if err != nil {
		return b.classify(ctx, op, "", err)
	}
	return nil
}

// Close stops every invalidation watch and releases the client when New
// made it (not when Wrap was given it). Calls after Close fail with
// core.KindPermanent. Close may be called more than once.
func (b *Backend) Close() error {
	b.closeOnce.Do(func() {
		b.watchMu.Lock()
		b.closed.Store(true)
		b.watchMu.Unlock()
		b.stopWatches()
		if b.owned {
			if err := b.c.Close(); err != nil {
				b.closeErr = &core.Error{Kind: core.KindTransient, Op: "redis.close", Err: scrubbed(err, b.secrets)}
			}
		}
	})
	return b.closeErr
}

// counters are the Stats of a Backend.
type counters struct {
	hits, misses, errors atomic.Uint64
}

func (c *counters) count(hit bool) {
	if hit {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
}

// Stats reports hits, misses and errors of this Backend (tier name "redis").
func (b *Backend) Stats() []core.TierStats {
	return []core.TierStats{{
		Name:   "redis",
		Hits:   b.stats.hits.Load(),
		Misses: b.stats.misses.Load(),
		Errors: b.stats.errors.Load(),
	}}
}
