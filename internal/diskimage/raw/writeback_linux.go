package raw

import "golang.org/x/sys/unix"

// startWriteback asks the kernel to begin writing [off, off+n) of the file
// to disk without waiting, so the final fsync finds little left to do and
// the disk writes overlap the conversion (as internal/blob does).
func startWriteback(fd uintptr, off, n int64) {
	unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
