package crypto_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cachekit-io/cachekit-go/crypto"
)

var testKey = bytes.Repeat([]byte{0x42}, crypto.KeySize)

func newEnc(t testing.TB, opts ...crypto.Option) *crypto.Encryptor {
	t.Helper()
	e, err := crypto.New(testKey, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// wantAuth fails unless err is the typed authentication error and no
// plaintext came back.
func wantAuth(t *testing.T, what string, pt []byte, err error) {
	t.Helper()
	var ce *crypto.Error
	if !errors.Is(err, crypto.ErrAuthentication) || !errors.As(err, &ce) || ce.Reason != crypto.ReasonAuthentication {
		t.Fatalf("%s: err = %v, want ErrAuthentication", what, err)
	}
	if pt != nil {
		t.Fatalf("%s: plaintext returned with an error", what)
	}
	if crypto.IsConfig(err) {
		t.Fatalf("%s: authentication failure classified as config", what)
	}
}

func TestSwapBetweenStorageKeys(t *testing.T) {
	e := newEnc(t)
	pt := []byte("account balance: 100")
	for _, c := range []struct{ from, to string }{
		{"user:1", "user:2"},
		{"ns:a:k", "ns:b:k"}, // two namespaces, same key
		{"ns:a:k", "k"},      // namespace stripped
		{"k", "ns:a:k"},      // namespace added
		{"ns:a:k", "ns:a:k "},
	} {
		ct, err := e.Encrypt(pt, c.from, "msgpack", true)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Decrypt(ct, c.from, "msgpack", true)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("%s: round trip: %v", c.from, err)
		}
		got, err = e.Decrypt(ct, c.to, "msgpack", true)
		wantAuth(t, c.from+" -> "+c.to, got, err)
	}
}

func TestSwapBetweenTenants(t *testing.T) {
	a := newEnc(t, crypto.WithTenant("tenant-a"))
	b := newEnc(t, crypto.WithTenant("tenant-b"))
	d := newEnc(t) // "default"
	ct, err := a.Encrypt([]byte("secret"), "ns:app:k", "msgpack", true)
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Decrypt(ct, "ns:app:k", "msgpack", true)
	wantAuth(t, "tenant-a -> tenant-b", got, err)
	got, err = d.Decrypt(ct, "ns:app:k", "msgpack", true)
	wantAuth(t, "tenant-a -> default", got, err)
	if a.Fingerprint() == b.Fingerprint() {
		t.Fatal("two tenants share a derived key")
	}
}

func TestSwapFormatAndCompression(t *testing.T) {
	e := newEnc(t)
	ct, err := e.Encrypt([]byte("v"), "k", "msgpack", true)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Decrypt(ct, "k", "msgpack", false)
	wantAuth(t, "compressed True -> False", got, err)
	got, err = e.Decrypt(ct, "k", "orjson", true)
	wantAuth(t, "format msgpack -> orjson", got, err)
}

func TestWrongKey(t *testing.T) {
	e := newEnc(t)
	other, err := crypto.New(bytes.Repeat([]byte{0x43}, crypto.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ct, _ := e.Encrypt([]byte("v"), "k", "msgpack", false)
	got, err := other.Decrypt(ct, "k", "msgpack", false)
	wantAuth(t, "wrong key", got, err)
}

func TestEveryBitFlipRejected(t *testing.T) {
	e := newEnc(t)
	for _, pt := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("0123456789abcdef"), 4)} {
		ct, err := e.Encrypt(pt, "ns:app:user:1", "msgpack", true)
		if err != nil {
			t.Fatal(err)
		}
		if len(ct) != len(pt)+crypto.Overhead {
			t.Fatalf("sealed length %d, want %d", len(ct), len(pt)+crypto.Overhead)
		}
		for i := range len(ct) * 8 {
			mut := bytes.Clone(ct)
			mut[i/8] ^= 1 << (i % 8)
			got, err := e.Decrypt(mut, "ns:app:user:1", "msgpack", true)
			wantAuth(t, "bit flip", got, err)
		}
		// The untouched value still opens.
		if got, err := e.Decrypt(ct, "ns:app:user:1", "msgpack", true); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("original: %v", err)
		}
	}
}

func TestTruncatedAndExtendedRejected(t *testing.T) {
	e := newEnc(t)
	ct, err := e.Encrypt([]byte("some value"), "k", "msgpack", false)
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(ct) {
		got, err := e.Decrypt(ct[:n], "k", "msgpack", false)
		wantAuth(t, "truncated", got, err)
		got, err = e.Decrypt(ct[len(ct)-n:], "k", "msgpack", false)
		wantAuth(t, "front-truncated", got, err)
	}
	got, err := e.Decrypt(append(bytes.Clone(ct), 0), "k", "msgpack", false)
	wantAuth(t, "extended", got, err)
	got, err = e.Decrypt(nil, "k", "msgpack", false)
	wantAuth(t, "nil", got, err)
	got, err = e.Decrypt(make([]byte, crypto.Overhead), "k", "msgpack", false)
	wantAuth(t, "28 zero bytes", got, err)
}

// A plaintext entry read by an encrypting reader fails closed.
func TestPlaintextEntryRejected(t *testing.T) {
	e := newEnc(t)
	for _, stored := range [][]byte{
		[]byte("\x83\xa7user_id*\xa4name\xa8cachekit\xa6active\xc3"), // plain msgpack
		bytes.Repeat([]byte{0}, 64),
	} {
		got, err := e.Decrypt(stored, "k", "msgpack", false)
		wantAuth(t, "plaintext entry", got, err)
	}
}

func TestRotation(t *testing.T) {
	oldKey := bytes.Repeat([]byte{0x01}, crypto.KeySize)
	newKey := bytes.Repeat([]byte{0x02}, crypto.KeySize)
	older := bytes.Repeat([]byte{0x03}, crypto.KeySize)

	before, err := crypto.New(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	oldCT, _ := before.Encrypt([]byte("written before rotation"), "k", "msgpack", true)

	after, err := crypto.New(newKey, crypto.WithPreviousKeys(older, oldKey))
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	if got, err := after.Decrypt(oldCT, "k", "msgpack", true); err != nil || string(got) != "written before rotation" {
		t.Fatalf("old entry after rotation: %q, %v", got, err)
	}
	// Writes use the current key: only the new key alone opens them.
	newCT, _ := after.Encrypt([]byte("written after"), "k", "msgpack", true)
	newOnly, _ := crypto.New(newKey)
	defer newOnly.Close()
	if got, err := newOnly.Decrypt(newCT, "k", "msgpack", true); err != nil || string(got) != "written after" {
		t.Fatalf("new entry under the current key alone: %v", err)
	}
	got, err := before.Decrypt(newCT, "k", "msgpack", true)
	wantAuth(t, "new entry under the old key", got, err)
	// The keyring never turns a wrong binding into a success.
	got, err = after.Decrypt(oldCT, "k2", "msgpack", true)
	wantAuth(t, "old entry, other key", got, err)
	// Fingerprints: current first, then previous in order.
	fps := after.Fingerprints()
	if len(fps) != 3 || fps[0] != newOnly.Fingerprint() || fps[2] != before.Fingerprint() {
		t.Fatalf("Fingerprints() = %v", fps)
	}
}

func TestKeyringConfiguration(t *testing.T) {
	k := func(b byte) []byte { return bytes.Repeat([]byte{b}, crypto.KeySize) }
	if _, err := crypto.New(k(1), crypto.WithPreviousKeys(k(2), k(3), k(4))); err != nil {
		t.Fatalf("three previous keys: %v", err)
	}
	for name, opts := range map[string][]crypto.Option{
		"four previous":          {crypto.WithPreviousKeys(k(2), k(3), k(4), k(5))},
		"four across options":    {crypto.WithPreviousKeys(k(2), k(3)), crypto.WithPreviousKeysHex("0505050505050505050505050505050505050505050505050505050505050505", "0606060606060606060606060606060606060606060606060606060606060606")},
		"current repeated":       {crypto.WithPreviousKeys(k(2), k(1))},
		"previous repeated":      {crypto.WithPreviousKeys(k(2), k(2))},
		"current repeated (hex)": {crypto.WithPreviousKeysHex("0101010101010101010101010101010101010101010101010101010101010101")},
	} {
		e, err := crypto.New(k(1), opts...)
		if !errors.Is(err, crypto.ErrInvalidKeyring) || e != nil || !crypto.IsConfig(err) {
			t.Errorf("%s: %v, want ErrInvalidKeyring", name, err)
		}
	}
	if _, err := crypto.New(k(1), crypto.WithPreviousKeys(k(2)[:31])); !errors.Is(err, crypto.ErrInvalidKey) {
		t.Errorf("short previous key: %v", err)
	}
	for _, tenant := range []string{"", "\xc3\x28", string(make([]byte, crypto.MaxTenantLen+1))} {
		if _, err := crypto.New(k(1), crypto.WithTenant(tenant)); !errors.Is(err, crypto.ErrInvalidTenant) || !crypto.IsConfig(err) {
			t.Errorf("tenant %q: %v", tenant, err)
		}
	}
}

func TestFromEnv(t *testing.T) {
	const cur = "0101010101010101010101010101010101010101010101010101010101010101"
	const p1 = "0202020202020202020202020202020202020202020202020202020202020202"
	const p2 = "0303030303030303030303030303030303030303030303030303030303030303"

	t.Setenv(crypto.EnvMasterKey, "")
	t.Setenv(crypto.EnvPreviousMasterKeys, "")
	if _, err := crypto.NewFromEnv(); !errors.Is(err, crypto.ErrMissingKey) || !crypto.IsConfig(err) {
		t.Fatalf("unset key: %v", err)
	}

	t.Setenv(crypto.EnvMasterKey, cur)
	t.Setenv(crypto.EnvPreviousMasterKeys, p1+","+p2)
	e, err := crypto.NewFromEnv(crypto.WithTenant("acme"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Tenant() != "acme" || len(e.Fingerprints()) != 3 {
		t.Fatalf("tenant %q, %d keys", e.Tenant(), len(e.Fingerprints()))
	}
	old, _ := crypto.NewFromHex(p2, crypto.WithTenant("acme"))
	defer old.Close()
	if e.Fingerprints()[2] != old.Fingerprint() {
		t.Fatal("previous keys out of order")
	}
	ct, _ := old.Encrypt([]byte("v"), "k", "msgpack", false)
	if got, err := e.Decrypt(ct, "k", "msgpack", false); err != nil || string(got) != "v" {
		t.Fatalf("previous key from env: %v", err)
	}

	for _, bad := range []string{p1 + ",", "," + p1, p1 + ", " + p2, p1 + ";" + p2, " "} {
		t.Setenv(crypto.EnvPreviousMasterKeys, bad)
		if _, err := crypto.NewFromEnv(); !errors.Is(err, crypto.ErrInvalidKey) {
			t.Errorf("previous %q: %v, want ErrInvalidKey", bad, err)
		}
	}
	t.Setenv(crypto.EnvPreviousMasterKeys, p1+","+p2+","+p1[:62]+"04"+","+p1[:62]+"05")
	if _, err := crypto.NewFromEnv(); !errors.Is(err, crypto.ErrInvalidKeyring) {
		t.Errorf("four previous keys: %v", err)
	}
}

func TestFormatRegistry(t *testing.T) {
	e := newEnc(t)
	for _, f := range []string{"msgpack", "orjson", "arrow"} {
		ct, err := e.Encrypt([]byte("v"), "k", f, false)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := e.Decrypt(ct, "k", f, false); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	ct, _ := e.Encrypt([]byte("v"), "k", "msgpack", false)
	for _, f := range []string{"", "MsgPack", "json", "msgpack "} {
		if _, err := e.Encrypt([]byte("v"), "k", f, false); !errors.Is(err, crypto.ErrInvalidInput) {
			t.Errorf("Encrypt format %q: %v", f, err)
		}
		if _, err := e.Decrypt(ct, "k", f, false); !errors.Is(err, crypto.ErrInvalidInput) {
			t.Errorf("Decrypt format %q: %v", f, err)
		}
	}
}

func TestClose(t *testing.T) {
	e, err := crypto.New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	ct, _ := e.Encrypt([]byte("v"), "k", "msgpack", false)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := e.Encrypt([]byte("v"), "k", "msgpack", false); !errors.Is(err, crypto.ErrClosed) {
		t.Fatalf("Encrypt after Close: %v", err)
	}
	if pt, err := e.Decrypt(ct, "k", "msgpack", false); !errors.Is(err, crypto.ErrClosed) || pt != nil {
		t.Fatalf("Decrypt after Close: %v", err)
	}
}

func TestEmptyAndNilPlaintext(t *testing.T) {
	e := newEnc(t)
	for _, pt := range [][]byte{nil, {}} {
		ct, err := e.Encrypt(pt, "", "msgpack", false)
		if err != nil || len(ct) != crypto.Overhead {
			t.Fatalf("len %d, %v", len(ct), err)
		}
		got, err := e.Decrypt(ct, "", "msgpack", false)
		if err != nil || got == nil || len(got) != 0 {
			t.Fatalf("got %v, %v; want an empty non-nil slice", got, err)
		}
	}
}

func TestDoesNotModifyInputs(t *testing.T) {
	e := newEnc(t)
	key := bytes.Clone(testKey)
	e2, _ := crypto.New(key)
	defer e2.Close()
	if !bytes.Equal(key, testKey) {
		t.Fatal("New modified the caller's key")
	}
	pt := []byte("plaintext")
	ct, _ := e.Encrypt(pt, "k", "msgpack", false)
	if string(pt) != "plaintext" || bytes.Contains(ct, pt) {
		t.Fatal("plaintext modified or visible in the sealed value")
	}
	ctCopy := bytes.Clone(ct)
	_, _ = e.Decrypt(ct, "k", "msgpack", false)
	_, _ = e.Decrypt(ct, "other", "msgpack", false)
	if !bytes.Equal(ct, ctCopy) {
		t.Fatal("Decrypt modified the sealed value")
	}
}
