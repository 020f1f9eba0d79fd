package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// testdata/path-encoding.json is the protocol's file, unchanged.
func TestPathVectorChecksum(t *testing.T) {
	b, err := os.ReadFile("testdata/path-encoding.json")
	if err != nil {
		t.Fatal(err)
	}
	const want = "52b3ca2c102b5065162bfe05e485b458237cdd8948be1d7acd1c86f026a90c31"
	if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != want {
		t.Fatalf("sha256 %x, want %s", got, want)
	}
}

// Every path vector against the server: each wire form (encoded and its
// alternates, upper- and lowercase hex) decodes once to the vector's key,
// which is stored when the key rules accept it and is otherwise 400; the
// reserved keys' raw forms never reach an entry (rule 2/3, API-16/17).
func TestPathVectorsServerSide(t *testing.T) {
	b, err := os.ReadFile("testdata/path-encoding.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Vectors []struct {
			Key        string   `json:"key"`
			Encoded    *string  `json:"encoded"`
			Reject     bool     `json:"reject"`
			Alternates []string `json:"encoded_alternates"`
		} `json:"vectors"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	valid := regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,400}$`)
	lowerHex := regexp.MustCompile(`%[0-9A-F]{2}`)
	for _, v := range f.Vectors {
		if v.Reject {
			// The raw form (and its %2E spellings) addresses no entry.
			forms := []string{v.Key, strings.ReplaceAll(v.Key, ".", "%2E"), strings.ReplaceAll(v.Key, ".", "%2e")}
			for _, form := range forms {
				r := e.do(req{method: "PUT", path: "/v1/cache/" + form, key: liveA, body: []byte("x")})
				if r.status == 200 {
					t.Errorf("reserved key %q (wire %q) was stored", v.Key, form)
				}
			}
			continue
		}
		storable := valid.MatchString(v.Key) && !strings.Contains(v.Key, "..") &&
			!(strings.HasPrefix(v.Key, "ns:") && strings.Count(v.Key, ":") < 2)
		forms := append([]string{*v.Encoded}, v.Alternates...)
		forms = append(forms, lowerHex.ReplaceAllStringFunc(*v.Encoded, strings.ToLower))
		for _, form := range forms {
			want := 400
			if storable {
				want = 200
			}
			e.mustStatus(req{method: "PUT", path: "/v1/cache/" + form, key: liveA, body: []byte(v.Key)}, want)
			if storable {
				// Stored under the decoded key: readable through every form.
				if r := e.mustStatus(req{method: "GET", path: "/v1/cache/" + *v.Encoded, key: liveA}, 200); string(r.body) != v.Key {
					t.Errorf("%q: read %q", v.Key, r.body)
				}
			}
		}
	}
}
