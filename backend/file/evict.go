//go:build linux || darwin || freebsd || netbsd || openbsd

package file

import (
	"cmp"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Eviction thresholds, the same as cachekit-py's: a write that takes the
// directory above 90 % of a bound evicts the oldest entries until it is at
// 70 % of every bound.
const (
	evictTrigger = 0.9
	evictTarget  = 0.7
)

// rescanEvery is how many writes of this process pass between scans of the
// directory, which catch what other processes wrote.
const rescanEvery = 256

// over reports whether entries and size exceed frac of a bound.
func (b *Backend) over(entries, size int64, frac float64) bool {
	return (b.cfg.maxEntries > 0 && float64(entries) > frac*float64(b.cfg.maxEntries)) ||
		(b.cfg.maxBytes > 0 && float64(size) > frac*float64(b.cfg.maxBytes))
}

// afterWrite runs after every write: it rescans the directory from time to
// time and evicts when the estimate says a bound's trigger is passed.
func (b *Backend) afterWrite(dirfd int) {
	n := b.writes.Add(1)
	if !b.over(b.entries.Load(), b.size.Load(), evictTrigger) && n%rescanEvery != 0 {
		return
	}
	if !b.evicting.TryLock() {
		return // another goroutine is scanning
	}
	defer b.evicting.Unlock()
	b.scanAt(dirfd, true)
}

// scan lists the directory (see scanAt); it takes the descriptor itself.
func (b *Backend) scan(evict bool) {
	dirfd, err := b.acquire("file.scan", "")
	if err != nil {
		return
	}
	defer b.release()
	b.evicting.Lock()
	defer b.evicting.Unlock()
	b.scanAt(dirfd, evict)
}

// file is one entry file found by a scan.
type file struct {
	name  string
	size  int64
	mtime int64 // Unix nanoseconds
	dev   uint64
	ino   uint64
}

// scanAt lists the entry files (names FileName can return, regular files:
// nothing else is counted or ever evicted), resets the estimate to what it
// found and, when evict is set and a bound's trigger is passed, removes the
// least recently written entries until every bound is at its target.
// Errors are ignored: eviction is best effort.
func (b *Backend) scanAt(dirfd int, evict bool) {
	files, ok := listEntries(dirfd)
	if !ok {
		return
	}
	var size int64
	for _, f := range files {
		size += f.size
	}
	entries := int64(len(files))
	b.entries.Store(entries)
	b.size.Store(size)
	if !evict || !b.over(entries, size, evictTrigger) {
		return
	}
	slices.SortFunc(files, func(x, y file) int {
		if x.mtime != y.mtime {
			return cmp.Compare(x.mtime, y.mtime)
		}
		return strings.Compare(x.name, y.name)
	})
	for _, f := range files {
		if !b.over(entries, size, evictTarget) {
			break
		}
		var cur unix.Stat_t
		// Only the file the scan saw: one renamed into place since is newer.
		if unix.Fstatat(dirfd, f.name, &cur, unix.AT_SYMLINK_NOFOLLOW) != nil ||
			uint64(cur.Dev) != f.dev || uint64(cur.Ino) != f.ino {
			continue
		}
		if unix.Unlinkat(dirfd, f.name, 0) != nil {
			continue
		}
		b.evictions.Add(1)
		entries--
		size -= f.size
		b.entries.Add(-1)
		b.size.Add(-f.size)
	}
}

// listEntries returns the regular files of the directory whose names are
// entry names.
func listEntries(dirfd int) ([]file, bool) {
	names, ok := readNames(dirfd)
	if !ok {
		return nil, false
	}
	files := make([]file, 0, len(names))
	for _, name := range names {
		if !isEntryName(name) {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || uint32(st.Mode)&unix.S_IFMT != unix.S_IFREG {
			continue
		}
		files = append(files, file{name: name, size: st.Size, mtime: st.Mtim.Nano(), dev: uint64(st.Dev), ino: uint64(st.Ino)})
	}
	return files, true
}

// readNames lists the names in the directory through a descriptor of its
// own (so that its read offset is private).
func readNames(dirfd int) ([]string, bool) {
	fd, err := unix.Openat(dirfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	f := os.NewFile(uintptr(fd), ".")
	defer f.Close()
	names, err := f.Readdirnames(-1)
	return names, err == nil
}

// removeStaleTemps removes temporary files ("<entry name>.tmp.…", regular
// files only) older than tempMaxAge: writers that died before their rename
// left them.
func (b *Backend) removeStaleTemps() {
	dirfd, err := b.acquire("file.new", "")
	if err != nil {
		return
	}
	defer b.release()
	names, ok := readNames(dirfd)
	if !ok {
		return
	}
	cutoff := time.Now().Add(-tempMaxAge).UnixNano()
	for _, name := range names {
		base, _, isTemp := strings.Cut(name, ".tmp.")
		if !isTemp || !isEntryName(base) {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || uint32(st.Mode)&unix.S_IFMT != unix.S_IFREG {
			continue
		}
		if st.Mtim.Nano() < cutoff {
			_ = unix.Unlinkat(dirfd, name, 0)
		}
	}
}
