package crypto_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/crypto"
)

// TestErrorsCarryCoreKinds: every failure of the package is a *core.Error
// whose Kind says what the caller does with it (KindConfig for key material
// and keyring, KindEncryption for what does not authenticate, KindInvalidInput
// for a bad argument), and the package's own sentinels and *Error still match
// through Unwrap. No message holds any form of the keys involved.
func TestErrorsCarryCoreKinds(t *testing.T) {
	const cur = "0101010101010101010101010101010101010101010101010101010101010101"
	good, err := crypto.NewFromHex(cur)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := good.Encrypt([]byte("plain"), "k", "msgpack", false)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := crypto.New(bytes.Repeat([]byte{7}, crypto.KeySize))
	closed, _ := crypto.New(bytes.Repeat([]byte{9}, crypto.KeySize))
	_ = closed.Close()
	tampered := bytes.Clone(ct)
	tampered[len(tampered)-1] ^= 1

	err2 := func(_ any, err error) error { return err }
	cases := []struct {
		name     string
		err      error
		kind     core.Kind
		sentinel error
	}{
		{"hex not hex", err2(crypto.NewFromHex("zz")), core.KindConfig, crypto.ErrInvalidKey},
		{"hex empty", err2(crypto.NewFromHex("")), core.KindConfig, crypto.ErrInvalidKey},
		{"hex short", err2(crypto.NewFromHex(cur[:62])), core.KindConfig, crypto.ErrInvalidKey},
		{"hex 0x", err2(crypto.NewFromHex("0x" + cur[2:])), core.KindConfig, crypto.ErrInvalidKey},
		{"raw short", err2(crypto.New(make([]byte, 31))), core.KindConfig, crypto.ErrInvalidKey},
		{"previous raw short", err2(crypto.New(make([]byte, 32), crypto.WithPreviousKeys(make([]byte, 5)))), core.KindConfig, crypto.ErrInvalidKey},
		{"previous hex bad", err2(crypto.NewFromHex(cur, crypto.WithPreviousKeysHex("nothex"))), core.KindConfig, crypto.ErrInvalidKey},
		{"previous repeats current", err2(crypto.NewFromHex(cur, crypto.WithPreviousKeysHex(cur))), core.KindConfig, crypto.ErrInvalidKeyring},
		{"empty tenant", err2(crypto.NewFromHex(cur, crypto.WithTenant(""))), core.KindConfig, crypto.ErrInvalidTenant},
		{"derive short key", err2(crypto.DeriveKey(make([]byte, 3), crypto.DomainEncryption, "t")), core.KindConfig, crypto.ErrInvalidKey},
		{"derive empty domain", err2(crypto.DeriveKey(make([]byte, 32), "", "t")), core.KindInvalidInput, crypto.ErrInvalidInput},
		{"decrypt wrong key", err2(other.Decrypt(ct, "k", "msgpack", false)), core.KindEncryption, crypto.ErrAuthentication},
		{"decrypt tampered", err2(good.Decrypt(tampered, "k", "msgpack", false)), core.KindEncryption, crypto.ErrAuthentication},
		{"decrypt truncated", err2(good.Decrypt(ct[:10], "k", "msgpack", false)), core.KindEncryption, crypto.ErrAuthentication},
		{"decrypt other binding", err2(good.Decrypt(ct, "k2", "msgpack", false)), core.KindEncryption, crypto.ErrAuthentication},
		{"decrypt in place tampered", err2(good.DecryptInPlace(bytes.Clone(tampered), "k", "msgpack", false)), core.KindEncryption, crypto.ErrAuthentication},
		{"decrypt bad format", err2(good.Decrypt(ct, "k", "json", false)), core.KindInvalidInput, crypto.ErrInvalidInput},
		{"encrypt bad format", err2(good.Encrypt([]byte("v"), "k", "json", false)), core.KindInvalidInput, crypto.ErrInvalidInput},
		{"encrypt closed", err2(closed.Encrypt([]byte("v"), "k", "msgpack", false)), core.KindEncryption, crypto.ErrClosed},
		{"decrypt closed", err2(closed.Decrypt(ct, "k", "msgpack", false)), core.KindEncryption, crypto.ErrClosed},
	}
	for _, tc := range cases {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		var ce *core.Error
		if !errors.As(tc.err, &ce) {
			t.Errorf("%s: %T is not a *core.Error", tc.name, tc.err)
		}
		if k := core.KindOf(tc.err); k != tc.kind {
			t.Errorf("%s: core.KindOf = %v, want %v", tc.name, k, tc.kind)
		}
		if !errors.Is(tc.err, tc.sentinel) {
			t.Errorf("%s: errors.Is(%v, %v) is false", tc.name, tc.err, tc.sentinel)
		}
		var pe *crypto.Error
		if !errors.As(tc.err, &pe) || pe.Reason.Kind() != tc.kind {
			t.Errorf("%s: no *crypto.Error of the kind in the chain", tc.name)
		}
		if crypto.IsConfig(tc.err) != (tc.kind == core.KindConfig) {
			t.Errorf("%s: IsConfig = %v", tc.name, crypto.IsConfig(tc.err))
		}
		msg := strings.ToLower(tc.err.Error())
		for _, secret := range []string{cur, cur[:16], "0707070707070707", hex.EncodeToString(make([]byte, 8))} {
			if strings.Contains(msg, secret) {
				t.Errorf("%s: message %q holds key material", tc.name, msg)
			}
		}
	}
}

// TestFromEnvKinds: NewFromEnv's errors are KindConfig too.
func TestFromEnvKinds(t *testing.T) {
	t.Setenv(crypto.EnvMasterKey, "")
	t.Setenv(crypto.EnvPreviousMasterKeys, "")
	if _, err := crypto.NewFromEnv(); core.KindOf(err) != core.KindConfig || !errors.Is(err, crypto.ErrMissingKey) {
		t.Fatalf("unset key: %v (kind %v)", err, core.KindOf(err))
	}
	t.Setenv(crypto.EnvMasterKey, "zz")
	if _, err := crypto.NewFromEnv(); core.KindOf(err) != core.KindConfig || !errors.Is(err, crypto.ErrInvalidKey) {
		t.Fatalf("bad key: %v (kind %v)", err, core.KindOf(err))
	}
}

// TestEnvAndHexAgree: a master key read from CACHEKIT_MASTER_KEY (through
// core's parser) gets the verdict NewFromHex gives the same string: the
// parser trims nothing and drops nothing.
func TestEnvAndHexAgree(t *testing.T) {
	const cur = "0101010101010101010101010101010101010101010101010101010101010101"
	t.Setenv(crypto.EnvPreviousMasterKeys, "")
	for _, v := range []string{cur, " " + cur, cur + "\n", "\t", " ", "0x" + cur[2:], strings.ToUpper(cur), cur[:63]} {
		t.Setenv(crypto.EnvMasterKey, v)
		fromEnv, errEnv := crypto.NewFromEnv()
		fromHex, errHex := crypto.NewFromHex(v)
		if (errEnv == nil) != (errHex == nil) || core.KindOf(errEnv) != core.KindOf(errHex) {
			t.Errorf("%q: NewFromEnv %v, NewFromHex %v", v, errEnv, errHex)
			continue
		}
		if errEnv == nil && fromEnv.Fingerprint() != fromHex.Fingerprint() {
			t.Errorf("%q: fingerprints differ", v)
		}
	}
	// CACHEKIT_PREVIOUS_MASTER_KEYS: each entry as WithPreviousKeysHex takes it.
	t.Setenv(crypto.EnvMasterKey, cur)
	const p1 = "0202020202020202020202020202020202020202020202020202020202020202"
	for _, v := range []string{p1, p1 + ",", " " + p1, p1 + " ", ","} {
		t.Setenv(crypto.EnvPreviousMasterKeys, v)
		_, errEnv := crypto.NewFromEnv()
		_, errHex := crypto.NewFromHex(cur, crypto.WithPreviousKeysHex(strings.Split(v, ",")...))
		if (errEnv == nil) != (errHex == nil) || core.KindOf(errEnv) != core.KindOf(errHex) {
			t.Errorf("previous %q: NewFromEnv %v, WithPreviousKeysHex %v", v, errEnv, errHex)
		}
	}
}
