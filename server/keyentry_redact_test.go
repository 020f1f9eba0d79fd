package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go/server"
)

// A KeyEntry (and a KeysFile) never shows its key through fmt, whatever
// the verb (%d used to print the fields), nor through slog's text and JSON
// handlers (the JSON handler used to encode it with encoding/json). The
// encoding/json form is the keys file, key included.
func TestKeyEntryRedactsEveryVerbAndSlog(t *testing.T) {
	const secretPart = "LEAKMARK_0123456789abcdef"
	e := server.KeyEntry{Key: "ck_sdk_" + secretPart, Tenant: "acme", Namespaces: []string{"users"}}
	f := server.KeysFile{Keys: []server.KeyEntry{e}}
	for _, v := range []any{e, &e, f, &f, []server.KeyEntry{e}, map[string]server.KeyEntry{"k": e}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%o", "%t", "%10.3f"} {
			if s := fmt.Sprintf(verb, v); strings.Contains(s, secretPart) {
				t.Errorf("%s of %T shows the key: %s", verb, v, s)
			}
		}
	}
	for _, v := range []any{e, &e, f, &f} {
		for _, h := range []func(*bytes.Buffer) slog.Handler{
			func(w *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(w, nil) },
			func(w *bytes.Buffer) slog.Handler { return slog.NewTextHandler(w, nil) },
		} {
			var buf bytes.Buffer
			slog.New(h(&buf)).Info("keys", "v", v)
			if s := buf.String(); strings.Contains(s, secretPart) || !strings.Contains(s, "acme") {
				t.Errorf("slog of %T = %s; want the tenant and no key", v, s)
			}
		}
	}
	if got := fmt.Sprintf("%v", e); got != "KeyEntry{class: ck_sdk_, tenant: acme}" {
		t.Errorf("%%v = %q", got)
	}
	// The keys-file format keeps the key, and reads back.
	j, err := json.Marshal(f)
	if err != nil || !strings.Contains(string(j), `"key":"ck_sdk_`+secretPart+`"`) {
		t.Fatalf("json.Marshal(KeysFile) = %s, %v; want the keys-file format", j, err)
	}
	var back server.KeysFile
	if err := json.Unmarshal(j, &back); err != nil || len(back.Keys) != 1 || back.Keys[0].Key != e.Key {
		t.Errorf("the keys file does not read back: %+v, %v", back, err)
	}
}
