//go:build linux || darwin || freebsd || netbsd || openbsd

package file

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// listDir returns the names in dir, sorted.
func listDir(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// TestHostileKeysStayInsideTheDirectory stores keys that would escape or
// break a naive path mapping: every one round-trips, and the only files
// created anywhere are entry files in the directory.
func TestHostileKeysStayInsideTheDirectory(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "cache")
	b, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	keys := []string{
		"../escape", "../../../../../../tmp/escape", "/etc/passwd", "a/b/c", ".", "..", "",
		"a\x00b", "\x00", "nul\x00/../x", "back\\..\\slash", "~", "$HOME", "name.tmp.1.2",
		strings.Repeat("k", 1<<20), "\xff\xfe invalid utf-8", "..\u2215..\u2215x", "con", "aux.txt",
	}
	ctx := t.Context()
	for i, k := range keys {
		if err := b.Set(ctx, k, []byte{byte(i)}, time.Hour); err != nil {
			t.Fatalf("Set(%.40q): %v", k, err)
		}
	}
	for i, k := range keys {
		e, found, err := b.Get(ctx, k)
		if err != nil || !found || !bytes.Equal(e.Value, []byte{byte(i)}) {
			t.Errorf("Get(%.40q) = %v, %v, %v", k, e.Value, found, err)
		}
	}
	if got := listDir(t, root); !slices.Equal(got, []string{"cache"}) {
		t.Errorf("files next to the directory: %q", got)
	}
	names := listDir(t, dir)
	if len(names) != len(keys) {
		t.Errorf("%d files for %d keys: %q", len(names), len(keys), names)
	}
	for _, n := range names {
		if !isEntryName(n) {
			t.Errorf("file %q is not an entry name", n)
		}
	}
}

// TestPlantedSymlinkIsNeverFollowed plants, under a key's file name, a link
// to a file outside the directory that holds a valid entry: no operation
// reads, writes or deletes the target.
func TestPlantedSymlinkIsNeverFollowed(t *testing.T) {
	b, dir := newTest(t)
	ctx := t.Context()
	outside := filepath.Join(t.TempDir(), "victim")
	victim := append(appendHeader(nil, 0), "do not read me"...)
	if err := os.WriteFile(outside, victim, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, FileName("k"))
	plant := func() {
		t.Helper()
		_ = os.Remove(link)
		if err := os.Symlink(outside, link); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string) {
		t.Helper()
		if got, err := os.ReadFile(outside); err != nil || !bytes.Equal(got, victim) {
			t.Fatalf("%s: the link's target changed: %q, %v", what, got, err)
		}
	}
	plant()
	if e, found, err := b.Get(ctx, "k"); err != nil || found {
		t.Errorf("Get through a planted link = %q, %v, %v; want a miss", e.Value, found, err)
	}
	check("Get")
	if exists(t, dir, FileName("k")) {
		t.Errorf("Get left the planted link in place")
	}
	if b.Healed() != 1 {
		t.Errorf("Healed() = %d, want 1", b.Healed())
	}
	for name, op := range map[string]func() (bool, error){
		"Exists": func() (bool, error) { return b.Exists(ctx, "k") },
		"TTL":    func() (bool, error) { _, f, err := b.TTL(ctx, "k"); return f, err },
		"Expire": func() (bool, error) { return b.Expire(ctx, "k", time.Hour) },
	} {
		plant()
		if found, err := op(); err != nil || found {
			t.Errorf("%s through a planted link = %v, %v", name, found, err)
		}
		check(name)
	}
	plant()
	if err := b.Set(ctx, "k", []byte("mine"), time.Hour); err != nil {
		t.Fatal(err)
	}
	check("Set")
	if fi, err := os.Lstat(link); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("Set did not replace the link with a regular file: %v, %v", fi, err)
	}
	plant()
	if err := b.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	check("Delete")
	if exists(t, dir, FileName("k")) {
		t.Errorf("Delete left the link")
	}
}

// TestPlantedFIFODoesNotBlock: a FIFO under an entry's name would block a
// plain open for reading forever.
func TestPlantedFIFODoesNotBlock(t *testing.T) {
	b, dir := newTest(t)
	if err := syscall.Mkfifo(filepath.Join(dir, FileName("k")), 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, found, err := b.Get(t.Context(), "k"); err != nil || found {
			t.Errorf("Get of a FIFO = %v, %v", found, err)
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Get blocked on a FIFO")
	}
	if exists(t, dir, FileName("k")) || b.Healed() != 1 {
		t.Errorf("the FIFO was not removed as corrupt (Healed %d)", b.Healed())
	}
}

// TestDirectoryRenamedAway: the backend keeps working in the directory it
// opened, and never follows a link put in place of the old path.
func TestDirectoryRenamedAway(t *testing.T) {
	b, dir := newTest(t)
	ctx := t.Context()
	moved := dir + ".moved"
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, dir); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, "k", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if names := listDir(t, elsewhere); len(names) != 0 {
		t.Errorf("the write went through the new link: %q", names)
	}
	if !exists(t, moved, FileName("k")) {
		t.Errorf("the write did not land in the directory the backend opened")
	}
}

func TestDirectoryCreated0700(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "a", "b", "cache")
	b, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	fi, err := os.Lstat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("mode %v, want 0700", fi.Mode().Perm())
	}
	if err := b.Set(t.Context(), "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, FileName("k"))); fi.Mode().Perm() != 0o600 {
		t.Errorf("entry mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestUnsafeDirectoriesRefused(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "real")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	_, err := New(link)
	wantKind(t, err, core.KindConfig, "New(a symbolic link)")

	open := filepath.Join(root, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o777, 0o770, 0o702} {
		if err := os.Chmod(open, mode); err != nil {
			t.Fatal(err)
		}
		_, err := New(open)
		wantKind(t, err, core.KindConfig, "New(mode "+mode.String()+")")
	}
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := New(open)
	if err != nil {
		t.Errorf("New(mode 0755): %v", err)
	} else {
		b.Close()
	}

	notDir := filepath.Join(root, "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = New(notDir)
	wantKind(t, err, core.KindConfig, "New(a regular file)")
	_, err = New("")
	wantKind(t, err, core.KindConfig, "New(\"\")")
}

// TestPlantedDirectoryAndSocket: a directory under an entry's name is a
// miss that is left alone (never removed recursively); a socket is a miss
// removed as corrupt.
func TestPlantedDirectoryAndSocket(t *testing.T) {
	b, dir := newTest(t)
	ctx := t.Context()
	if err := os.Mkdir(filepath.Join(dir, FileName("d")), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName("d"), "inside"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, found, err := b.Get(ctx, "d"); err != nil || found {
		t.Errorf("Get of a directory = %v, %v", found, err)
	}
	if ok, err := b.Expire(ctx, "d", time.Hour); err != nil || ok {
		t.Errorf("Expire of a directory = %v, %v", ok, err)
	}
	if !exists(t, filepath.Join(dir, FileName("d")), "inside") {
		t.Errorf("the directory's contents were removed")
	}
	sock := filepath.Join(dir, FileName("s"))
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatalf("unix socket: %v", err)
	}
	defer l.Close()
	for _, op := range []func() (bool, error){
		func() (bool, error) { _, f, err := b.Get(ctx, "s"); return f, err },
		func() (bool, error) { return b.Expire(ctx, "s", time.Hour) },
	} {
		if found, err := op(); err != nil || found {
			t.Errorf("an operation on a socket = %v, %v", found, err)
		}
	}
	if exists(t, dir, FileName("s")) || b.Healed() != 1 {
		t.Errorf("the socket was not removed as corrupt (Healed %d)", b.Healed())
	}
}

func TestDeleteMany(t *testing.T) {
	b, dir := newTest(t)
	ctx := t.Context()
	for _, k := range []string{"a", "b", "c"} {
		if err := b.Set(ctx, k, []byte(k), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.DeleteMany(ctx, []string{"a", "c", "never-stored"}); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{FileName("b")}) {
		t.Errorf("left %q, want only b's file", got)
	}
	if st := b.Stats()[0]; st.Entries != 1 || st.SizeBytes != HeaderSize+1 {
		t.Errorf("stats %+v after DeleteMany", st)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	wantKind(t, b.DeleteMany(cctx, []string{"b"}), core.KindCanceled, "DeleteMany(canceled)")
	if !exists(t, dir, FileName("b")) {
		t.Errorf("a canceled DeleteMany deleted")
	}
}

// TestDirectoryOfAnotherUserRefused: a directory another user owns (for
// example a /tmp/cachekit created first by someone else) is refused. Needs
// root to give the directory away.
func TestDirectoryOfAnotherUserRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown a directory to another user")
	}
	dir := filepath.Join(t.TempDir(), "theirs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	_, err := New(dir)
	wantKind(t, err, core.KindConfig, "New(a directory of uid 65534)")
}
