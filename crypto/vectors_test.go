package crypto

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// The vendored vector files, byte for byte as published; the sums are those
// of the protocol's test-vectors/SHA256SUMS.
var vectorSums = map[string]string{
	"encryption.json":   "1a8a3735408675bf9660ce1372f77723a9ffda8084010fa52eb756a330961589",
	"interop-mode.json": "470f2e98f317a4f930aae43560079cd91649ee1280fdd17e2e47ebe00a54e693",
}

func TestVectorFilesPinned(t *testing.T) {
	for name, want := range vectorSums {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("testdata/%s: sha256 %s, pinned %s; vendor the file unchanged", name, got, want)
		}
	}
}

// sealedRow is the shape shared by every row that holds a sealed entry.
type sealedRow struct {
	Name         string  `json:"name"`
	PlaintextHex string  `json:"plaintext_hex"`
	CacheKey     string  `json:"cache_key"`
	Format       string  `json:"format"`
	Compressed   bool    `json:"compressed"`
	OriginalType *string `json:"original_type"`
	AADHex       string  `json:"aad_hex"`
	CTHex        string  `json:"ciphertext_hex"`
	// keyring rows
	EncryptedWith string `json:"encrypted_with"`
	FPHex         string `json:"key_fingerprint_hex"`
	// aad reject rows
	SealedAs string `json:"sealed_as"`
	// decrypted_container rows
	Reader  string `json:"reader"`
	Outcome string `json:"outcome"`
	// master_key_input accept rows, interop encryption rows
	MasterKeyHex string `json:"master_key_hex"`
	TenantID     string `json:"tenant_id"`
	DerivedFPHex string `json:"derived_key_fingerprint_hex"`
	NonceHex     string `json:"nonce_hex"`
}

type encryptionFile struct {
	MasterKeyHex string      `json:"master_key_hex"`
	TenantID     string      `json:"tenant_id"`
	DerivedFPHex string      `json:"derived_key_fingerprint_hex"`
	Vectors      []sealedRow `json:"vectors"`
	AADRejects   []sealedRow `json:"aad_reject_vectors"`
	Keyring      struct {
		TenantID string `json:"tenant_id"`
		Entries  []struct {
			ID           string `json:"id"`
			MasterKeyHex string `json:"master_key_hex"`
			DerivedFPHex string `json:"derived_key_fingerprint_hex"`
		} `json:"entries"`
		Vectors       []sealedRow `json:"vectors"`
		Configuration struct {
			Vectors []struct {
				Name       string   `json:"name"`
				CurrentHex string   `json:"current_master_key_hex"`
				DecryptHex []string `json:"decrypt_only_master_keys_hex"`
				Verdict    string   `json:"verdict"`
			} `json:"vectors"`
		} `json:"configuration"`
	} `json:"keyring"`
	DecryptedContainer struct {
		Vectors []sealedRow `json:"vectors"`
	} `json:"decrypted_container"`
	DefaultTenant struct {
		TenantID     string      `json:"tenant_id"`
		DerivedFPHex string      `json:"derived_key_fingerprint_hex"`
		Vectors      []sealedRow `json:"vectors"`
	} `json:"default_tenant"`
	MasterKeyInput struct {
		TenantID string      `json:"tenant_id"`
		Accept   []sealedRow `json:"accept_vectors"`
		Reject   []struct {
			Name         string `json:"name"`
			MasterKeyHex string `json:"master_key_hex"`
		} `json:"reject_vectors"`
		RawReject []struct {
			Name      string `json:"name"`
			RawKeyHex string `json:"raw_key_hex"`
		} `json:"raw_reject_vectors"`
	} `json:"master_key_input"`
}

type interopFile struct {
	AADVectors []struct {
		Name       string `json:"name"`
		TenantID   string `json:"tenant_id"`
		CacheKey   string `json:"cache_key"`
		Format     string `json:"format"`
		Compressed bool   `json:"compressed"`
		AADHex     string `json:"aad_hex"`
	} `json:"aad_vectors"`
	EncryptionVectors []sealedRow `json:"encryption_vectors"`
}

func loadJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func unhexT(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in vector: %v", err)
	}
	return b
}

func mustHex(t *testing.T, hexKey string, opts ...Option) *Encryptor {
	t.Helper()
	e, err := NewFromHex(hexKey, opts...)
	if err != nil {
		t.Fatalf("NewFromHex: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// rowAAD builds the AAD of a row, with its optional fifth component.
func rowAAD(tenant string, r sealedRow) []byte {
	ot, with := "", r.OriginalType != nil
	if with {
		ot = *r.OriginalType
	}
	return appendAAD(nil, tenant, r.CacheKey, r.Format, r.Compressed, ot, with)
}

// openRow opens a row's ciphertext with e's keyring: through the public
// Decrypt for four-component rows, through the same key loop with the raw
// AAD for rows that carry original_type (cachekit-py's shape, which Decrypt
// never builds).
func openRow(t *testing.T, e *Encryptor, r sealedRow) ([]byte, error) {
	t.Helper()
	ct := unhexT(t, r.CTHex)
	if r.OriginalType == nil {
		return e.Decrypt(ct, r.CacheKey, r.Format, r.Compressed)
	}
	ring := e.ring.Load()
	if len(ct) < Overhead || ring == nil {
		t.Fatalf("%s: short row or closed encryptor", r.Name)
	}
	return ring.open(ct, rowAAD(e.tenant, r))
}

// checkSealedRow asserts a row's AAD bytes, that it opens to its plaintext,
// and that sealing the plaintext with the row's own nonce under the current
// key reproduces the published ciphertext byte for byte.
func checkSealedRow(t *testing.T, e *Encryptor, r sealedRow) {
	t.Helper()
	aad := rowAAD(e.tenant, r)
	if got := hex.EncodeToString(aad); got != r.AADHex {
		t.Fatalf("%s: AAD\n got %s\nwant %s", r.Name, got, r.AADHex)
	}
	if r.OriginalType == nil {
		if got := AAD(e.tenant, r.CacheKey, r.Format, r.Compressed); !bytes.Equal(got, aad) {
			t.Fatalf("%s: exported AAD differs", r.Name)
		}
	}
	want := unhexT(t, r.PlaintextHex)
	pt, err := openRow(t, e, r)
	if err != nil {
		t.Fatalf("%s: decrypt: %v", r.Name, err)
	}
	if !bytes.Equal(pt, want) {
		t.Fatalf("%s: plaintext %x, want %x", r.Name, pt, want)
	}
	ct := unhexT(t, r.CTHex)
	resealed := e.ring.Load().keys[0].aead.Seal(append([]byte(nil), ct[:NonceSize]...), ct[:NonceSize], want, aad)
	if !bytes.Equal(resealed, ct) {
		t.Fatalf("%s: sealing with the row's nonce gives %x, want %s", r.Name, resealed, r.CTHex)
	}
}

func TestEncryptionVectors(t *testing.T) {
	var f encryptionFile
	loadJSON(t, "encryption.json", &f)
	e := mustHex(t, f.MasterKeyHex, WithTenant(f.TenantID))

	t.Run("fingerprint", func(t *testing.T) {
		if e.Fingerprint() != f.DerivedFPHex {
			t.Fatalf("fingerprint %s, want %s", e.Fingerprint(), f.DerivedFPHex)
		}
		master := unhexT(t, f.MasterKeyHex)
		k, err := DeriveKey(master, DomainEncryption, f.TenantID)
		if err != nil {
			t.Fatal(err)
		}
		if fp := KeyFingerprint(k); hex.EncodeToString(fp[:]) != f.DerivedFPHex {
			t.Fatalf("KeyFingerprint(DeriveKey) = %x", fp)
		}
	})

	t.Run("vectors", func(t *testing.T) {
		if len(f.Vectors) != 9 {
			t.Fatalf("vectors: %d rows, want 9", len(f.Vectors))
		}
		for _, r := range f.Vectors {
			checkSealedRow(t, e, r)
		}
	})

	t.Run("aad_reject_vectors", func(t *testing.T) {
		if len(f.AADRejects) != 10 {
			t.Fatalf("aad_reject_vectors: %d rows, want 10", len(f.AADRejects))
		}
		for _, r := range f.AADRejects {
			if got := hex.EncodeToString(rowAAD(e.tenant, r)); got != r.AADHex {
				t.Fatalf("%s: AAD\n got %s\nwant %s", r.Name, got, r.AADHex)
			}
			pt, err := openRow(t, e, r)
			if !errors.Is(err, ErrAuthentication) || pt != nil {
				t.Fatalf("%s: got (%x, %v), want ErrAuthentication and no plaintext", r.Name, pt, err)
			}
		}
	})

	t.Run("decrypted_container", func(t *testing.T) {
		// The crypto layer opens these (they are sealed under the reader's own
		// AAD); refusing the container inside is the codec layer's job (ENC-2/3).
		rows := f.DecryptedContainer.Vectors
		if len(rows) != 6 {
			t.Fatalf("decrypted_container: %d rows, want 6", len(rows))
		}
		for _, r := range rows {
			checkSealedRow(t, e, r)
		}
	})

	t.Run("default_tenant", func(t *testing.T) {
		d := mustHex(t, f.MasterKeyHex) // no tenant option: "default"
		if d.Tenant() != DefaultTenant || f.DefaultTenant.TenantID != DefaultTenant {
			t.Fatalf("tenant %q / vector %q", d.Tenant(), f.DefaultTenant.TenantID)
		}
		if d.Fingerprint() != f.DefaultTenant.DerivedFPHex {
			t.Fatalf("fingerprint %s, want %s", d.Fingerprint(), f.DefaultTenant.DerivedFPHex)
		}
		if len(f.DefaultTenant.Vectors) != 1 {
			t.Fatalf("default_tenant: %d rows, want 1", len(f.DefaultTenant.Vectors))
		}
		for _, r := range f.DefaultTenant.Vectors {
			checkSealedRow(t, d, r)
		}
	})

	t.Run("keyring", func(t *testing.T) {
		kr := f.Keyring
		if len(kr.Entries) != 2 || len(kr.Vectors) != 2 {
			t.Fatalf("keyring: %d entries, %d vectors, want 2 and 2", len(kr.Entries), len(kr.Vectors))
		}
		hexOf := map[string]string{}
		for _, en := range kr.Entries {
			hexOf[en.ID] = en.MasterKeyHex
			e := mustHex(t, en.MasterKeyHex, WithTenant(kr.TenantID))
			if e.Fingerprint() != en.DerivedFPHex {
				t.Fatalf("entry %s: fingerprint %s, want %s", en.ID, e.Fingerprint(), en.DerivedFPHex)
			}
		}
		k12 := mustHex(t, hexOf["k1"], WithTenant(kr.TenantID), WithPreviousKeysHex(hexOf["k2"]))
		k21 := mustHex(t, hexOf["k2"], WithTenant(kr.TenantID), WithPreviousKeysHex(hexOf["k1"]))
		if fps := k12.Fingerprints(); len(fps) != 2 || fps[0] != kr.Entries[0].DerivedFPHex || fps[1] != kr.Entries[1].DerivedFPHex {
			t.Fatalf("Fingerprints() = %v", fps)
		}
		for _, r := range kr.Vectors {
			only := mustHex(t, hexOf[r.EncryptedWith], WithTenant(kr.TenantID))
			if only.Fingerprint() != r.FPHex {
				t.Fatalf("%s: fingerprint %s, want %s", r.Name, only.Fingerprint(), r.FPHex)
			}
			checkSealedRow(t, only, r)
			for _, ring := range []*Encryptor{k12, k21} {
				pt, err := openRow(t, ring, r)
				if err != nil || !bytes.Equal(pt, unhexT(t, r.PlaintextHex)) {
					t.Fatalf("%s via keyring %v: (%x, %v)", r.Name, ring.Fingerprints(), pt, err)
				}
			}
			other := "k1"
			if r.EncryptedWith == "k1" {
				other = "k2"
			}
			wrong := mustHex(t, hexOf[other], WithTenant(kr.TenantID))
			if _, err := openRow(t, wrong, r); !errors.Is(err, ErrAuthentication) {
				t.Fatalf("%s under %s alone: %v, want ErrAuthentication", r.Name, other, err)
			}
		}
	})

	t.Run("keyring_configuration", func(t *testing.T) {
		rows := f.Keyring.Configuration.Vectors
		if len(rows) != 4 {
			t.Fatalf("keyring.configuration: %d rows, want 4", len(rows))
		}
		var acc, rej int
		for _, r := range rows {
			e, err := NewFromHex(r.CurrentHex, WithPreviousKeysHex(r.DecryptHex...))
			switch r.Verdict {
			case "accept":
				if err != nil {
					t.Fatalf("%s: %v, want accepted", r.Name, err)
				}
				if n := len(e.Fingerprints()); n != 1+len(r.DecryptHex) {
					t.Fatalf("%s: %d keys", r.Name, n)
				}
				_ = e.Close()
				acc++
			case "reject":
				if !errors.Is(err, ErrInvalidKeyring) || e != nil {
					t.Fatalf("%s: %v, want ErrInvalidKeyring", r.Name, err)
				}
				rej++
			default:
				t.Fatalf("%s: verdict %q", r.Name, r.Verdict)
			}
			// The same configuration through the environment.
			t.Setenv(EnvMasterKey, r.CurrentHex)
			t.Setenv(EnvPreviousMasterKeys, joinComma(r.DecryptHex))
			e2, err2 := NewFromEnv()
			if (err2 == nil) != (r.Verdict == "accept") {
				t.Fatalf("%s via env: %v", r.Name, err2)
			}
			if e2 != nil {
				_ = e2.Close()
			}
		}
		if acc != 1 || rej != 3 {
			t.Fatalf("accept %d, reject %d; want 1 and 3", acc, rej)
		}
	})

	t.Run("master_key_input", func(t *testing.T) {
		mk := f.MasterKeyInput
		if len(mk.Accept) != 2 || len(mk.Reject) != 11 || len(mk.RawReject) != 5 {
			t.Fatalf("master_key_input: %d/%d/%d rows, want 2/11/5", len(mk.Accept), len(mk.Reject), len(mk.RawReject))
		}
		if mk.TenantID != DefaultTenant {
			t.Fatalf("tenant %q", mk.TenantID)
		}
		for _, r := range mk.Accept {
			// The hex entry point, no tenant.
			e := mustHex(t, r.MasterKeyHex)
			if e.Fingerprint() != r.DerivedFPHex {
				t.Fatalf("%s: fingerprint %s, want %s", r.Name, e.Fingerprint(), r.DerivedFPHex)
			}
			checkSealedRow(t, e, r)
			// The raw-bytes entry point with the decoded bytes.
			raw, err := New(unhexT(t, r.MasterKeyHex))
			if err != nil {
				t.Fatalf("%s: New: %v", r.Name, err)
			}
			if raw.Fingerprint() != r.DerivedFPHex {
				t.Fatalf("%s: raw fingerprint %s", r.Name, raw.Fingerprint())
			}
			checkSealedRow(t, raw, r)
			_ = raw.Close()
			// The environment.
			t.Setenv(EnvMasterKey, r.MasterKeyHex)
			t.Setenv(EnvPreviousMasterKeys, "")
			env, err := NewFromEnv()
			if err != nil || env.Fingerprint() != r.DerivedFPHex {
				t.Fatalf("%s: NewFromEnv: %v", r.Name, err)
			}
			_ = env.Close()
			// As a decrypt-only key behind another current key.
			ring := mustHex(t, f.MasterKeyHex, WithPreviousKeysHex(r.MasterKeyHex))
			if pt, err := openRow(t, ring, r); err != nil || !bytes.Equal(pt, unhexT(t, r.PlaintextHex)) {
				t.Fatalf("%s as previous key: %v", r.Name, err)
			}
		}
		for _, r := range mk.Reject {
			if e, err := NewFromHex(r.MasterKeyHex); !errors.Is(err, ErrInvalidKey) || e != nil {
				t.Fatalf("%s: NewFromHex: %v, want ErrInvalidKey", r.Name, err)
			}
			t.Setenv(EnvMasterKey, r.MasterKeyHex)
			t.Setenv(EnvPreviousMasterKeys, "")
			if _, err := NewFromEnv(); !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("%s: NewFromEnv: %v, want ErrInvalidKey", r.Name, err)
			}
			if _, err := NewFromHex(f.MasterKeyHex, WithPreviousKeysHex(r.MasterKeyHex)); !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("%s as previous key: %v, want ErrInvalidKey", r.Name, err)
			}
			if !IsConfig(err0(NewFromHex(r.MasterKeyHex))) {
				t.Fatalf("%s: not a config error", r.Name)
			}
		}
		for _, r := range mk.RawReject {
			raw := unhexT(t, r.RawKeyHex)
			if e, err := New(raw); !errors.Is(err, ErrInvalidKey) || e != nil {
				t.Fatalf("%s: New: %v, want ErrInvalidKey", r.Name, err)
			}
			if _, err := New(unhexT(t, f.MasterKeyHex), WithPreviousKeys(raw)); !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("%s as previous key: %v, want ErrInvalidKey", r.Name, err)
			}
			if _, err := DeriveKey(raw, DomainEncryption, DefaultTenant); !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("%s: DeriveKey: %v, want ErrInvalidKey", r.Name, err)
			}
		}
	})
}

func err0(_ *Encryptor, err error) error { return err }

func joinComma(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out
}

func TestInteropVectors(t *testing.T) {
	var f interopFile
	loadJSON(t, "interop-mode.json", &f)
	if len(f.AADVectors) != 1 || len(f.EncryptionVectors) != 1 {
		t.Fatalf("interop: %d aad, %d encryption rows, want 1 and 1", len(f.AADVectors), len(f.EncryptionVectors))
	}
	for _, r := range f.AADVectors {
		if got := hex.EncodeToString(AAD(r.TenantID, r.CacheKey, r.Format, r.Compressed)); got != r.AADHex {
			t.Fatalf("%s: AAD\n got %s\nwant %s", r.Name, got, r.AADHex)
		}
	}
	for _, r := range f.EncryptionVectors {
		e := mustHex(t, r.MasterKeyHex, WithTenant(r.TenantID))
		if e.Fingerprint() != r.DerivedFPHex {
			t.Fatalf("%s: fingerprint %s, want %s", r.Name, e.Fingerprint(), r.DerivedFPHex)
		}
		if r.NonceHex != r.CTHex[:2*NonceSize] {
			t.Fatalf("%s: nonce is not the ciphertext's first 12 bytes", r.Name)
		}
		checkSealedRow(t, e, r)
	}
}

func TestDeriveKeyDomains(t *testing.T) {
	master := bytes.Repeat([]byte{0x61}, KeySize)
	seen := map[string]string{}
	for _, d := range []string{DomainEncryption, DomainAuthentication, DomainCacheKeys} {
		k, err := DeriveKey(master, d, "cross-sdk-test")
		if err != nil || len(k) != KeySize {
			t.Fatalf("%s: %d bytes, %v", d, len(k), err)
		}
		h := hex.EncodeToString(k)
		if prev, dup := seen[h]; dup {
			t.Fatalf("domains %s and %s derive the same key", prev, d)
		}
		seen[h] = d
	}
	// Length-prefixed salt: (domain "foo", tenant "bar") and ("foob", "ar")
	// must differ.
	a, _ := DeriveKey(master, "foo", "bar")
	b, _ := DeriveKey(master, "foob", "ar")
	if bytes.Equal(a, b) {
		t.Fatal("salt is not length-prefixed")
	}
	for _, bad := range []struct{ domain, tenant string }{
		{"", "t"}, {string(make([]byte, 256)), "t"},
	} {
		if _, err := DeriveKey(master, bad.domain, bad.tenant); !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("domain of %d bytes: %v", len(bad.domain), err)
		}
	}
	for _, tenant := range []string{"", string(make([]byte, 1025)), "\xff"} {
		if _, err := DeriveKey(master, DomainEncryption, tenant); !errors.Is(err, ErrInvalidTenant) {
			t.Fatalf("tenant %q: %v", tenant, err)
		}
	}
	if _, err := DeriveKey(master, DomainEncryption, string(bytes.Repeat([]byte{'t'}, 1024))); err != nil {
		t.Fatalf("1024-byte tenant: %v", err)
	}
}
