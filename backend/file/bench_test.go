//go:build linux || darwin || freebsd || netbsd || openbsd

package file

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var benchSizes = []int{100, 1 << 10, 64 << 10}

// BenchmarkGet reads one entry through the backend ("file") and, as the
// baseline, the same file with os.ReadFile ("readfile"), which neither
// locks, checks the header nor honours expiry.
func BenchmarkGet(b *testing.B) {
	for _, size := range benchSizes {
		be, dir := newTest(b)
		if err := be.Set(b.Context(), "k", make([]byte, size), time.Hour); err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(dir, FileName("k"))
		b.Run(fmt.Sprintf("%d/file", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, found, err := be.Get(b.Context(), "k"); err != nil || !found {
					b.Fatal(found, err)
				}
			}
		})
		b.Run(fmt.Sprintf("%d/readfile", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := os.ReadFile(path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSet writes one entry through the backend ("file": temp file,
// fsync, rename) and, as baselines, with os.WriteFile in place
// ("writefile": neither atomic nor durable) and with the same temp file,
// fsync and rename done through package os ("writefile-atomic").
func BenchmarkSet(b *testing.B) {
	for _, size := range benchSizes {
		be, dir := newTest(b)
		v := make([]byte, size)
		path := filepath.Join(dir, FileName("k"))
		b.Run(fmt.Sprintf("%d/file", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if err := be.Set(b.Context(), "k", v, time.Hour); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%d/writefile", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if err := os.WriteFile(path, v, 0o600); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%d/writefile-atomic", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				f, err := os.CreateTemp(dir, "bench.tmp.*")
				if err == nil {
					_, err = f.Write(v)
				}
				if err == nil {
					err = f.Sync()
				}
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err == nil {
					err = os.Rename(f.Name(), path)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
