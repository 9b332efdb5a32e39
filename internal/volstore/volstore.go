// Package volstore keeps the bytes of block-storage volumes and snapshots.
// A volume is a raw disk of a fixed size; the Store interface is all the
// volume service knows of where its bytes live, so that a new backend (an
// S3-compatible blob store) is a change here only.
//
// Two stores exist:
//
//   - Local (the default): each key is a sparse raw file in a directory of
//     the node's data dir, which a hypervisor driver opens directly (Path).
//     Copies are reflink clones (FICLONE: blocks shared copy-on-write) where
//     the filesystem supports them, else sparse copies of the data extents
//     only (SEEK_DATA/SEEK_HOLE, copy_file_range in the kernel).
//   - Blob: each key is a compact qcow2 object in the blob store, for nodes
//     without a local volume directory. Work on it is staged through sparse
//     temp files (the disk-image engine converts both ways), and it has no
//     Path, so volumes there cannot be attached to a local hypervisor.
//
// Every write is atomic: the new bytes go to a temp file (or blob writer),
// are fsynced, and replace the key in one rename (or commit). A crash
// leaves the old bytes or the new ones, never a mix, and temp files are
// swept when the store opens.
package volstore

import (
	"context"
	"io"
	"os"
)

// Store keeps volume bytes under keys.
type Store interface {
	// Kind names the store: "local" or "blob".
	Kind() string
	// Create makes key a zero-filled disk of size bytes (sparse), replacing
	// anything stored under key.
	Create(ctx context.Context, key string, size int64) error
	// Fill makes key a disk of size bytes whose content fill writes into f,
	// a new sparse file of that size (fill may truncate it, e.g. a
	// converter; it is truncated back to size afterwards). key changes only
	// when fill returns nil, and then durably.
	Fill(ctx context.Context, key string, size int64, fill func(ctx context.Context, f *os.File) error) error
	// Copy makes dst a copy of src, replacing dst atomically. progress, when
	// set, sees the bytes copied of the bytes to copy. cloned reports a
	// copy-on-write clone that shares src's blocks.
	Copy(ctx context.Context, src, dst string, progress func(done, total int64)) (cloned bool, err error)
	// Resize grows (or shrinks) key to size bytes.
	Resize(ctx context.Context, key string, size int64) error
	// Open reads key as a raw disk.
	Open(ctx context.Context, key string) (Reader, error)
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Path is the local file of key, "" when the store keeps no local
	// files (a hypervisor driver then cannot open the volume).
	Path(key string) string
	// Allocated is the bytes the store uses for key (its file's blocks, its
	// object's size), for reports and benchmarks.
	Allocated(ctx context.Context, key string) (int64, error)
}

// Reader reads a raw disk at offsets.
type Reader interface {
	io.ReaderAt
	io.Closer
	// Size is the disk's size in bytes.
	Size() int64
	// File is the local file behind the reader, nil when there is none;
	// callers use it to skip holes (SEEK_DATA) and to convert it in place.
	File() *os.File
}

// ErrNotFound is returned for a key that holds nothing.
var ErrNotFound = os.ErrNotExist
