// Package blob stores byte streams under keys. The interface is small and
// streaming so that it fits both the local filesystem (default) and an
// S3-compatible store: a Writer's bytes become visible, durably, only at
// Commit; readers seek and read at offsets (ranged GETs on S3).
package blob

import (
	"context"
	"errors"
	"io"
	"strings"
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
