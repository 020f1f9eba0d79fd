package server

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// KeyClass is the class of an API key, given by its prefix.
type KeyClass uint8

// The three API key classes the server accepts.
const (
	// ClassSDK keys start "ck_sdk_": they must send X-CacheKit-L1-Status and
	// may mutate ns: and unprefixed keys, never nsapi: keys.
	ClassSDK KeyClass = iota + 1
	// ClassAPI keys start "ck_api_": they may mutate nsapi: and unprefixed
	// keys, never ns: keys.
	ClassAPI
	// ClassLegacy keys start "ck_live_": exempt from the write-space split.
	ClassLegacy
)

// String returns the class's key prefix.
func (c KeyClass) String() string {
	switch c {
	case ClassSDK:
		return "ck_sdk_"
	case ClassAPI:
		return "ck_api_"
	case ClassLegacy:
		return "ck_live_"
	}
	return "unknown"
}

// ClassOf returns the class of apiKey from its prefix; ok is false for any
// other prefix (such a key always fails authentication).
func ClassOf(apiKey string) (class KeyClass, ok bool) {
	switch {
	case strings.HasPrefix(apiKey, "ck_sdk_"):
		return ClassSDK, true
	case strings.HasPrefix(apiKey, "ck_api_"):
		return ClassAPI, true
	case strings.HasPrefix(apiKey, "ck_live_"):
		return ClassLegacy, true
	}
	return 0, false
}

// mayMutate reports whether a key of class c may mutate a key with the given
// prefix ("ns", "nsapi" or "" for the default namespace).
func (c KeyClass) mayMutate(prefix string) bool {
	switch prefix {
	case "ns":
		return c == ClassSDK || c == ClassLegacy
	case "nsapi":
		return c == ClassAPI || c == ClassLegacy
	}
	return true
}

// Principal is who an API key authenticates as.
type Principal struct {
	// Tenant scopes every operation: it is the only tenancy input.
	Tenant string
	// Class is the key's class.
	Class KeyClass
	// Namespaces are the namespaces the key may read and write; nil means
	// unrestricted. Unprefixed keys are in the "default" namespace.
	Namespaces []string
}

// allows reports whether the principal's namespace grants include ns.
func (p Principal) allows(ns string) bool {
	if p.Namespaces == nil {
		return true
	}
	for _, g := range p.Namespaces {
		if g == ns {
			return true
		}
	}
	return false
}

// KeyStore resolves API keys. Lookup returns found == false for an unknown
// or revoked key (401) and an error for a fault while checking (503).
type KeyStore interface {
	Lookup(ctx context.Context, apiKey string) (p Principal, found bool, err error)
}

// KeyEntry is one API key of a keys file.
//
// Its String, GoString and Format (every fmt verb) and LogValue (slog's
// text and JSON handlers) never show the key. encoding/json does: the JSON
// encoding is the keys-file format (see KeysFile), which must carry the key,
// so do not log a KeyEntry, a []KeyEntry or a KeysFile through
// encoding/json (slog's JSON handler encodes a []KeyEntry that way).
type KeyEntry struct {
	// Key is the API key itself (ck_sdk_…, ck_api_… or ck_live_…).
	Key string `json:"key"`
	// Tenant is the tenant id: 1–64 characters of [A-Za-z0-9_-].
	Tenant string `json:"tenant"`
	// Namespaces restricts the key to these namespaces; omitted means
	// unrestricted.
	Namespaces []string `json:"namespaces,omitempty"`
}

// String redacts the key.
func (e KeyEntry) String() string {
	c, _ := ClassOf(e.Key)
	return fmt.Sprintf("KeyEntry{class: %s, tenant: %s}", c, e.Tenant)
}

// GoString redacts the key.
func (e KeyEntry) GoString() string { return e.String() }

// Format prints String for every verb (%v, %+v, %#v, %s, %q, %x, %d, …):
// without it, a verb that String does not serve, such as %d, printed the
// fields, key included.
func (e KeyEntry) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.String()) }

// LogValue implements slog.LogValuer: the key's class, the tenant and the
// namespaces, never the key.
func (e KeyEntry) LogValue() slog.Value {
	c, _ := ClassOf(e.Key)
	attrs := []slog.Attr{slog.String("class", c.String()), slog.String("tenant", e.Tenant)}
	if e.Namespaces != nil {
		attrs = append(attrs, slog.Any("namespaces", e.Namespaces))
	}
	return slog.GroupValue(attrs...)
}

// KeysFile is the JSON document read by LoadKeysFile:
//
//	{"keys": [{"key": "ck_sdk_…", "tenant": "acme", "namespaces": ["default", "users"]}]}
//
// Its encoding/json form is that file, keys included; fmt and LogValue
// redact them.
type KeysFile struct {
	Keys []KeyEntry `json:"keys"`
}

// LogValue implements slog.LogValuer: each entry's String, never a key.
func (f KeysFile) LogValue() slog.Value {
	keys := make([]string, len(f.Keys))
	for i, e := range f.Keys {
		keys[i] = e.String()
	}
	return slog.GroupValue(slog.Any("keys", keys))
}

// StaticKeys is a KeyStore over a fixed set of keys. It keeps only SHA-256
// digests of the keys, never the keys themselves.
type StaticKeys struct {
	byDigest map[[32]byte]Principal
}

// minKeySecret is the least number of characters after the class prefix.
const minKeySecret = 16

// NewStaticKeys validates entries and returns a KeyStore over them.
func NewStaticKeys(entries []KeyEntry) (*StaticKeys, error) {
	s := &StaticKeys{byDigest: make(map[[32]byte]Principal, len(entries))}
	for i, e := range entries {
		class, ok := ClassOf(e.Key)
		if !ok {
			return nil, fmt.Errorf("keys[%d]: key must start ck_sdk_, ck_api_ or ck_live_", i)
		}
		if len(e.Key)-len(class.String()) < minKeySecret {
			return nil, fmt.Errorf("keys[%d]: key must have at least %d characters after its prefix", i, minKeySecret)
		}
		for j := 0; j < len(e.Key); j++ {
			if c := e.Key[j]; c <= ' ' || c >= 0x7f {
				return nil, fmt.Errorf("keys[%d]: key must be printable ASCII without spaces", i)
			}
		}
		if !ValidNamespace(e.Tenant) {
			return nil, fmt.Errorf("keys[%d]: tenant must be 1-64 characters of [A-Za-z0-9_-]", i)
		}
		for _, ns := range e.Namespaces {
			if !ValidNamespace(ns) {
				return nil, fmt.Errorf("keys[%d]: invalid namespace %q", i, ns)
			}
		}
		d := sha256.Sum256([]byte(e.Key))
		if _, dup := s.byDigest[d]; dup {
			return nil, fmt.Errorf("keys[%d]: duplicate key", i)
		}
		p := Principal{Tenant: e.Tenant, Class: class}
		if e.Namespaces != nil {
			p.Namespaces = append([]string{}, e.Namespaces...)
		}
		s.byDigest[d] = p
	}
	return s, nil
}

// LoadKeysFile reads a KeysFile (JSON) and returns a KeyStore over it.
func LoadKeysFile(path string) (*StaticKeys, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f KeysFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("keys file %s: %w", path, err)
	}
	if len(f.Keys) == 0 {
		return nil, fmt.Errorf("keys file %s: no keys", path)
	}
	return NewStaticKeys(f.Keys)
}

// Lookup implements KeyStore. Looking keys up by digest keeps the comparison
// independent of how many leading bytes of a guess are right.
func (s *StaticKeys) Lookup(_ context.Context, apiKey string) (Principal, bool, error) {
	p, ok := s.byDigest[sha256.Sum256([]byte(apiKey))]
	return p, ok, nil
}

// Len returns the number of keys.
func (s *StaticKeys) Len() int { return len(s.byDigest) }
