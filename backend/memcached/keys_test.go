package memcached

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

func TestStorageKey(t *testing.T) {
	long := "ns:app:" + strings.Repeat("x", 300)
	for _, tc := range []struct{ name, key, want string }{
		{"plain", "ns:app:user:42", "ns:app:user:42"},
		{"unicode", "ünïcødé-键", "ünïcødé-键"},
		{"250 bytes", strings.Repeat("k", 250), strings.Repeat("k", 250)},
		// Expected values computed with Python's hashlib.blake2b
		// (digest_size=32), as cache-key-format.md states the rule.
		{"over 250", long, "ns:app:" + strings.Repeat("x", 43) + ":2160bad379cd67d2bc2a481595c5d8de"},
		{"space", "a key with spaces", "a_key_with_spaces:837a77f0a7be90192abd361923a0052e"},
		{"unicode and CRLF", strings.Repeat("café 键\r\n", 40),
			"café_键__café_键__café_键__café_键__café_键__café_键__ca:01ff7e6e6666cb4cfd41610a323fb9c0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := storageKey(tc.key)
			if got != tc.want {
				t.Errorf("storageKey(%q) = %q, want %q", tc.key, got, tc.want)
			}
			if !legalKey(got) {
				t.Errorf("storageKey(%q) = %q is not a legal memcached key", tc.key, got)
			}
		})
	}
}

// No key, whatever its bytes, reaches memcached with a byte that would
// end or split the command line (CWE-93), nor over 250 bytes.
func FuzzStorageKey(f *testing.F) {
	for _, s := range []string{"k", "a b", "x\r\nflush_all\r\n", strings.Repeat("é", 200), "\x00\x7f\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if key == "" {
			return
		}
		sk := storageKey(key)
		if !legalKey(sk) {
			t.Fatalf("storageKey(%q) = %q: not legal", key, sk)
		}
		if legalKey(key) && sk != key {
			t.Fatalf("storageKey(%q) = %q: a legal key must stay as it is", key, sk)
		}
	})
}

func TestExpiration(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		ttl  time.Duration
		want int32
	}{
		{0, 0},                           // core.NoExpiry
		{time.Nanosecond, 1},             // rounded up to a second
		{1500 * time.Millisecond, 2},     // rounded up
		{time.Minute, 60},                // relative
		{30 * 24 * time.Hour, 2_592_000}, // the longest relative time
		{30*24*time.Hour + time.Second, 1_802_592_001}, // absolute beyond 30 days
		{30*24*time.Hour + time.Millisecond, 1_802_592_001},
		{365 * 24 * time.Hour, 1_800_000_000 + 31_536_000},
	} {
		got, err := expiration("op", "k", tc.ttl, now)
		if err != nil || got != tc.want {
			t.Errorf("expiration(%v) = %d, %v; want %d", tc.ttl, got, err, tc.want)
		}
	}
	for _, ttl := range []time.Duration{-time.Nanosecond, -time.Hour, 100 * 365 * 24 * time.Hour, time.Duration(math.MaxInt64)} {
		if _, err := expiration("op", "k", ttl, now); core.KindOf(err) != core.KindInvalidInput {
			t.Errorf("expiration(%v): %v, want KindInvalidInput", ttl, err)
		}
	}
}
