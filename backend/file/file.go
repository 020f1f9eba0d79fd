//go:build linux || darwin || freebsd || netbsd || openbsd

package file

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cachekit-io/cachekit-go/core"
)

// tempMaxAge is the age after which New removes a temporary file left
// behind by a writer that died before its rename (cachekit-py uses the
// same age and the same "<name>.tmp.<pid>.<n>" pattern).
const tempMaxAge = 60 * time.Second

// Backend is a core.Backend that keeps each entry in its own file of one
// flat directory, in the format every CacheKit SDK shares. Create it with
// New; it is safe for concurrent use, also by several processes (and SDKs)
// on the same directory. The zero Backend is closed: its operations fail.
type Backend struct {
	dir string // as given, for messages
	cfg config

	// mu guards dirfd: operations hold it for reading while they use the
	// descriptor, Close for writing, so a descriptor number is never used
	// after it was closed (and possibly reused).
	mu     sync.RWMutex
	dirfd  int
	closed bool

	hits, misses, errs, evictions, heals atomic.Uint64

	// entries and size estimate the directory's contents: set by a scan,
	// moved by this process's own writes and deletes between scans.
	entries, size atomic.Int64
	writes        atomic.Uint64 // writes since New, to pace rescans
	evicting      sync.Mutex    // one scan at a time
	tmpSeq        atomic.Int64  // last temporary-file number handed out
}

// Compile-time checks of the capabilities.
var (
	_ core.Backend       = (*Backend)(nil)
	_ core.TTLInspector  = (*Backend)(nil)
	_ core.TTLRefresher  = (*Backend)(nil)
	_ core.BatchDeleter  = (*Backend)(nil)
	_ core.StatsReporter = (*Backend)(nil)
)

// New opens (creating it, mode 0700, if needed) the cache directory dir and
// returns a Backend on it. The directory must not be a symbolic link, must
// belong to the effective user and must not be writable by group or others:
// otherwise another user could plant files or links in it. Every violation,
// like an invalid option, is a *core.Error of KindConfig. Temporary files
// older than a minute, left by writers that died, are removed.
func New(dir string, opts ...Option) (*Backend, error) {
	const op = "file.new"
	cfg, err := build(opts)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, core.NewError(core.KindConfig, op, "the cache directory is empty", nil)
	}
	dirfd, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	b := &Backend{dir: dir, cfg: cfg, dirfd: dirfd}
	b.removeStaleTemps()
	b.scan(false)
	return b, nil
}

// NewFromConfig is New on the directory of c.FileCacheDir
// (CACHEKIT_FILE_CACHE_DIR, read by core.ConfigFromLookup) or, when that is
// empty, on "cachekit" in os.TempDir(), cachekit-py's default.
func NewFromConfig(c core.Config, opts ...Option) (*Backend, error) {
	dir := c.FileCacheDir
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "cachekit")
	}
	return New(dir, opts...)
}

// openDir creates dir if needed and opens it, refusing what another user
// could control.
func openDir(dir string) (int, error) {
	const op = "file.new"
	bad := func(msg string, err error) (int, error) {
		return -1, core.NewError(core.KindConfig, op, "cache directory "+strconv.Quote(dir)+": "+msg, err)
	}
	created := false
	if err := os.Mkdir(dir, 0o700); err == nil {
		created = true
	} else if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
			return bad("cannot create its parent", err)
		}
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return bad("cannot create it", err)
		}
		created = true
	} else if !errors.Is(err, os.ErrExist) {
		return bad("cannot create it", err)
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	switch {
	case errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EMLINK):
		return bad("is a symbolic link (pass the directory it points to)", nil)
	case errors.Is(err, unix.ENOTDIR):
		return bad("is not a directory", nil)
	case err != nil:
		return bad("cannot open it", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return bad("cannot stat it", err)
	}
	if int(st.Uid) != os.Geteuid() {
		unix.Close(fd)
		return bad("belongs to another user", nil)
	}
	if created {
		// The umask may have cleared bits of 0700, never added any; make
		// sure the owner has all three.
		if err := unix.Fchmod(fd, 0o700); err != nil {
			unix.Close(fd)
			return bad("cannot set its mode", err)
		}
	} else if uint32(st.Mode)&0o022 != 0 {
		unix.Close(fd)
		return bad("is writable by group or others (chmod 700 it)", nil)
	}
	return fd, nil
}

// errClosed is the cause of calls made after Close.
var errClosed = errors.New("backend is closed")

// acquire returns the directory descriptor, held until release.
func (b *Backend) acquire(op, key string) (int, error) {
	b.mu.RLock()
	if b.closed || b.cfg.clock == nil {
		b.mu.RUnlock()
		return -1, &core.Error{Kind: core.KindPermanent, Op: op, Key: key, Err: errClosed}
	}
	return b.dirfd, nil
}

func (b *Backend) release() { b.mu.RUnlock() }

// begin checks ctx and takes the directory descriptor for op.
func (b *Backend) begin(ctx context.Context, op, key string) (int, error) {
	if err := ctx.Err(); err != nil {
		return -1, &core.Error{Kind: core.ContextKind(err), Op: op, Key: key, Err: err}
	}
	return b.acquire(op, key)
}

// fail counts err and returns it as a *core.Error of op.
func (b *Backend) fail(op, key string, err error) error {
	b.errs.Add(1)
	var ce *core.Error
	if errors.As(err, &ce) {
		return err
	}
	return &core.Error{Kind: kindOf(err), Op: op, Key: key, Err: err}
}

// kindOf classifies an error of a file system call.
func kindOf(err error) core.Kind {
	if k := core.ContextKind(err); k != core.KindUnknown {
		return k
	}
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return core.KindUnknown
	}
	switch errno {
	case unix.EACCES, unix.EPERM, unix.EROFS, unix.EISDIR, unix.ENOTDIR, unix.EFBIG, unix.ENAMETOOLONG:
		return core.KindPermanent
	default: // ENOSPC, EDQUOT, EIO, EMFILE, EINTR, EAGAIN, …: may pass
		return core.KindTransient
	}
}

// now returns the backend's wall clock.
func (b *Backend) now() time.Time { return b.cfg.clock() }

// expiryFor returns the header expiry of an entry written now with ttl: the
// whole Unix second of the deadline, 0 for core.NoExpiry. A deadline that
// falls before 1970-01-01T00:00:01 (only with a test clock) is stored as 1
// second, already expired.
func (b *Backend) expiryFor(ttl time.Duration) uint64 {
	if ttl == core.NoExpiry {
		return 0
	}
	s := b.now().Add(ttl).Unix() // Add saturates; Unix floors
	if s < 1 {
		return 1
	}
	return uint64(s)
}

// remaining returns the time left until expiry (nonzero), at least 1ns.
func (b *Backend) remaining(expiry uint64) time.Duration {
	if expiry > uint64(1<<62) {
		return time.Duration(1<<63 - 1)
	}
	d := time.Unix(int64(expiry), 0).Sub(b.now())
	return max(d, 1)
}

// entry is what read found under a name.
type entry struct {
	hdr   header
	value []byte
}

// read loads the entry under name: with its payload when payload is true,
// the header alone otherwise. found is false for a missing, corrupt,
// unsupported (future flags), oversized or expired entry; a corrupt one is
// removed and counted (Healed), an expired one removed lazily, an
// unsupported or oversized one left alone.
func (b *Backend) read(ctx context.Context, dirfd int, op, key, name string, payload bool) (entry, bool, error) {
	fd, ok, err := b.openEntry(dirfd, name, unix.O_RDONLY)
	if !ok || err != nil {
		if err != nil {
			err = b.fail(op, key, err)
		}
		return entry{}, false, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return entry{}, false, b.fail(op, key, err)
	}
	if uint32(st.Mode)&unix.S_IFMT != unix.S_IFREG {
		b.heal(dirfd, name, &st)
		return entry{}, false, nil
	}
	if st.Size > HeaderSize+b.cfg.maxValueBytes {
		return entry{}, false, nil // not ours to read, nor to delete
	}
	if err := b.lock(ctx, fd, unix.LOCK_SH); err != nil {
		return entry{}, false, b.fail(op, key, err)
	}
	n := int(max(st.Size, HeaderSize))
	if !payload {
		n = HeaderSize
	}
	buf := make([]byte, n)
	// One read holds the whole header (FILE-6): a concurrent Expire's
	// positioned write is never seen half done.
	got, err := pread(fd, buf, 0)
	for err == nil && got < len(buf) && got >= HeaderSize {
		var m int
		if m, err = pread(fd, buf[got:], int64(got)); m == 0 {
			break
		}
		got += m
	}
	_ = unix.Flock(fd, unix.LOCK_UN)
	if err != nil {
		return entry{}, false, b.fail(op, key, err)
	}
	h, status := parseHeader(buf[:got])
	if status == headerCorrupt || (payload && int64(got) != st.Size) {
		b.heal(dirfd, name, &st)
		return entry{}, false, nil
	}
	if status == headerUnsupported {
		return entry{}, false, nil // FILE-2, FILE-3: a miss, left untouched
	}
	if expired(h.expiry, b.now().Unix()) {
		b.removeIfSame(dirfd, name, &st)
		return entry{}, false, nil
	}
	return entry{hdr: h, value: buf[HeaderSize:got]}, true, nil
}

// openEntry opens the entry file name with mode (O_RDONLY or O_RDWR),
// never following a symbolic link and never blocking on a FIFO. ok is
// false, with no error, when there is no entry to open: nothing by that
// name, a directory, or a symbolic link or socket, which it removes as
// corrupt. (Platforms report a refused link differently — ELOOP, EMLINK,
// EFTYPE — so the name is looked at, not the error.)
func (b *Backend) openEntry(dirfd int, name string, mode int) (fd int, ok bool, err error) {
	fd, err = unix.Openat(dirfd, name, mode|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err == nil {
		return fd, true, nil
	}
	if errors.Is(err, unix.ENOENT) {
		return -1, false, nil
	}
	var st unix.Stat_t
	if unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
		switch uint32(st.Mode) & unix.S_IFMT {
		case unix.S_IFLNK, unix.S_IFSOCK:
			b.heal(dirfd, name, &st)
			return -1, false, nil
		case unix.S_IFDIR:
			return -1, false, nil
		}
	}
	return -1, false, err
}

// pread is unix.Pread; a variable so that a test can watch the reads that
// load a header (FILE-6).
var pread = unix.Pread

// lock takes an flock of how on fd, polling so that ctx and the lock
// timeout can end the wait.
func (b *Backend) lock(ctx context.Context, fd, how int) error {
	deadline := time.Now().Add(b.cfg.lockTimeout)
	wait := 50 * time.Microsecond
	for {
		err := unix.Flock(fd, how|unix.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return core.NewError(core.KindTimeout, "file.lock", "entry lock not acquired within "+b.cfg.lockTimeout.String(), nil)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 5*time.Millisecond)
	}
}

// heal removes a corrupt entry, st as its descriptor or name last showed
// it, and counts it.
func (b *Backend) heal(dirfd int, name string, st *unix.Stat_t) {
	if b.removeIfSame(dirfd, name, st) {
		b.heals.Add(1)
	}
}

// removeIfSame unlinks name if it still is the file st describes, so that a
// value renamed into place since is never removed in its stead; it never
// removes a directory. It reports whether it removed the file.
func (b *Backend) removeIfSame(dirfd int, name string, st *unix.Stat_t) bool {
	var cur unix.Stat_t
	if unix.Fstatat(dirfd, name, &cur, unix.AT_SYMLINK_NOFOLLOW) != nil ||
		cur.Dev != st.Dev || cur.Ino != st.Ino || uint32(cur.Mode)&unix.S_IFMT == unix.S_IFDIR {
		return false
	}
	if unix.Unlinkat(dirfd, name, 0) != nil {
		return false
	}
	if uint32(cur.Mode)&unix.S_IFMT == unix.S_IFREG {
		b.entries.Add(-1)
		b.size.Add(-cur.Size)
	}
	return true
}

// Get returns the payload stored under key and its remaining lifetime. A
// missing, expired, corrupt or unsupported entry is a miss.
func (b *Backend) Get(ctx context.Context, key string) (core.Entry, bool, error) {
	const op = "file.get"
	dirfd, err := b.begin(ctx, op, key)
	if err != nil {
		return core.Entry{}, false, err
	}
	defer b.release()
	e, found, err := b.read(ctx, dirfd, op, key, FileName(key), true)
	if err != nil || !found {
		if err == nil {
			b.misses.Add(1)
		}
		return core.Entry{}, false, err
	}
	b.hits.Add(1)
	f := core.ForeverFresh()
	if e.hdr.expiry != 0 {
		f = core.FreshFor(b.remaining(e.hdr.expiry))
	}
	return core.Entry{Value: e.value, Freshness: f}, true, nil
}

// Exists reports whether key holds a live, readable entry.
func (b *Backend) Exists(ctx context.Context, key string) (bool, error) {
	const op = "file.exists"
	dirfd, err := b.begin(ctx, op, key)
	if err != nil {
		return false, err
	}
	defer b.release()
	_, found, err := b.read(ctx, dirfd, op, key, FileName(key), false)
	return found, err
}

// TTL returns the remaining lifetime of key (core.NoExpiry for an entry
// without expiry); found is false when Get would miss.
func (b *Backend) TTL(ctx context.Context, key string) (time.Duration, bool, error) {
	const op = "file.ttl"
	dirfd, err := b.begin(ctx, op, key)
	if err != nil {
		return 0, false, err
	}
	defer b.release()
	e, found, err := b.read(ctx, dirfd, op, key, FileName(key), false)
	if err != nil || !found {
		return 0, false, err
	}
	if e.hdr.expiry == 0 {
		return core.NoExpiry, true, nil
	}
	return b.remaining(e.hdr.expiry), true, nil
}

// Set stores value under key for ttl (core.NoExpiry: no expiry): the entry
// is written to a temporary file in the directory, synced, and renamed over
// the entry's name, so a reader (or a crash) sees the old entry or the new
// one, never a mix. A value above WithMaxValueBytes is refused with
// KindPayloadTooLarge.
func (b *Backend) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	const op = "file.set"
	if ttl < 0 {
		return &core.Error{Kind: core.KindInvalidInput, Op: op, Key: key, Msg: "negative TTL " + ttl.String()}
	}
	if int64(len(value)) > b.cfg.maxValueBytes {
		return &core.Error{Kind: core.KindPayloadTooLarge, Op: op, Key: key,
			Msg: strconv.Itoa(len(value)) + " bytes exceed the limit of " + strconv.FormatInt(b.cfg.maxValueBytes, 10)}
	}
	dirfd, err := b.begin(ctx, op, key)
	if err != nil {
		return err
	}
	defer b.release()
	name := FileName(key)
	data := make([]byte, 0, HeaderSize+len(value))
	data = appendHeader(data, b.expiryFor(ttl))
	data = append(data, value...)
	if err := b.replace(dirfd, name, data); err != nil {
		return b.fail(op, key, err)
	}
	b.afterWrite(dirfd)
	return nil
}

// replace atomically replaces the file name with one holding data.
func (b *Backend) replace(dirfd int, name string, data []byte) error {
	var tmp string
	var fd int
	for {
		tmp = name + ".tmp." + strconv.Itoa(os.Getpid()) + "." + strconv.FormatInt(b.nextTmp(), 10)
		var err error
		fd, err = unix.Openat(dirfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EEXIST) {
			return err
		}
	}
	err := writeAll(fd, data)
	if err == nil {
		err = unix.Fsync(fd)
	}
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	var old unix.Stat_t
	existed := false
	if err == nil {
		existed = unix.Fstatat(dirfd, name, &old, unix.AT_SYMLINK_NOFOLLOW) == nil &&
			uint32(old.Mode)&unix.S_IFMT == unix.S_IFREG
		err = unix.Renameat(dirfd, tmp, dirfd, name)
	}
	if err != nil {
		_ = unix.Unlinkat(dirfd, tmp, 0)
		return err
	}
	if existed {
		b.size.Add(int64(len(data)) - old.Size)
	} else {
		b.entries.Add(1)
		b.size.Add(int64(len(data)))
	}
	return nil
}

// nextTmp returns a number for a temporary file name, unique within the
// process: the clock in nanoseconds, or one more than the last.
func (b *Backend) nextTmp() int64 {
	for {
		last := b.tmpSeq.Load()
		n := max(time.Now().UnixNano(), last+1)
		if b.tmpSeq.CompareAndSwap(last, n) {
			return n
		}
	}
}

// writeAll writes data to fd.
func writeAll(fd int, data []byte) error {
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return err
		}
		data = data[n:]
	}
	return nil
}

// Expire sets the remaining lifetime of a live key to ttl (> 0) and reports
// whether the key was live. It rewrites bytes 6 to 13 of the entry with one
// positioned 8-byte write under an exclusive flock of the entry, which
// readers of this package wait out with a shared one (FILE-5, FILE-6). An
// entry with flags this reader does not implement is left untouched and
// reported as missing (FILE-3).
func (b *Backend) Expire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	const op = "file.expire"
	if ttl <= 0 {
		return false, &core.Error{Kind: core.KindInvalidInput, Op: op, Key: key, Msg: "TTL must be positive, got " + ttl.String()}
	}
	dirfd, err := b.begin(ctx, op, key)
	if err != nil {
		return false, err
	}
	defer b.release()
	name := FileName(key)
	fd, ok, err := b.openEntry(dirfd, name, unix.O_RDWR)
	if !ok || err != nil {
		if err != nil {
			err = b.fail(op, key, err)
		}
		return false, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return false, b.fail(op, key, err)
	}
	if uint32(st.Mode)&unix.S_IFMT != unix.S_IFREG {
		b.heal(dirfd, name, &st)
		return false, nil
	}
	if st.Size > HeaderSize+b.cfg.maxValueBytes {
		return false, nil // a miss for Get too; not ours to touch
	}
	if err := b.lock(ctx, fd, unix.LOCK_EX); err != nil {
		return false, b.fail(op, key, err)
	}
	defer unix.Flock(fd, unix.LOCK_UN)
	var hb [HeaderSize]byte
	n, err := pread(fd, hb[:], 0)
	if err != nil {
		return false, b.fail(op, key, err)
	}
	h, status := parseHeader(hb[:n])
	switch {
	case status == headerCorrupt:
		b.heal(dirfd, name, &st)
		return false, nil
	case status == headerUnsupported:
		return false, nil
	case expired(h.expiry, b.now().Unix()):
		b.removeIfSame(dirfd, name, &st)
		return false, nil
	}
	var exp [8]byte
	binary.BigEndian.PutUint64(exp[:], b.expiryFor(ttl))
	if n, err := unix.Pwrite(fd, exp[:], 6); err != nil || n != len(exp) {
		if err == nil {
			err = unix.EIO
		}
		return false, b.fail(op, key, err)
	}
	return true, nil
}

// Delete removes key; removing a missing key succeeds.
func (b *Backend) Delete(ctx context.Context, key string) error {
	const op = "file.delete"
	dirfd, err := b.begin(ctx, op, key)
	if err != nil {
		return err
	}
	defer b.release()
	return b.delete(dirfd, op, key)
}

func (b *Backend) delete(dirfd int, op, key string) error {
	name := FileName(key)
	var st unix.Stat_t
	isReg := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && uint32(st.Mode)&unix.S_IFMT == unix.S_IFREG
	err := unix.Unlinkat(dirfd, name, 0)
	switch {
	case errors.Is(err, unix.ENOENT):
		return nil
	case err != nil:
		return b.fail(op, key, err)
	}
	if isReg {
		b.entries.Add(-1)
		b.size.Add(-st.Size)
	}
	return nil
}

// DeleteMany removes every key, one file at a time; it stops at the first
// error (or at the end of ctx), leaving the keys after it.
func (b *Backend) DeleteMany(ctx context.Context, keys []string) error {
	const op = "file.deletemany"
	dirfd, err := b.begin(ctx, op, "")
	if err != nil {
		return err
	}
	defer b.release()
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return &core.Error{Kind: core.ContextKind(err), Op: op, Key: k, Err: err}
		}
		if err := b.delete(dirfd, op, k); err != nil {
			return err
		}
	}
	return nil
}

// Health checks that the directory is still open and a directory.
func (b *Backend) Health(ctx context.Context) error {
	const op = "file.health"
	dirfd, err := b.begin(ctx, op, "")
	if err != nil {
		return err
	}
	defer b.release()
	var st unix.Stat_t
	if err := unix.Fstat(dirfd, &st); err != nil {
		return b.fail(op, "", err)
	}
	if st.Nlink == 0 {
		return b.fail(op, "", core.NewError(core.KindPermanent, op, "the cache directory was removed", nil))
	}
	return nil
}

// Stats reports one tier, "file": hits and misses of Get, failed
// operations, entries evicted for the bounds, and the directory's entry
// count and size as last scanned plus this process's changes since. The
// self-heal count (corrupt entries removed) is Healed.
func (b *Backend) Stats() []core.TierStats {
	return []core.TierStats{{
		Name:      "file",
		Hits:      b.hits.Load(),
		Misses:    b.misses.Load(),
		Errors:    b.errs.Load(),
		Evictions: b.evictions.Load(),
		Entries:   max(b.entries.Load(), 0),
		SizeBytes: max(b.size.Load(), 0),
	}}
}

// Healed returns the number of corrupt entries this Backend found and
// removed: files shorter than a header or with the wrong magic or version,
// and symbolic links, sockets, FIFOs or devices found under an entry's
// name. Each was also reported as a miss. Entries with a nonzero reserved
// byte or flags are not corrupt (a newer writer made them) and are never
// removed.
func (b *Backend) Healed() uint64 { return b.heals.Load() }

// Dir returns the cache directory as given to New.
func (b *Backend) Dir() string { return b.dir }

// Close releases the directory. It returns nil and may be called more than
// once; later calls of the other methods fail with KindPermanent.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed && b.cfg.clock != nil {
		_ = unix.Close(b.dirfd)
	}
	b.closed = true
	return nil
}
