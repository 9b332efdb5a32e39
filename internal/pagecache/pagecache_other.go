//go:build !linux

package pagecache

// StartWriteback does nothing here.
func StartWriteback(fd uintptr, off, n int64) {}

// Drop does nothing here.
func Drop(fd uintptr, off, n int64) {}

// AdviseSequential does nothing here.
func AdviseSequential(fd uintptr) {}

// Datasync does nothing here: the fsync that ends a write makes it durable.
func Datasync(fd uintptr) error { return nil }
