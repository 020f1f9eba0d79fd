package crypto

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
)

// sameShape maps every byte of s to another of its class (a hex digit to
// another hex digit, a comma to a comma, anything else to 'g'): the result
// is valid or invalid for the same reasons as s, at the same places.
func sameShape(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c == ',':
		case c >= '0' && c <= '9':
			b[i] = '0' + (c-'0'+7)%10
		case c >= 'a' && c <= 'f':
			b[i] = 'a' + (c-'a'+1)%6
		case c >= 'A' && c <= 'F':
			b[i] = 'A' + (c-'A'+1)%6
		default:
			b[i] = 'g'
		}
	}
	return string(b)
}

// FuzzKeysFromEnv feeds arbitrary CACHEKIT_MASTER_KEY and
// CACHEKIT_PREVIOUS_MASTER_KEYS values to NewFromEnv's reader. A refusal
// is a KindConfig *core.Error whose text does not depend on the keys'
// bytes (the same refusal, word for word, for keys of the same shape made
// of other digits), so no key material reaches an error. What is accepted
// is exactly a 64-hex-digit master key and at most MaxPreviousKeys
// distinct 64-hex-digit previous keys, none equal to the master key; the
// keyring has one fingerprint per key, and no fmt verb prints a key.
func FuzzKeysFromEnv(f *testing.F) {
	k1 := strings.Repeat("0123456789abcdef", 4)
	k2 := strings.Repeat("FEDCBA9876543210", 4)
	f.Add(k1, "", true)
	f.Add(k1, k2, true)
	f.Add(k1, k2+","+k1, true)
	f.Add(k1, k2+",", true)
	f.Add(k1, k2+","+strings.ToLower(k2), true)
	f.Add(" "+k1[1:], "", true)
	f.Add("0x"+k1[2:], "", true)
	f.Add("", k2, false)
	f.Add(k1[:63]+"g", k2+","+k2[:62], true)
	f.Fuzz(func(t *testing.T, master, prev string, prevSet bool) {
		open := func(master, prev string) (*Encryptor, error) {
			env := map[string]string{EnvMasterKey: master}
			if prevSet {
				env[EnvPreviousMasterKeys] = prev
			}
			return newFromLookup(func(n string) (string, bool) { v, ok := env[n]; return v, ok }, nil)
		}
		e, err := open(master, prev)
		e2, err2 := open(sameShape(master), sameShape(prev))

		// The oracle: what the documented rules accept.
		want := true
		keys := [][]byte{}
		parts := []string{master}
		if prevSet && prev != "" {
			parts = append(parts, strings.Split(prev, ",")...)
		}
		for _, p := range parts {
			k, err := hex.DecodeString(p)
			if err != nil || len(k) != KeySize {
				want = false
				break
			}
			for _, seen := range keys {
				if bytes.Equal(seen, k) {
					want = false
				}
			}
			keys = append(keys, k)
		}
		if len(parts) > 1+MaxPreviousKeys {
			want = false
		}
		if (err == nil) != want {
			t.Fatalf("accepted = %v, the rules say %v (error %v)", err == nil, want, err)
		}

		if err != nil {
			if core.KindOf(err) != core.KindConfig {
				t.Fatalf("refusal of kind %v: %v", core.KindOf(err), err)
			}
			if err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("the refusal depends on the key bytes: %q / %v", err, err2)
			}
			return
		}
		defer e.Close()
		if len(e.Fingerprints()) != len(parts) {
			t.Fatalf("%d fingerprints for %d keys", len(e.Fingerprints()), len(parts))
		}
		if err2 != nil {
			t.Fatalf("keys of the same shape are refused: %v", err2)
		}
		e2.Close()
		text := strings.ToLower(fmt.Sprintf("%v|%+v|%#v|%s|%q|%x", e, e, e, e, e, e))
		for _, p := range parts {
			if strings.Contains(text, strings.ToLower(p)) {
				t.Fatalf("a key shows in the Encryptor's text: %s", text)
			}
		}
	})
}
