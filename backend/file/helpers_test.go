//go:build linux || darwin || freebsd || netbsd || openbsd

package file

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cachekit-io/cachekit-go/core"
)

// newTest returns a Backend on a new directory, closed at the end of t.
func newTest(t testing.TB, opts ...Option) (*Backend, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cache")
	b, err := New(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b, dir
}

// fixedClock returns a clock stopped at *at, which the test may move.
func fixedClock(at *time.Time) Option {
	return WithClock(func() time.Time { return *at })
}

// readEntry returns the raw bytes of key's file.
func readEntry(t testing.TB, dir, key string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, FileName(key)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeEntry writes raw bytes as key's file.
func writeEntry(t testing.TB, dir, key string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, FileName(key)), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// exists reports whether name exists in dir (without following links).
func exists(t testing.TB, dir, name string) bool {
	t.Helper()
	_, err := os.Lstat(filepath.Join(dir, name))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return err == nil
}

// wantKind fails t unless err is a *core.Error of kind.
func wantKind(t testing.TB, err error, kind core.Kind, what string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %v", what, kind)
		return
	}
	if _, ok := err.(*core.Error); !ok {
		t.Errorf("%s: %T %v, want a *core.Error", what, err, err)
	}
	if got := core.KindOf(err); got != kind {
		t.Errorf("%s: kind %v (%v), want %v", what, got, err, kind)
	}
}

func flockEx(f *os.File) error { return unix.Flock(int(f.Fd()), unix.LOCK_EX) }
func unlock(f *os.File) error  { return unix.Flock(int(f.Fd()), unix.LOCK_UN) }

func hexBytes(s string) ([]byte, error) { return hex.DecodeString(s) }
