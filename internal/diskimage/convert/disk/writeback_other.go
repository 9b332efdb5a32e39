//go:build !linux

package disk

// StartWriteback does nothing where sync_file_range does not exist.
func StartWriteback(fd uintptr, off, n int64) {}

// DropCache does nothing where posix_fadvise does not exist.
func DropCache(fd uintptr, off, n int64) {}
