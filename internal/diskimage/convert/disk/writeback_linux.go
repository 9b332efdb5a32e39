package disk

import "golang.org/x/sys/unix"

// StartWriteback asks the kernel to begin writing [off, off+n) of the file
// behind fd to disk without waiting, so the fsync at the end of a
// conversion finds little left to do and the disk writes overlap the
// conversion (as internal/blob does).
func StartWriteback(fd uintptr, off, n int64) {
	unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
}

// DropCache tells the kernel the written range [off, off+n) will not be
// read again (POSIX_FADV_DONTNEED): pages already written back are freed
// now instead of staying cached; pages still dirty are left alone.
func DropCache(fd uintptr, off, n int64) {
	unix.Fadvise(int(fd), off, n, unix.FADV_DONTNEED)
}
