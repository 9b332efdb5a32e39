//go:build !linux

package blob

import "os"

func startWriteback(f *os.File, off, n int64) {}

func adviseSequential(f *os.File) {}

func dropCache(f *os.File, off, n int64) {}
