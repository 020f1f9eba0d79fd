package core_test

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go/core"
)

// secretVerbs are the fmt verbs (and flags) a value may be printed with.
var secretVerbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%p", "%10s", "%-8v", "% x"}

// leaks prints x every way (each fmt verb, encoding/json, slog's text and
// JSON handlers, encoding/gob, an error wrapping it) and returns the first
// printing that holds want, if any.
func leaks(x any, want string) string {
	var outs []string
	for _, v := range secretVerbs {
		outs = append(outs, v+": "+fmt.Sprintf(v, x))
	}
	outs = append(outs, "Sprint: "+fmt.Sprint(x), "Sprintln: "+fmt.Sprintln(x))
	if j, err := json.Marshal(x); err == nil {
		outs = append(outs, "json: "+string(j))
	} else {
		outs = append(outs, "json error: "+err.Error())
	}
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"slog json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var b bytes.Buffer
		slog.New(h(&b)).Info("m", "x", x)
		outs = append(outs, name+": "+b.String())
	}
	var g bytes.Buffer
	if err := gob.NewEncoder(&g).Encode(x); err == nil {
		outs = append(outs, "gob: "+g.String())
	} else {
		outs = append(outs, "gob error: "+err.Error())
	}
	err := fmt.Errorf("wrapped: %v", x)
	outs = append(outs, "error: "+err.Error(), "error %+v: "+fmt.Sprintf("%+v", errors.Join(err)))
	for _, o := range outs {
		if strings.Contains(o, want) || strings.Contains(o, fmt.Sprintf("%x", want)) || strings.Contains(o, fmt.Sprintf("%X", want)) {
			return o
		}
	}
	return ""
}

// Holders of a Secret, in every position fmt's reflection reaches.
type (
	unexportedHolder struct {
		name string
		key  core.Secret
	}
	exportedHolder struct {
		Name string
		Key  core.Secret
	}
	nestedHolder struct {
		inner unexportedHolder
		list  []core.Secret
		byKey map[string]core.Secret
		ptr   *core.Secret
	}
)

func TestSecretNeverPrinted(t *testing.T) {
	const value = "hunter2-secret-value"
	s := core.NewSecret(value)
	for name, x := range map[string]any{
		"Secret":                s,
		"*Secret":               &s,
		"unexported field":      unexportedHolder{"n", s},
		"*unexported field":     &unexportedHolder{"n", s},
		"exported field":        exportedHolder{"n", s},
		"*exported field":       &exportedHolder{"n", s},
		"nested":                nestedHolder{unexportedHolder{"n", s}, []core.Secret{s, s}, map[string]core.Secret{"k": s}, &s},
		"slice":                 []core.Secret{s},
		"map":                   map[core.Secret]int{s: 1},
		"struct in interface":   []any{unexportedHolder{"n", s}},
		"Config":                core.Config{APIKey: s, MasterKey: s, PreviousMasterKeys: []core.Secret{s}},
		"anonymous unexported":  struct{ k core.Secret }{s},
		"anonymous unexported2": struct{ a, b core.Secret }{s, s},
	} {
		if out := leaks(x, value); out != "" {
			t.Errorf("%s leaks the value: %s", name, out)
		}
	}
	if s.Reveal() != value || !s.IsSet() {
		t.Fatalf("Reveal = %q, IsSet %v", s.Reveal(), s.IsSet())
	}
}

// TestSecretUnexportedFieldRegression: fmt prints an unexported struct field
// through reflection without calling its methods; with the value in a string
// field, %v of a struct holding a Secret printed {{hunter2}}.
func TestSecretUnexportedFieldRegression(t *testing.T) {
	h := struct{ k core.Secret }{core.NewSecret("hunter2")}
	for _, v := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(v, h); strings.Contains(out, "hunter2") {
			t.Errorf("%s of a struct holding a Secret: %s", v, out)
		}
	}
}

func TestSecretEncodings(t *testing.T) {
	s := core.NewSecret("v4lue")
	if j, _ := json.Marshal(s); string(j) != `"[REDACTED]"` {
		t.Errorf("json = %s", j)
	}
	if j, _ := json.Marshal(core.Secret{}); string(j) != `""` {
		t.Errorf("json of unset = %s", j)
	}
	err := gob.NewEncoder(new(bytes.Buffer)).Encode(exportedHolder{"n", s})
	if err == nil || strings.Contains(err.Error(), "v4lue") {
		t.Errorf("gob of a Secret: %v, want a refusal", err)
	}
	if _, err := s.GobEncode(); core.KindOf(err) != core.KindInvalidInput {
		t.Errorf("GobEncode: %v", err)
	}
	if got := fmt.Sprintf("%v|%#v", s, s); got != "[REDACTED]|core.Secret([REDACTED])" {
		t.Errorf("fmt = %s", got)
	}
	var zero core.Secret
	if zero.IsSet() || zero.Reveal() != "" || zero.String() != "" || core.NewSecret("") != zero {
		t.Errorf("the zero Secret is not unset")
	}
	if c := s; c != s || core.NewSecret("v4lue") == s {
		t.Errorf("Secret equality is not by identity")
	}
}
