// Package blob stores byte streams under keys. The interface is small and
// streaming so that it fits both the local filesystem (default, FS and
// Group) and an S3-compatible store (internal/blob/s3blob): a Writer's
// bytes become visible, durably, only at Commit; readers seek and read at
// offsets (ranged GETs on S3). Every service reaches bytes through Store
// only; nothing outside this package and the backends knows where they
// live.
package blob

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"
)

// ErrNotFound is returned for a key that holds nothing.
var ErrNotFound = errors.New("blob: not found")

// Store is a byte store.
type Store interface {
	// Create starts writing key. Nothing is visible, and any previous
	// value stays readable, until Commit.
	Create(ctx context.Context, key string) (Writer, error)
	// Open opens key for reading.
	Open(ctx context.Context, key string) (Reader, error)
	// Stat returns the size of key.
	Stat(ctx context.Context, key string) (int64, error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Stage starts writing key through a local file that the writer may
	// write at any offset, read back and truncate (converter output,
	// volume files); Commit makes it durable and visible under key (on
	// S3, by uploading it), like a Writer's.
	Stage(ctx context.Context, key string) (Staged, error)
	// List calls fn for every committed key that starts with prefix, in
	// no particular order, until fn returns an error (which List returns).
	// It is for garbage collection: keys committed or deleted while it
	// runs may or may not be seen.
	List(ctx context.Context, prefix string, fn func(Info) error) error
}

// Info describes a committed key.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time // when it was committed
}

// Staged is a Writer with random access, for writers that need it.
type Staged interface {
	Writer
	io.WriterAt
	io.ReaderAt
	// Truncate sets the size (a sparse tail on the filesystem).
	Truncate(size int64) error
}

// Writer receives the bytes of one key.
type Writer interface {
	io.Writer
	// Commit makes the bytes durable (fsynced) and visible under the key,
	// replacing any previous value atomically.
	Commit() error
	// Abort discards the bytes. It is safe after Commit (then a no-op).
	Abort() error
}

// Reader reads one key.
type Reader interface {
	io.ReadSeekCloser
	io.ReaderAt
	Size() int64
}

// SizedCreator is a Store that does better when it knows the size of a
// stream before its first byte (S3 picks the part size from it).
type SizedCreator interface {
	CreateSized(ctx context.Context, key string, size int64) (Writer, error)
}

// CreateSized starts writing key, announcing size (-1 when unknown) to
// stores that use it. The writer accepts any number of bytes whatever the
// announcement; callers check lengths themselves.
func CreateSized(ctx context.Context, s Store, key string, size int64) (Writer, error) {
	if sc, ok := s.(SizedCreator); ok && size >= 0 {
		return sc.CreateSized(ctx, key, size)
	}
	return s.Create(ctx, key)
}

// Ranger is a Reader that can read a byte range in one request (S3's
// ranged GET), which a SectionReader over ReadAt would split into a
// request per buffer.
type Ranger interface {
	ReadRange(off, n int64) (io.ReadCloser, error)
}

// Section returns a reader of bytes [off, off+n) of r, as one ranged
// request when r is a Ranger. The caller closes it.
func Section(r Reader, off, n int64) (io.ReadCloser, error) {
	if rg, ok := r.(Ranger); ok {
		return rg.ReadRange(off, n)
	}
	return io.NopCloser(io.NewSectionReader(r, off, n)), nil
}

// Copier is a Store that copies a key without moving its bytes through
// the caller (S3's server-side copy).
type Copier interface {
	Copy(ctx context.Context, src, dst string) error
}

// Copy makes dst a copy of src: server-side when the store can, otherwise
// by streaming src into a new writer.
func Copy(ctx context.Context, s Store, src, dst string) error {
	if c, ok := s.(Copier); ok {
		return c.Copy(ctx, src, dst)
	}
	r, err := s.Open(ctx, src)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := CreateSized(ctx, s, dst, r.Size())
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, io.NewSectionReader(r, 0, r.Size())); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

// ValidKey reports whether key is usable: relative, slash-separated
// segments, none empty, "." or "..".
func ValidKey(key string) bool {
	if key == "" || len(key) > 4096 || strings.HasPrefix(key, "/") || strings.ContainsRune(key, 0) {
		return false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, ".tmp") {
			return false
		}
	}
	return true
}
