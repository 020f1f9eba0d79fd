package cachekit_test

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/crypto"
	"github.com/cachekit-io/cachekit-go/protocol"
)

// presets builds one client of each canonical preset over its own backend.
func presets(t *testing.T, opts ...cachekit.Option) map[string]*core.Client {
	t.Helper()
	clearEnv(t)
	mk := mustClient(t)
	return map[string]*core.Client{
		"minimal":    mk(cachekit.Minimal(newMem(), opts...)),
		"production": mk(cachekit.Production(newMem(), opts...)),
		"secure":     mk(cachekit.Secure(newMem(), keyHex, opts...)),
		"io":         mk(cachekit.IO("ck_test_key", opts...)),
	}
}

func TestPRE1_DefaultTTLs(t *testing.T) {
	want := map[string]time.Duration{"minimal": 300 * time.Second, "production": 600 * time.Second, "secure": 600 * time.Second, "io": 3600 * time.Second}
	for name, c := range presets(t) {
		if got := c.DefaultTTL(); got != want[name] {
			t.Errorf("%s: default TTL %v, want %v", name, got, want[name])
		}
	}
}

func TestPRE2_ExplicitTTLOverrides(t *testing.T) {
	for name, c := range presets(t, cachekit.WithDefaultTTL(42*time.Second)) {
		if got := c.DefaultTTL(); got != 42*time.Second {
			t.Errorf("%s: WithDefaultTTL gave %v", name, got)
		}
	}
	// A per-call TTL wins over the default: the entry expires by it.
	clearEnv(t)
	ctx := context.Background()
	tm := &ttlMem{mem: newMem()}
	c := mustClient(t)(cachekit.Production(tm, cachekit.WithoutL1()))
	if err := c.Set(ctx, "k", 1, core.TTL(7*time.Second)); err != nil {
		t.Fatal(err)
	}
	if tm.last != 7*time.Second {
		t.Fatalf("Set with core.TTL stored with %v", tm.last)
	}
	if _, err := core.GetOrLoad(ctx, c, "l", func(context.Context) (int, error) { return 1, nil }, core.TTL(9*time.Second)); err != nil {
		t.Fatal(err)
	}
	if tm.last != 9*time.Second {
		t.Fatalf("GetOrLoad with core.TTL stored with %v", tm.last)
	}
}

// ttlMem records the TTL of the last Set.
type ttlMem struct {
	*mem
	last time.Duration
}

func (m *ttlMem) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	m.last = ttl
	return m.mem.Set(ctx, k, v, ttl)
}

func TestPRE3_NoProcessWideTTLOverride(t *testing.T) {
	clearEnv(t)
	t.Setenv("CACHEKIT_DEFAULT_TTL", "5")
	c := mustClient(t)(cachekit.Production(newMem()))
	if c.DefaultTTL() != 600*time.Second {
		t.Fatalf("CACHEKIT_DEFAULT_TTL changed the default TTL to %v", c.DefaultTTL())
	}
	c = mustClient(t)(cachekit.FromEnv(context.Background(), cachekit.WithInProcessDefault()))
	if c.DefaultTTL() != 300*time.Second {
		t.Fatalf("FromEnv read CACHEKIT_DEFAULT_TTL: %v", c.DefaultTTL())
	}
}

func TestPRE4_NeverExpireIsExplicit(t *testing.T) {
	clearEnv(t)
	c := mustClient(t)(cachekit.Production(newMem(), cachekit.WithClientOptions(core.WithNeverExpire())))
	if c.DefaultTTL() != core.NoExpiry {
		t.Fatalf("WithNeverExpire gave a default TTL of %v", c.DefaultTTL())
	}
}

func TestPRE5_NeverExpireIsNoPresetDefault(t *testing.T) {
	for name, c := range presets(t) {
		if c.DefaultTTL() <= 0 {
			t.Errorf("%s: default TTL %v never expires", name, c.DefaultTTL())
		}
	}
}

// The L1 answers a repeated read without the backend.
func assertL1(t *testing.T, name string, c *core.Client, b *mem) {
	t.Helper()
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	_ = upper(t, c)
	before := b.gets.Load()
	for range 3 {
		if v, found, err := core.Get[string](ctx, c, "k"); err != nil || !found || v != "v" {
			t.Fatalf("%s: Get = %q %v %v", name, v, found, err)
		}
	}
	// The first read may refill the L1 (write-around while invalidations
	// are live); the others are L1 hits.
	if n := b.gets.Load() - before; n > 1 {
		t.Fatalf("%s: %d backend reads for 3 Gets: no L1 in front", name, n)
	}
}

func TestPRE7_L1OnForMinimalProductionIO(t *testing.T) {
	clearEnv(t)
	mk := mustClient(t)
	m := newMem()
	assertL1(t, "minimal", mk(cachekit.Minimal(m)), m)
	m = newMem()
	assertL1(t, "production", mk(cachekit.Production(m)), m)
	c := mk(cachekit.IO("ck_test_key"))
	_, _, b := fakeDriver.seen()
	assertL1(t, "io", c, b)
}

func TestPRE8_MinimalHasNoSWRNorInvalidation(t *testing.T) {
	clearEnv(t)
	ctx := context.Background()
	staleServed := func(c *core.Client, m *mem) uint64 {
		m.put("s", mustEnvelope(t, "old"))
		m.stale.Store(true)
		if _, err := core.GetOrLoad(ctx, c, "s", func(context.Context) (string, error) { return "new", nil }); err != nil {
			t.Fatal(err)
		}
		_ = c.Wait(ctx)
		return c.Stats().StaleServed
	}
	mk := mustClient(t)
	m := newMem()
	if n := staleServed(mk(cachekit.Minimal(m, cachekit.WithoutL1())), m); n != 0 {
		t.Errorf("minimal served %d stale values (SWR on)", n)
	}
	m = newMem()
	if n := staleServed(mk(cachekit.Production(m, cachekit.WithoutL1())), m); n != 1 {
		t.Errorf("production served %d stale values, want 1 (SWR off)", n)
	}
	w := &watched{mem: newMem()}
	mk(cachekit.Minimal(w))
	if n := w.watches.Load(); n != 0 {
		t.Errorf("minimal watches invalidations (%d)", n)
	}
	w = &watched{mem: newMem()}
	mk(cachekit.Production(w))
	if n := w.watches.Load(); n != 1 {
		t.Errorf("production has %d invalidation watches, want 1", n)
	}
}

func mustEnvelope(t *testing.T, v any) []byte {
	t.Helper()
	b, err := protocol.Envelope().Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPRE9_SecureHasL1(t *testing.T) {
	clearEnv(t)
	m := newMem()
	assertL1(t, "secure", mustClient(t)(cachekit.Secure(m, keyHex)), m)
}

// assertCiphertext writes through Set, GetOrLoad and Cached and checks that
// neither the L1 nor the backend holds the plaintext.
func assertCiphertext(t *testing.T, c *core.Client, b *mem) {
	t.Helper()
	ctx := context.Background()
	if err := c.Set(ctx, "a", marker); err != nil {
		t.Fatal(err)
	}
	if _, err := core.GetOrLoad(ctx, c, "b", func(context.Context) (string, error) { return marker, nil }); err != nil {
		t.Fatal(err)
	}
	f := core.Cached(c, "c", func(context.Context, int) (string, error) { return marker, nil })
	if _, err := f(ctx, 1); err != nil {
		t.Fatal(err)
	}
	_ = c.Wait(ctx)
	l1 := upper(t, c)
	for _, k := range []string{"a", "b", "c:1"} {
		if v, _, _ := core.Get[string](ctx, c, k); v != marker {
			t.Fatalf("%s reads back %q", k, v)
		}
		if raw := b.raw(k); len(raw) == 0 || bytes.Contains(raw, []byte(marker)) {
			t.Fatalf("backend holds %q for %s", raw, k)
		}
		if e, found, _ := l1.Get(ctx, k); found && bytes.Contains(e.Value, []byte(marker)) {
			t.Fatalf("L1 holds plaintext for %s", k)
		}
	}
	if !c.Encrypted() {
		t.Fatal("client reports no encryption")
	}
}

func TestPRE10_SecureL1HoldsCiphertextOnly(t *testing.T) {
	clearEnv(t)
	m := newMem()
	assertCiphertext(t, mustClient(t)(cachekit.Secure(m, keyHex)), m)
}

func TestPRE11_NoPlaintextInAnyLayer(t *testing.T) {
	clearEnv(t)
	m := newMem()
	assertCiphertext(t, mustClient(t)(cachekit.Secure(m, keyHex)), m)
	// The in-process object cache would hold decoded plaintext: refused.
	_, err := cachekit.Secure(newMem(), keyHex, cachekit.WithClientOptions(core.WithObjectCache(10, time.Second)))
	wantConfig(t, err, "WithObjectCache")
}

func TestPRE12_EnvelopeChecksumByDefault(t *testing.T) {
	clearEnv(t)
	m := newMem()
	c := mustClient(t)(cachekit.Production(m))
	if err := c.Set(context.Background(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	if _, format, err := protocol.OpenEnvelope(m.raw("k")); err != nil || format == "" {
		t.Fatalf("stored bytes are not a ByteStorage envelope: %v", err)
	}
	// The checksum catches a flipped bit anywhere in the stored bytes.
	raw := m.raw("k")
	for i := range raw {
		bad := bytes.Clone(raw)
		bad[i] ^= 0x01
		_ = c.Delete(context.Background(), "k") // drop the L1 copy
		m.put("k", bad)
		if _, _, err := core.Get[string](context.Background(), c, "k"); err == nil {
			t.Fatalf("byte %d of %d flipped: read without error", i, len(raw))
		}
	}
}

func TestPRE13_RetriesOnExceptMinimal(t *testing.T) {
	clearEnv(t)
	ctx := context.Background()
	for name, want := range map[string]int64{"minimal": 1, "production": 3, "secure": 3, "io": 3} {
		var c *core.Client
		var m *mem
		mk := mustClient(t)
		switch name {
		case "minimal":
			m = newMem()
			c = mk(cachekit.Minimal(m))
		case "production":
			m = newMem()
			c = mk(cachekit.Production(m))
		case "secure":
			m = newMem()
			c = mk(cachekit.Secure(m, keyHex))
		case "io":
			c = mk(cachekit.IO("ck_test_key"))
			_, _, m = fakeDriver.seen()
		}
		m.failWith(core.KindTransient)
		_, _, err := core.Get[string](ctx, c, "k")
		if core.KindOf(err) != core.KindTransient {
			t.Fatalf("%s: %v", name, err)
		}
		if n := m.gets.Load(); n != want {
			t.Errorf("%s: %d backend attempts, want %d", name, n, want)
		}
	}
}

// PRE-14 is TestPRE14_* in failure_test.go.

func exportedFuncs(t *testing.T) map[string]*ast.FuncDecl {
	t.Helper()
	fset := token.NewFileSet()
	out := map[string]*ast.FuncDecl{}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.IsExported() {
				out[fd.Name.Name] = fd
			}
		}
	}
	return out
}

func TestPRE15_NoEncryptedAlias(t *testing.T) {
	for name := range exportedFuncs(t) {
		if strings.Contains(strings.ToLower(name), "encrypted") {
			t.Errorf("%s is an alias of the secure preset", name)
		}
	}
}

func TestPRE16_SecureTakesHex(t *testing.T) {
	clearEnv(t)
	c := mustClient(t)(cachekit.Secure(newMem(), strings.ToUpper(keyHex)))
	if !c.Encrypted() {
		t.Fatal("not encrypting")
	}
}

// crossRead writes with a and reads with b over one backend.
func crossRead(t *testing.T, b *mem, a, r *core.Client) (string, error) {
	t.Helper()
	ctx := context.Background()
	if err := a.Set(ctx, "x", marker); err != nil {
		t.Fatal(err)
	}
	v, _, err := core.Get[string](ctx, r, "x")
	return v, err
}

func rawClient(t *testing.T, b core.Backend, enc *crypto.Encryptor) *core.Client {
	t.Helper()
	c, err := core.New(b, core.WithCodec(protocol.Envelope()), core.WithEncryptor(enc))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestPRE17_KeyBytesAreHexDecoded(t *testing.T) {
	clearEnv(t)
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(i) // keyHex decoded
	}
	enc, err := crypto.New(raw)
	if err != nil {
		t.Fatal(err)
	}
	m := newMem()
	s := mustClient(t)(cachekit.Secure(m, keyHex, cachekit.WithoutL1()))
	if v, err := crossRead(t, m, s, rawClient(t, m, enc)); err != nil || v != marker {
		t.Fatalf("the raw key bytes cannot read what Secure wrote: %q %v", v, err)
	}
}

func TestPRE18_SameStringSameKey(t *testing.T) {
	clearEnv(t)
	m := newMem()
	a := mustClient(t)(cachekit.Secure(m, keyHex, cachekit.WithoutL1()))
	b := mustClient(t)(cachekit.Secure(m, strings.ToUpper(keyHex), cachekit.WithoutL1()))
	if v, err := crossRead(t, m, a, b); err != nil || v != marker {
		t.Fatalf("%q %v", v, err)
	}
	t.Setenv("CACHEKIT_MASTER_KEY", keyHex)
	e := mustClient(t)(cachekit.SecureFromEnv(m, cachekit.WithoutL1()))
	if v, err := crossRead(t, m, a, e); err != nil || v != marker {
		t.Fatalf("SecureFromEnv: %q %v", v, err)
	}
}

func TestPRE19_SecureFallsBackToEnv(t *testing.T) {
	clearEnv(t)
	t.Setenv("CACHEKIT_MASTER_KEY", keyHex)
	c := mustClient(t)(cachekit.SecureFromEnv(newMem()))
	if !c.Encrypted() {
		t.Fatal("SecureFromEnv does not encrypt")
	}
}

func TestPRE20_SecureWithoutKeyFails(t *testing.T) {
	clearEnv(t)
	_, err := cachekit.Secure(newMem(), "")
	wantConfig(t, err, "SecureFromEnv")
	_, err = cachekit.SecureFromEnv(newMem())
	wantConfig(t, err, "CACHEKIT_MASTER_KEY")
}

func TestPRE21_NoPlaintextFallback(t *testing.T) {
	clearEnv(t)
	for _, k := range []string{"", "zz", keyHex[:62]} {
		c, err := cachekit.Secure(newMem(), k)
		if err == nil || c != nil {
			t.Fatalf("Secure(%q) built a client", k)
		}
	}
}

func TestPRE22_ThirtyTwoByteKeyAccepted(t *testing.T) {
	clearEnv(t)
	mustClient(t)(cachekit.Secure(newMem(), keyHex))
}

func TestPRE23_ShortKeyRejected(t *testing.T) {
	clearEnv(t)
	short := keyHex[:62]
	_, err := cachekit.Secure(newMem(), short)
	wantConfig(t, err, "64 hex digits")
	noSecret(t, err, short)
	_, err = cachekit.Secure(newMem(), "not-hex-"+keyHex[8:])
	wantConfig(t, err)
	noSecret(t, err, keyHex[8:])
}

func TestPRE24_DocsRecommendThirtyTwoBytes(t *testing.T) {
	doc := exportedFuncs(t)["Secure"].Doc.Text()
	if !strings.Contains(doc, "exactly 32") {
		t.Fatalf("Secure's doc does not recommend exactly 32 bytes:\n%s", doc)
	}
}

func TestPRE25_HexOnThePreset(t *testing.T) {
	fd := exportedFuncs(t)["Secure"]
	if len(fd.Type.Params.List) < 2 {
		t.Fatal("Secure takes no key")
	}
	if id, ok := fd.Type.Params.List[1].Type.(*ast.Ident); !ok || id.Name != "string" {
		t.Fatal("Secure's key is not a hex string")
	}
}

func TestPRE26_RawBytesExactly32(t *testing.T) {
	if _, err := crypto.New([]byte(keyHex)); err == nil {
		t.Fatal("the raw-bytes entry point accepted the 64 ASCII bytes of a hex key")
	}
	if _, err := crypto.New(make([]byte, 31)); err == nil {
		t.Fatal("the raw-bytes entry point accepted 31 bytes")
	}
}

func tenantReader(t *testing.T, m *mem, tenant string) *core.Client {
	t.Helper()
	enc, err := crypto.NewFromHex(keyHex, crypto.WithTenant(tenant))
	if err != nil {
		t.Fatal(err)
	}
	return rawClient(t, m, enc)
}

func TestPRE27_DefaultTenant(t *testing.T) {
	clearEnv(t)
	m := newMem()
	s := mustClient(t)(cachekit.Secure(m, keyHex, cachekit.WithoutL1()))
	if v, err := crossRead(t, m, s, tenantReader(t, m, "default")); err != nil || v != marker {
		t.Fatalf("tenant \"default\" cannot read Secure's values: %q %v", v, err)
	}
	if _, err := crossRead(t, m, s, tenantReader(t, m, "other")); core.KindOf(err) != core.KindEncryption {
		t.Fatalf("tenant \"other\" read Secure's values: %v", err)
	}
}

func TestPRE28_SameTenantForKDFAndAAD(t *testing.T) {
	// A reader whose key derivation and AAD both use "default" decrypts;
	// had Secure derived under one tenant and bound the AAD to another,
	// authentication would fail.
	clearEnv(t)
	m := newMem()
	t.Setenv("CACHEKIT_MASTER_KEY", keyHex)
	s := mustClient(t)(cachekit.SecureFromEnv(m, cachekit.WithoutL1()))
	if v, err := crossRead(t, m, s, tenantReader(t, m, crypto.DefaultTenant)); err != nil || v != marker {
		t.Fatalf("%q %v", v, err)
	}
}

func TestPRE29_MutuallyDecryptable(t *testing.T) {
	clearEnv(t)
	m := newMem()
	s := mustClient(t)(cachekit.Secure(m, keyHex, cachekit.WithoutL1()))
	r := tenantReader(t, m, "default")
	ctx := context.Background()
	if err := r.Set(ctx, "y", marker); err != nil {
		t.Fatal(err)
	}
	if v, _, err := core.Get[string](ctx, s, "y"); err != nil || v != marker {
		t.Fatalf("Secure cannot read a peer's value: %q %v", v, err)
	}
}

func TestPRE30_ExplicitActivationOnly(t *testing.T) {
	clearEnv(t)
	t.Setenv("CACHEKIT_MASTER_KEY", keyHex)
	mk := mustClient(t)
	if mk(cachekit.Production(newMem())).Encrypted() {
		t.Fatal("production encrypts without being asked")
	}
	if !mk(cachekit.Production(newMem(), cachekit.WithEncryption(otherHex))).Encrypted() {
		t.Fatal("WithEncryption did not turn encryption on")
	}
	if !mk(cachekit.Production(newMem(), cachekit.WithEncryptionFromEnv())).Encrypted() {
		t.Fatal("WithEncryptionFromEnv did not turn encryption on")
	}
}

func TestPRE31_ExplicitOptionEncryptsEveryOperation(t *testing.T) {
	clearEnv(t)
	m := newMem()
	assertCiphertext(t, mustClient(t)(cachekit.Production(m, cachekit.WithEncryption(keyHex))), m)
	c := mustClient(t)(cachekit.IO("ck_test_key", cachekit.WithEncryption(keyHex)))
	_, _, b := fakeDriver.seen()
	assertCiphertext(t, c, b)
}

func TestPRE32_NoUnencryptedPath(t *testing.T) {
	clearEnv(t)
	m := newMem()
	c := mustClient(t)(cachekit.Minimal(m, cachekit.WithEncryption(keyHex)))
	assertCiphertext(t, c, m)
	// A plaintext value planted in the backend is not served.
	m.put("p", mustEnvelope(t, marker))
	if _, _, err := core.Get[string](context.Background(), c, "p"); core.KindOf(err) != core.KindEncryption {
		t.Fatalf("an encrypting client served plaintext: %v", err)
	}
}

func TestPRE33_UnsupportedCombinationRejected(t *testing.T) {
	clearEnv(t)
	_, err := cachekit.Production(newMem(), cachekit.WithEncryption(keyHex), cachekit.WithClientOptions(core.WithObjectCache(10, time.Second)))
	wantConfig(t, err, "WithObjectCache")
	_, err = cachekit.Production(newMem(), cachekit.WithEncryption(keyHex), cachekit.WithoutEncryption())
	wantConfig(t, err, "WithoutEncryption")
}

func TestPRE34_MasterKeyEnvActivatesNothing(t *testing.T) {
	clearEnv(t)
	t.Setenv("CACHEKIT_MASTER_KEY", keyHex)
	mk := mustClient(t)
	for name, c := range map[string]*core.Client{
		"minimal":    mk(cachekit.Minimal(newMem())),
		"production": mk(cachekit.Production(newMem())),
		"io":         mk(cachekit.IO("ck_test_key")),
		"io env":     mk(ioFromEnv(t)),
		"from env":   mk(cachekit.FromEnv(context.Background(), cachekit.WithInProcessDefault())),
	} {
		if c.Encrypted() {
			t.Errorf("%s encrypts because CACHEKIT_MASTER_KEY is set", name)
		}
	}
}

func ioFromEnv(t *testing.T) (*core.Client, error) {
	t.Setenv("CACHEKIT_API_KEY", "ck_env_key")
	return cachekit.IOFromEnv()
}

func TestPRE35_FromEnvInfersNothing(t *testing.T) {
	clearEnv(t)
	t.Setenv("CACHEKIT_MASTER_KEY", keyHex)
	t.Setenv("FAKE_SELECTOR", "1")
	c := mustClient(t)(cachekit.FromEnv(context.Background()))
	if c.Encrypted() {
		t.Fatal("FromEnv turned encryption on from the key's presence")
	}
	c = mustClient(t)(cachekit.FromEnv(context.Background(), cachekit.WithEncryptionFromEnv()))
	if !c.Encrypted() {
		t.Fatal("FromEnv ignored WithEncryptionFromEnv")
	}
}

func TestPRE36_OptOutHonoured(t *testing.T) {
	clearEnv(t)
	t.Setenv("CACHEKIT_MASTER_KEY", keyHex)
	c := mustClient(t)(cachekit.Production(newMem(), cachekit.WithoutEncryption()))
	if c.Encrypted() {
		t.Fatal("WithoutEncryption encrypts")
	}
}

func TestPRE45_IOKeyArgumentOrEnv(t *testing.T) {
	clearEnv(t)
	t.Setenv("CACHEKIT_API_KEY", "ck_env_key")
	mustClient(t)(cachekit.IO("ck_arg_key"))
	if k, _, _ := fakeDriver.seen(); k != "ck_arg_key" {
		t.Fatalf("IO opened with %q, want the argument", k)
	}
	mustClient(t)(cachekit.IOFromEnv())
	if k, _, _ := fakeDriver.seen(); k != "ck_env_key" {
		t.Fatalf("IOFromEnv opened with %q, want CACHEKIT_API_KEY", k)
	}
}

func TestPRE46_IOWithoutKeyFails(t *testing.T) {
	clearEnv(t)
	_, err := cachekit.IO("")
	wantConfig(t, err, "IOFromEnv")
	_, err = cachekit.IOFromEnv()
	wantConfig(t, err, "CACHEKIT_API_KEY")
}

func TestPRE47_IOIgnoresMasterKeyEnv(t *testing.T) {
	clearEnv(t)
	t.Setenv("CACHEKIT_MASTER_KEY", keyHex)
	if mustClient(t)(cachekit.IO("ck_test_key")).Encrypted() {
		t.Fatal("io encrypts because CACHEKIT_MASTER_KEY is set")
	}
	if !mustClient(t)(cachekit.IO("ck_test_key", cachekit.WithEncryptionFromEnv())).Encrypted() {
		t.Fatal("io ignored its explicit encryption option")
	}
}

func TestPRE48_ExplicitOptionsOverride(t *testing.T) {
	clearEnv(t)
	mk := mustClient(t)
	ctx := context.Background()
	// WithoutL1: the client talks to the backend directly.
	m := newMem()
	if c := mk(cachekit.Production(m, cachekit.WithoutL1())); c.Backend() != core.Backend(m) {
		t.Fatalf("WithoutL1 built %T", c.Backend())
	}
	// WithInvalidation(true) on minimal, false on production.
	w := &watched{mem: newMem()}
	mk(cachekit.Minimal(w, cachekit.WithInvalidation(true)))
	if w.watches.Load() != 1 {
		t.Error("minimal ignored WithInvalidation(true)")
	}
	w = &watched{mem: newMem()}
	mk(cachekit.Production(w, cachekit.WithInvalidation(false)))
	if w.watches.Load() != 0 {
		t.Error("production ignored WithInvalidation(false)")
	}
	// WithStaleWhileRevalidate(true) on minimal.
	m = newMem()
	c := mk(cachekit.Minimal(m, cachekit.WithoutL1(), cachekit.WithStaleWhileRevalidate(true)))
	m.put("s", mustEnvelope(t, "old"))
	m.stale.Store(true)
	if _, err := core.GetOrLoad(ctx, c, "s", func(context.Context) (string, error) { return "new", nil }); err != nil {
		t.Fatal(err)
	}
	_ = c.Wait(ctx)
	if c.Stats().StaleServed != 1 {
		t.Error("minimal ignored WithStaleWhileRevalidate(true)")
	}
	// WithCodec, WithNamespace, client options.
	m = newMem()
	c = mk(cachekit.Production(m, cachekit.WithCodec(protocol.Msgpack()), cachekit.WithNamespace("users"),
		cachekit.WithClientOptions(core.WithRetries(0, 0))))
	if err := c.Set(ctx, "1", "v"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := protocol.OpenEnvelope(m.raw("ns:users:1")); err == nil {
		t.Error("WithCodec(Msgpack) still stored an envelope")
	}
	m.failWith(core.KindTransient)
	_, _, _ = core.Get[string](ctx, c, "2")
	if n := m.gets.Load(); n != 1 {
		t.Errorf("WithClientOptions(WithRetries(0)) made %d attempts", n)
	}
	// A negative L1 bound is a configuration error.
	_, err := cachekit.Production(newMem(), cachekit.WithL1MaxBytes(-1))
	wantConfig(t, err, "WithL1MaxBytes")
}

func TestPRE49_UnsupportedOptionsRejected(t *testing.T) {
	clearEnv(t)
	t.Setenv("CACHEKIT_MASTER_KEY", keyHex)
	cases := []struct {
		name    string
		build   func() (*core.Client, error)
		mention []string
	}{
		{"WithEncryption on Secure", func() (*core.Client, error) {
			return cachekit.Secure(newMem(), keyHex, cachekit.WithEncryption(otherHex))
		}, []string{"WithEncryption", "Secure"}},
		{"WithoutEncryption on Secure", func() (*core.Client, error) {
			return cachekit.Secure(newMem(), keyHex, cachekit.WithoutEncryption())
		}, []string{"WithoutEncryption", "Secure"}},
		{"WithoutEncryption on SecureFromEnv", func() (*core.Client, error) {
			return cachekit.SecureFromEnv(newMem(), cachekit.WithoutEncryption())
		}, []string{"WithoutEncryption", "SecureFromEnv"}},
		{"WithBackendOptions on Production", func() (*core.Client, error) {
			return cachekit.Production(newMem(), cachekit.WithBackendOptions("x"))
		}, []string{"WithBackendOptions", "Production"}},
		{"WithInProcessDefault on IO", func() (*core.Client, error) {
			return cachekit.IO("ck_test_key", cachekit.WithInProcessDefault())
		}, []string{"WithInProcessDefault", "IO"}},
		{"a backend option IO's driver does not know", func() (*core.Client, error) {
			return cachekit.IO("ck_test_key", cachekit.WithBackendOptions(42))
		}, []string{"int"}},
		{"WithPreviousMasterKeys without encryption", func() (*core.Client, error) {
			return cachekit.Production(newMem(), cachekit.WithPreviousMasterKeys(otherHex))
		}, []string{"WithPreviousMasterKeys"}},
	}
	for _, tc := range cases {
		c, err := tc.build()
		if c != nil {
			_ = c.Close()
		}
		if core.KindOf(err) != core.KindConfig {
			t.Errorf("%s: %v, want KindConfig", tc.name, err)
			continue
		}
		for _, m := range tc.mention {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("%s: %q does not name %q", tc.name, err, m)
			}
		}
		noSecret(t, err, keyHex, otherHex)
	}
	_, _, err := cachekit.Stack(core.PresetProduction, newMem(), cachekit.WithNamespace("x"))
	wantConfig(t, err, "WithNamespace")
}

func TestPRE50_MissingKeyFailsAtConstruction(t *testing.T) {
	clearEnv(t)
	m := newMem()
	_, err := cachekit.Secure(m, "")
	wantConfig(t, err)
	_, err = cachekit.IO("")
	wantConfig(t, err)
	_, err = cachekit.Production(m, cachekit.WithEncryptionFromEnv())
	wantConfig(t, err, "CACHEKIT_MASTER_KEY")
	if n := m.gets.Load() + m.sets.Load(); n != 0 {
		t.Fatalf("construction touched the backend %d times", n)
	}
}

// A program that links no driver: IO names the package to import.
func TestPRE50_IONeedsItsDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	cmd := exec.Command("go", "run", "./testdata/nodriver")
	cmd.Env = append(os.Environ(), "CACHEKIT_API_KEY=", "CACHEKIT_REDIS_URL=", "REDIS_URL=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run: %v\n%s", err, out)
	}
	want := "IO: config: the cachekitio driver is not linked: import _ \"github.com/cachekit-io/cachekit-go/backend/cachekitio\"\n" +
		"FromEnv: config: CACHEKIT_REDIS_URL selects redis, whose driver is not linked: import _ \"github.com/cachekit-io/cachekit-go/backend/redis\"\n"
	if string(out) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
}

func TestPRE51_CompanionReadsBothKeyVariables(t *testing.T) {
	clearEnv(t)
	m := newMem()
	old := mustClient(t)(cachekit.Secure(m, otherHex, cachekit.WithoutL1()))
	if err := old.Set(context.Background(), "r", marker); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CACHEKIT_MASTER_KEY", keyHex)
	t.Setenv("CACHEKIT_PREVIOUS_MASTER_KEYS", otherHex)
	c := mustClient(t)(cachekit.SecureFromEnv(m, cachekit.WithoutL1()))
	if v, _, err := core.Get[string](context.Background(), c, "r"); err != nil || v != marker {
		t.Fatalf("a value under the previous key: %q %v", v, err)
	}
	mustClient(t)(ioFromEnv(t))
	if k, _, _ := fakeDriver.seen(); k != "ck_env_key" {
		t.Fatalf("IOFromEnv read %q", k)
	}
}

func TestPRE52_BadPreviousKeysFailAtConstruction(t *testing.T) {
	clearEnv(t)
	t.Setenv("CACHEKIT_MASTER_KEY", keyHex)
	t.Setenv("CACHEKIT_PREVIOUS_MASTER_KEYS", otherHex[:60])
	_, err := cachekit.SecureFromEnv(newMem())
	wantConfig(t, err, "CACHEKIT_PREVIOUS_MASTER_KEYS")
	noSecret(t, err, keyHex, otherHex[:60])
}

func TestPRE53_CompanionsReadNoActivationVariable(t *testing.T) {
	clearEnv(t)
	t.Setenv("CACHEKIT_MASTER_KEY", keyHex)
	t.Setenv("CACHEKIT_ENCRYPTION", "true")
	if mustClient(t)(ioFromEnv(t)).Encrypted() {
		t.Fatal("IOFromEnv encrypts from the environment")
	}
}

func TestPRE54_CanonicalNamesKeepTheirMeaning(t *testing.T) {
	want := map[string]string{"minimal": "preset=minimal", "production": "preset=production", "secure": "preset=secure", "io": "preset=io"}
	for name, c := range presets(t) {
		if !strings.Contains(c.String(), want[name]) {
			t.Errorf("%s builds %s", name, c)
		}
	}
}

func TestPRE55_NoSDKLocalPresets(t *testing.T) {
	// Every exported constructor is a canonical preset, its environment
	// companion, FromEnv, Open (FromEnv's URL form) or Stack: there is no
	// SDK-local preset to document.
	allowed := map[string]bool{"Minimal": true, "Production": true, "Secure": true, "SecureFromEnv": true,
		"IO": true, "IOFromEnv": true, "FromEnv": true, "Open": true, "Stack": true}
	for name, fd := range exportedFuncs(t) {
		if fd.Type.Results == nil || strings.HasPrefix(name, "With") {
			continue
		}
		if !allowed[name] {
			t.Errorf("%s is not a canonical preset constructor", name)
		}
	}
}
