package core

import (
	"crypto/sha256"
	"encoding/hex"
)

// The attribute keys of the client's log records (WithLogger). They are
// stable: dashboards and alerts may rely on them. No record carries a key
// or a value — keys may hold personal data —; where a record must name a
// key it carries LogKeyHash.
const (
	// LogKeyKind is the error kind of the event (Kind.String()).
	LogKeyKind = "cache.kind"
	// LogKeyOp is the operation ("get", "set", "load", "refresh", …).
	LogKeyOp = "cache.op"
	// LogKeyNamespace is the client's namespace.
	LogKeyNamespace = "cache.namespace"
	// LogKeyHash is KeyHash of the storage key concerned.
	LogKeyHash = "cache.key_hash"
	// LogKeySuppressed is, on a rate-limited warning, how many like it
	// were not logged since the last one.
	LogKeySuppressed = "cache.suppressed"
	// LogKeyInterval is, on a rate-limited warning, the interval over
	// which LogKeySuppressed counts.
	LogKeyInterval = "cache.interval"
)

// KeyHash returns the identifier logs use for a storage key: the first 8
// bytes of its SHA-256, in hex (16 characters). It tells keys apart in
// logs and lets an operator who knows a key find its records, without
// showing the key.
func KeyHash(storageKey string) string {
	sum := sha256.Sum256([]byte(storageKey))
	return hex.EncodeToString(sum[:8])
}
