package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestQuickstart(t *testing.T) {
	for _, k := range []string{"CACHEKIT_API_KEY", "CACHEKIT_REDIS_URL", "REDIS_URL"} {
		t.Setenv(k, "") // the in-process default
	}
	var out bytes.Buffer
	if err := run(context.Background(), &out, 1100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`preset=minimal`,
		`stored as "ns:users:42"`,
		`found=true {ID:42 Name:Ada Lovelace`,
		`delete "42" -> found=false`,
		`"token-123" found=true`,
		`"session" found=false (expired)`,
		`-> 42 (loader calls so far: 1)`,
		"errors.Is(err, core.ErrInvalidInput)=true",
		"hits=4 misses=3 sets=2 loads=1",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Count(out.String(), "loader calls so far: 1") != 3 {
		t.Errorf("the loader ran more than once:\n%s", out.String())
	}
}
