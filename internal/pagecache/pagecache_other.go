//go:build !linux

package pagecache

// StartWriteback does nothing here.
func StartWriteback(fd uintptr, off, n int64) {}

// Drop does nothing here.
func Drop(fd uintptr, off, n int64) {}

// AdviseSequential does nothing here.
func AdviseSequential(fd uintptr) {}
