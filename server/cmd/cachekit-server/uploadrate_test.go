package main

import (
	"strings"
	"testing"

	"github.com/cachekit-io/cachekit-go/server"
)

// -upload-rate-mb: its default, its environment fallback, 0 for no limit,
// and a clear error for a value that is not a rate.
func TestUploadRateFlag(t *testing.T) {
	none := func(string) string { return "" }
	c, err := parseConfig(nil, none)
	if err != nil || c.uploadRateMB != server.DefaultUploadBytesPerSecond>>20 || uploadRate(c) != server.DefaultUploadBytesPerSecond {
		t.Fatalf("default: %d MiB/s (%d B/s), %v", c.uploadRateMB, uploadRate(c), err)
	}
	c, err = parseConfig(nil, func(k string) string {
		if k == "CACHEKIT_SERVER_UPLOAD_RATE_MB" {
			return "8"
		}
		return ""
	})
	if err != nil || uploadRate(c) != 8<<20 {
		t.Fatalf("from the environment: %d B/s, %v", uploadRate(c), err)
	}
	if c, err = parseConfig([]string{"-upload-rate-mb", "0"}, none); err != nil || uploadRate(c) >= 0 {
		t.Fatalf("-upload-rate-mb 0: %d B/s (want negative: no limit), %v", uploadRate(c), err)
	}
	for _, args := range [][]string{{"-upload-rate-mb", "-1"}, {"-upload-rate-mb", "9223372036854775807"}, {"-upload-rate-mb", "fast"}} {
		if _, err := parseConfig(args, none); err == nil || !strings.Contains(err.Error(), "upload-rate-mb") {
			t.Errorf("%v: %v, want an error naming the flag", args, err)
		}
	}
	if _, err := parseConfig(nil, func(k string) string {
		if k == "CACHEKIT_SERVER_UPLOAD_RATE_MB" {
			return "lots"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), "CACHEKIT_SERVER_UPLOAD_RATE_MB") {
		t.Errorf("a non-numeric CACHEKIT_SERVER_UPLOAD_RATE_MB: %v", err)
	}
}
