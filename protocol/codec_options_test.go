package protocol

import (
	"strings"
	"testing"
)

// TestInteropV2NilOption: InteropV2 skips nil options, as core.New does;
// it used to panic.
func TestInteropV2NilOption(t *testing.T) {
	for name, tc := range map[string]struct {
		opts     []V2Option
		compress bool
	}{
		"nil":                  {[]V2Option{nil}, true},
		"nil, V2Uncompressed":  {[]V2Option{nil, V2Uncompressed(), nil}, false},
		"V2Uncompressed alone": {[]V2Option{V2Uncompressed()}, false},
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("InteropV2(%s): panic %v", name, r)
				}
			}()
			c := InteropV2(tc.opts...)
			if got := c.(v2Codec).compress; got != tc.compress {
				t.Errorf("InteropV2(%s): compress = %v, want %v", name, got, tc.compress)
			}
			in := strings.Repeat("abc", 100)
			b, err := c.Marshal(in)
			if err != nil {
				t.Fatalf("InteropV2(%s): Marshal: %v", name, err)
			}
			var out string
			if err := c.Unmarshal(b, &out); err != nil || out != in {
				t.Errorf("InteropV2(%s): round trip = %q, %v", name, out, err)
			}
		}()
	}
}
