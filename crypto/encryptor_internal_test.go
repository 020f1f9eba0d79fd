package crypto

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
)

var internalKey = bytes.Repeat([]byte{0x5a}, KeySize)

func newInternal(t *testing.T, opts ...Option) *Encryptor {
	t.Helper()
	e, err := New(internalKey, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func TestCounterNonces(t *testing.T) {
	a := newInternal(t)
	b := newInternal(t)
	for i := range 3 {
		ct, err := a.Encrypt([]byte("v"), "k", "msgpack", false)
		if err != nil {
			t.Fatal(err)
		}
		if id := binary.BigEndian.Uint64(ct[:8]); id != a.instance {
			t.Fatalf("instance id %x, want %x", id, a.instance)
		}
		if c := binary.BigEndian.Uint32(ct[8:12]); c != uint32(i) {
			t.Fatalf("counter %d, want %d", c, i)
		}
	}
	if a.instance == b.instance {
		t.Fatal("two Encryptors share an instance id")
	}
	// Both come from the one process counter: same random upper half (unless
	// the lower half wrapped between them, which it cannot in one test run).
	if a.instance>>32 != b.instance>>32 || b.instance <= a.instance {
		t.Fatalf("instance ids %x, %x are not from one counter", a.instance, b.instance)
	}
}

func TestNonceExhaustionNeverWraps(t *testing.T) {
	e := newInternal(t)
	e.counter.Store(maxNonceCounter)
	ct, err := e.Encrypt([]byte("last"), "k", "msgpack", false)
	if err != nil {
		t.Fatalf("last nonce: %v", err)
	}
	if c := binary.BigEndian.Uint32(ct[8:12]); c != maxNonceCounter {
		t.Fatalf("counter %x", c)
	}
	for range 3 {
		ct, err := e.Encrypt([]byte("v"), "k", "msgpack", false)
		if !errors.Is(err, ErrNonceExhausted) || ct != nil || IsConfig(err) || core.KindOf(err) != core.KindEncryption {
			t.Fatalf("after exhaustion: %x, %v", ct, err)
		}
	}
	// Decryption still works.
	if pt, err := e.Decrypt(ct, "k", "msgpack", false); err != nil || string(pt) != "last" {
		t.Fatalf("decrypt after exhaustion: %v", err)
	}
}

func TestConcurrentUniqueNonces(t *testing.T) {
	e := newInternal(t)
	const workers, per = 8, 200
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			local := make([]string, 0, per)
			for i := range per {
				pt := []byte(fmt.Sprintf("w%d-%d", w, i))
				ct, err := e.Encrypt(pt, "k", "msgpack", false)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := e.Decrypt(ct, "k", "msgpack", false)
				if err != nil || !bytes.Equal(got, pt) {
					t.Error("concurrent round trip failed")
					return
				}
				local = append(local, string(ct[:NonceSize]))
			}
			mu.Lock()
			for _, n := range local {
				if seen[n] {
					t.Errorf("nonce %x reused", n)
				}
				seen[n] = true
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(seen) != workers*per {
		t.Fatalf("%d nonces, want %d", len(seen), workers*per)
	}
}

func TestCloseWhileInUse(t *testing.T) {
	e, err := New(internalKey)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				ct, err := e.Encrypt([]byte("v"), "k", "msgpack", false)
				if err != nil {
					if !errors.Is(err, ErrClosed) {
						t.Errorf("Encrypt: %v", err)
					}
					return
				}
				if _, err := e.Decrypt(ct, "k", "msgpack", false); err != nil && !errors.Is(err, ErrClosed) {
					t.Errorf("Decrypt: %v", err)
					return
				}
			}
		})
	}
	_ = e.Close()
	wg.Wait()
	if e.ring.Load() != nil {
		t.Fatal("Close kept the keyring")
	}
}

func TestDerivedKeyBytesZeroed(t *testing.T) {
	k := deriveKey(internalKey, DomainEncryption, DefaultTenant)
	if bytes.Equal(k, make([]byte, KeySize)) {
		t.Fatal("derived key is zero")
	}
	entry, err := newEntryFromDerived(k)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k, make([]byte, KeySize)) {
		t.Fatal("derived key bytes not zeroed once the cipher is built")
	}
	if entry.aead == nil {
		t.Fatal("no cipher")
	}
}

func TestConfigKeyCopiesZeroed(t *testing.T) {
	prev := bytes.Repeat([]byte{0x07}, KeySize)
	cfg := config{}
	WithPreviousKeys(prev)(&cfg)
	WithPreviousKeysHex(strings.Repeat("08", KeySize))(&cfg)
	copies := cfg.previous
	if len(copies) != 2 || &copies[0][0] == &prev[0] {
		t.Fatal("previous keys not copied")
	}
	cfg.zero()
	for i, c := range copies {
		if !bytes.Equal(c, make([]byte, KeySize)) {
			t.Fatalf("copy %d not zeroed", i)
		}
	}
	if !bytes.Equal(prev, bytes.Repeat([]byte{0x07}, KeySize)) {
		t.Fatal("caller's key modified")
	}
}

// The forms of a key that must never appear in printed output.
func secretForms(key []byte, tenant string) []string {
	k := deriveKey(key, DomainEncryption, tenant)
	return []string{
		hex.EncodeToString(key), strings.ToUpper(hex.EncodeToString(key)), string(key),
		hex.EncodeToString(k), string(k), fmt.Sprint(key), fmt.Sprint(k),
		fmt.Sprintf("%#v", key), fmt.Sprintf("%#v", k),
	}
}

var verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%10v", "%-#v"}

func assertRedacted(t *testing.T, what string, v any, forms []string) {
	t.Helper()
	for _, verb := range verbs {
		out := fmt.Sprintf(verb, v)
		for _, f := range forms {
			if f != "" && strings.Contains(out, f) {
				t.Fatalf("%s printed with %s leaks key material: %q", what, verb, out)
			}
		}
		if verb != "%T" && !strings.Contains(out, "REDACTED") && !strings.HasPrefix(what, "error") {
			t.Fatalf("%s printed with %s shows no redaction: %q", what, verb, out)
		}
	}
}

func TestNoKeyIsEverPrinted(t *testing.T) {
	master := []byte("0123456789abcdef0123456789abcdef") // printable, to catch %s
	prev := bytes.Repeat([]byte{0xa5}, KeySize)
	e, err := New(master, WithPreviousKeys(prev), WithTenant("t"))
	if err != nil {
		t.Fatal(err)
	}
	forms := append(secretForms(master, "t"), secretForms(prev, "t")...)
	assertRedacted(t, "*Encryptor", e, forms)
	assertRedacted(t, "[]*Encryptor", []*Encryptor{e}, forms)
	assertRedacted(t, "struct holding an Encryptor", struct{ E *Encryptor }{e}, forms)
	assertRedacted(t, "Option", WithPreviousKeys(prev), forms)
	assertRedacted(t, "Option (hex)", WithPreviousKeysHex(hex.EncodeToString(prev)), forms)
	assertRedacted(t, "keyEntry", e.ring.Load().keys[0], forms)
	_ = e.Close()
	assertRedacted(t, "closed *Encryptor", e, forms)

	// Errors built from rejected keys hold no part of them.
	badHex := hex.EncodeToString(master)[:62] + "zz"
	bad := []string{badHex, badHex[:16], hex.EncodeToString(master)[:16]}
	for _, err := range []error{
		err0(NewFromHex(badHex)),
		err0(NewFromHex(hex.EncodeToString(master)[:62])),
		err0(NewFromHex(hex.EncodeToString(master), WithPreviousKeysHex(badHex))),
		err0(NewFromHex(hex.EncodeToString(master), WithPreviousKeysHex(hex.EncodeToString(master)))),
		err0(New(append(bytes.Clone(master), 'x'))),
		err0(New(master, WithPreviousKeys(master))),
	} {
		if err == nil {
			t.Fatal("expected an error")
		}
		assertRedacted(t, "error "+err.Error(), err, append(forms, bad...))
	}
}

// *Encryptor is the client's encryption port.
var _ core.Encryptor = (*Encryptor)(nil)
