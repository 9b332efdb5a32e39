package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/stratus-iaas/stratus/internal/pagecache"
)

// FS stores blobs as files under a root directory. Writes go to a temp
// file in the same filesystem, are fsynced, renamed into place, and the
// directory is fsynced: after Commit returns, a crash loses nothing, and
// before it a crash leaves only a temp file that NewFS sweeps away.
type FS struct {
	root string
	tmp  string
}

// NewFS opens (creating) a filesystem store at root and removes temp files
// left by a crash.
func NewFS(root string) (*FS, error) {
	tmp := filepath.Join(root, ".tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		os.Remove(filepath.Join(tmp, e.Name()))
	}
	return &FS{root: root, tmp: tmp}, nil
}

func (s *FS) path(key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("blob: invalid key %q", key)
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// Create implements Store.
func (s *FS) Create(ctx context.Context, key string) (Writer, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	var b [12]byte
	rand.Read(b[:])
	f, err := os.OpenFile(filepath.Join(s.tmp, hex.EncodeToString(b[:])), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return &fsWriter{f: f, dst: p}, nil
}

// Open implements Store.
func (s *FS) Open(ctx context.Context, key string) (Reader, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.Size() > sequentialAfter {
		pagecache.AdviseSequential(f.Fd())
	}
	return &fsReader{File: f, size: st.Size()}, nil
}

// Stat implements Store.
func (s *FS) Stat(ctx context.Context, key string) (int64, error) {
	p, err := s.path(key)
	if err != nil {
		return 0, err
	}
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// Delete implements Store.
func (s *FS) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Path returns the file holding key, for callers on the same machine that
// need a file (qemu-img, sendfile). It is not part of Store.
func (s *FS) Path(key string) (string, error) { return s.path(key) }

type fsWriter struct {
	f    *os.File
	dst  string
	done bool
	// dir prepares the destination directory and returns what makes the
	// rename into it durable: a plain directory fsync for FS, a
	// group-committed one for Group.
	dir func(dir string) (sync func() error, err error)
	// trail starts the writeback of the stream every writebackChunk,
	// fdatasyncs it in the background every pagecache.SyncStep and drops
	// written pages behind it (Group sets it), so the fsync at Commit is
	// short and a large blob does not fill the page cache.
	trail *pagecache.Trail

	off int64 // end of the stream written by Write
}

// writebackChunk is how much a writer accumulates before starting its
// writeback.
const writebackChunk = 8 << 20

// sequentialAfter is the size past which a blob opened for reading gets
// sequential readahead: a large blob's pages were dropped after writing,
// so its first read is cold.
const sequentialAfter = 1 << 20

// Write appends p to the stream. Large streams stay buffered (O_DIRECT,
// tried instead, left the disk idle between writes; docs/decisions.md).
func (w *fsWriter) Write(p []byte) (int, error) {
	n, err := w.f.WriteAt(p, w.off)
	w.off += int64(n)
	if w.trail != nil {
		w.trail.Wrote(w.f.Fd(), w.off)
	}
	return n, err
}

// WriteAt lets converters write sparse output.
func (w *fsWriter) WriteAt(p []byte, off int64) (int, error) { return w.f.WriteAt(p, off) }

// Truncate sets the final size (sparse tails).
func (w *fsWriter) Truncate(size int64) error { return w.f.Truncate(size) }

// Fd lets the disk-image writers that convert into a staged blob start
// writeback, drop written pages and fdatasync in the background as they
// do for their own output files (they wait for their syncs before
// returning, so Commit never closes the file under one).
func (w *fsWriter) Fd() uintptr { return w.f.Fd() }

// ReadAt reads back bytes already written, so an upload can be inspected
// before Commit.
func (w *fsWriter) ReadAt(p []byte, off int64) (int, error) { return w.f.ReadAt(p, off) }

func (w *fsWriter) Commit() error {
	if w.done {
		return errors.New("blob: writer already finished")
	}
	w.done = true
	tmp := w.f.Name()
	if err := w.waitSyncs(); err != nil {
		w.f.Close()
		os.Remove(tmp)
		return err
	}
	if err := w.f.Sync(); err != nil {
		w.f.Close()
		os.Remove(tmp)
		return err
	}
	if err := w.f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	prepare := w.dir
	if prepare == nil {
		prepare = plainDir
	}
	syncDst, err := prepare(filepath.Dir(w.dst))
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, w.dst); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDst()
}

// plainDir makes sure dir exists and fsyncs it after the rename.
func plainDir(dir string) (func() error, error) {
	if err := ensureDir(dir); err != nil {
		return nil, err
	}
	return func() error { return syncDir(dir) }, nil
}

// ensureDir creates dir when missing and makes its own entry durable by
// fsyncing its parent, so a blob renamed into a new directory survives a crash.
func ensureDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

func (w *fsWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.waitSyncs()
	w.f.Close()
	return os.Remove(w.f.Name())
}

// waitSyncs waits for the trail's background fdatasync, which uses the
// descriptor, and returns the error any of them got.
func (w *fsWriter) waitSyncs() error {
	if w.trail == nil {
		return nil
	}
	return w.trail.Sync.Wait()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

type fsReader struct {
	*os.File
	size int64
}

func (r *fsReader) Size() int64 { return r.size }
