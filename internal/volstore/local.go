package volstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Local keeps each key as a sparse raw file in one directory.
type Local struct {
	dir string
	tmp string
}

// NewLocal opens (creating) a local store in dir and removes the temp files
// a crash left behind.
func NewLocal(dir string) (*Local, error) {
	tmp := filepath.Join(dir, ".tmp")
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
	return &Local{dir: dir, tmp: tmp}, nil
}

// Kind implements Store.
func (l *Local) Kind() string { return "local" }

// validKey: one path segment of letters, digits, '-', '_' and '.', not
// starting with a dot.
func validKey(key string) bool {
	if key == "" || len(key) > 255 || key[0] == '.' {
		return false
	}
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func (l *Local) path(key string) (string, error) {
	if !validKey(key) {
		return "", fmt.Errorf("volstore: invalid key %q", key)
	}
	return filepath.Join(l.dir, key), nil
}

// Path implements Store.
func (l *Local) Path(key string) string {
	p, err := l.path(key)
	if err != nil {
		return ""
	}
	return p
}

func (l *Local) tempFile() (*os.File, error) {
	var b [12]byte
	rand.Read(b[:])
	return os.OpenFile(filepath.Join(l.tmp, hex.EncodeToString(b[:])), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
}

// publish fsyncs f (already sized), closes it and renames it to key,
// making the rename durable. f is removed on any failure.
func (l *Local) publish(f *os.File, key string) error {
	dst, err := l.path(key)
	if err != nil {
		discard(f)
		return err
	}
	if err := f.Sync(); err != nil {
		discard(f)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), dst); err != nil {
		os.Remove(f.Name())
		return err
	}
	return syncDir(l.dir)
}

func discard(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}

// Create implements Store.
func (l *Local) Create(ctx context.Context, key string, size int64) error {
	return l.Fill(ctx, key, size, nil)
}

// Fill implements Store.
func (l *Local) Fill(ctx context.Context, key string, size int64, fill func(context.Context, *os.File) error) error {
	if _, err := l.path(key); err != nil {
		return err
	}
	f, err := l.tempFile()
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		discard(f)
		return err
	}
	if fill != nil {
		if err := fill(ctx, f); err != nil {
			discard(f)
			return err
		}
		if err := f.Truncate(size); err != nil {
			discard(f)
			return err
		}
	}
	return l.publish(f, key)
}

// Copy implements Store.
func (l *Local) Copy(ctx context.Context, src, dst string, progress func(done, total int64)) (bool, error) {
	sp, err := l.path(src)
	if err != nil {
		return false, err
	}
	if _, err := l.path(dst); err != nil {
		return false, err
	}
	in, err := os.Open(sp)
	if err != nil {
		return false, err
	}
	defer in.Close()
	out, err := l.tempFile()
	if err != nil {
		return false, err
	}
	cloned, err := CloneOrCopy(ctx, in, out, progress)
	if err != nil {
		discard(out)
		return false, err
	}
	return cloned, l.publish(out, dst)
}

// Resize implements Store.
func (l *Local) Resize(ctx context.Context, key string, size int64) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Open implements Store.
func (l *Local) Open(ctx context.Context, key string) (Reader, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &fileReader{f: f, size: st.Size()}, nil
}

// Delete implements Store.
func (l *Local) Delete(ctx context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(l.dir)
}

// Allocated implements Store.
func (l *Local) Allocated(ctx context.Context, key string) (int64, error) {
	p, err := l.path(key)
	if err != nil {
		return 0, err
	}
	st, err := os.Stat(p)
	if err != nil {
		return 0, err
	}
	return allocated(st), nil
}

func allocated(st os.FileInfo) int64 {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return sys.Blocks * 512
	}
	return st.Size()
}

type fileReader struct {
	f    *os.File
	size int64
}

func (r *fileReader) ReadAt(p []byte, off int64) (int, error) { return r.f.ReadAt(p, off) }
func (r *fileReader) Close() error                            { return r.f.Close() }
func (r *fileReader) Size() int64                             { return r.size }
func (r *fileReader) File() *os.File                          { return r.f }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Capacity is the size and the free space of the filesystem of the store.
func (l *Local) Capacity() (total, free int64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(l.dir, &st); err != nil {
		return 0, 0, err
	}
	return int64(st.Blocks) * st.Bsize, int64(st.Bavail) * st.Bsize, nil
}
