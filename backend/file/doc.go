// Package file is a core.Backend that keeps each entry in a file of one
// flat directory, in the format the CacheKit protocol specifies for file
// backends (spec/file-backend-format.md): a directory written by
// cachekit-py or cachekit-rs is readable here, and the reverse.
//
// # Format
//
// An entry for key lives in the file FileName(key): the lowercase hex
// BLAKE2b-128 digest of the key's UTF-8 bytes. No key prefix is added. The
// file is a 14-byte header — "CK", version 1, a reserved byte, 16-bit
// flags, the expiry as 64-bit big-endian Unix seconds (0: none) — then the
// payload, the bytes given to Set. This package writes reserved byte and
// flags as zero (FILE-1, FILE-4). An entry is expired once the wall clock
// reaches its expiry; a TTL is stored as the whole second of its deadline,
// so it may end up to a second early (a sub-second TTL may expire at once),
// and Get reports the time left to that second as the entry's freshness.
//
// # Reads, corrupt entries and newer writers
//
// Get, Exists, TTL and Expire open the entry with O_NOFOLLOW and read its
// header in one read (FILE-6). A missing, expired or unreadable entry is a
// miss, never an error. A file shorter than a header, with the wrong magic
// or version, or anything but a regular file under an entry's name (a
// symbolic link, a FIFO, a socket) is corrupt: a miss, and the file is
// removed and counted — Healed returns the count. An entry with a nonzero
// reserved byte or flags comes from a writer that applied a transform this
// package does not implement: it is a miss and is never deleted, rewritten
// or returned (FILE-2, FILE-3). Expired entries are removed when read.
//
// # Writes and crashes
//
// Set writes header and payload to a temporary file in the same directory
// ("<name>.tmp.<pid>.<n>", created with O_EXCL|O_NOFOLLOW, mode 0600),
// fsyncs it and renames it over the entry, so a reader, or a crash at any
// point, sees either the old entry or the new one. New removes temporary
// files older than a minute, left by writers that died. (The directory is
// not fsynced: after a power loss the rename may be lost, which leaves the
// old entry — a cache may forget a write.)
//
// Expire (TTL refresh) rewrites bytes 6 to 13 with a single positioned
// write, in place (FILE-5). It holds an exclusive flock(2) on the entry
// meanwhile, and readers of this package take a shared one around their
// header read, so not even a platform that does not make reads and writes
// of regular files atomic shows them a torn expiry. These are the package's
// only locks: advisory, per entry, held for one system call, waited for at
// most WithLockTimeout (KindTimeout after that). Writers need none: a
// rename is atomic. cachekit-py readers take the same shared flock but do
// not wait for it: one that meets an Expire in progress fails that read
// with its timeout error. The protocol defines no distributed lock for file
// backends, so Backend does not implement core.Locker.
//
// # Safety of the directory
//
// Names are hashes, so no key — "../x", "/etc/passwd", "a\x00b" — can name
// a file outside the directory. New creates the directory with mode 0700
// and refuses (KindConfig) one that is a symbolic link, belongs to another
// user, or is writable by group or others. All file operations go through
// one descriptor of the directory (openat, renameat, unlinkat), so renaming
// or replacing the directory's path later redirects nothing. A symbolic link
// planted under an entry's name is never followed (it is removed as
// corrupt; Set replaces it, Delete removes the link alone).
//
// # Bounds and eviction
//
// WithMaxBytes (default 1 GiB) and WithMaxEntries (default 10 000) bound
// the directory, WithMaxValueBytes (default 100 MiB) a payload: these are
// cachekit-py's defaults and policy. When a write takes the directory above
// 90 % of a bound, the least recently written entries (oldest modification
// time; Expire counts as a write) are evicted until every bound is at 70 %.
// The backend tracks size and count from a scan of the directory, its own
// writes and deletes, and a rescan every 256 writes, which catches other
// processes' entries. Only files named like entries are counted or evicted.
//
// # Capabilities and configuration
//
// Backend implements core.Backend, core.TTLInspector, core.TTLRefresher,
// core.BatchDeleter, core.StatsReporter (one tier, "file") and io.Closer.
// Errors are *core.Error values: bad options and directories KindConfig,
// negative TTLs KindInvalidInput, oversized values KindPayloadTooLarge,
// permission errors KindPermanent, other I/O errors KindTransient.
// NewFromConfig takes the directory from core.Config.FileCacheDir, which
// core.ConfigFromEnv reads from CACHEKIT_FILE_CACHE_DIR, cachekit-py's
// variable.
//
// The package builds on Linux, macOS, FreeBSD, NetBSD and OpenBSD (it needs
// openat, flock and O_NOFOLLOW); elsewhere it holds only this
// documentation.
package file
