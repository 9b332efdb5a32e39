package volstore

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/stratus-iaas/stratus/internal/pagecache"
)

// copyStep is how much one copy_file_range call moves at most, so that a
// copy sees cancellation and reports progress at least this often.
const copyStep = 32 << 20

// Extent is a run of data in a sparse file.
type Extent struct{ Off, Len int64 }

// DataExtents lists the data runs of f (size bytes) as the filesystem
// reports them with SEEK_DATA/SEEK_HOLE; a filesystem that cannot tell
// gives the whole file as one run.
func DataExtents(f *os.File, size int64) ([]Extent, error) {
	var out []Extent
	off := int64(0)
	for off < size {
		data, err := unix.Seek(int(f.Fd()), off, unix.SEEK_DATA)
		if errors.Is(err, syscall.ENXIO) {
			break // only a hole is left
		}
		if err != nil {
			return []Extent{{off, size - off}}, nil
		}
		if data >= size {
			break
		}
		hole, err := unix.Seek(int(f.Fd()), data, unix.SEEK_HOLE)
		if err != nil || hole > size {
			hole = size
		}
		out = append(out, Extent{data, hole - data})
		off = hole
	}
	return out, nil
}

// CloneOrCopy makes out (an empty file) a copy of in: a reflink clone that
// shares in's blocks where the filesystem allows (cloned true, instant),
// else a sparse copy of in's data extents, holes left as holes. progress,
// when set, sees the data bytes copied of the data bytes to copy.
func CloneOrCopy(ctx context.Context, in, out *os.File, progress func(done, total int64)) (cloned bool, err error) {
	st, err := in.Stat()
	if err != nil {
		return false, err
	}
	size := st.Size()
	if err := unix.IoctlFileClone(int(out.Fd()), int(in.Fd())); err == nil {
		if progress != nil {
			progress(size, size)
		}
		return true, nil
	}
	return false, SparseCopy(ctx, in, out, size, progress)
}

// SparseCopy copies the data extents of in (size bytes) to the same
// offsets of out and sizes out to size, leaving holes as holes.
func SparseCopy(ctx context.Context, in, out *os.File, size int64, progress func(done, total int64)) error {
	if err := out.Truncate(size); err != nil {
		return err
	}
	exts, err := DataExtents(in, size)
	if err != nil {
		return err
	}
	var total, done int64
	for _, x := range exts {
		total += x.Len
	}
	if progress != nil {
		progress(0, total)
	}
	for _, x := range exts {
		for off := x.Off; off < x.Off+x.Len; {
			if err := ctx.Err(); err != nil {
				return err
			}
			n := min(copyStep, x.Off+x.Len-off)
			if err := copyRange(in, out, off, n); err != nil {
				return err
			}
			pagecache.StartWriteback(out.Fd(), off, n)
			off += n
			done += n
			if progress != nil {
				progress(done, total)
			}
		}
	}
	return nil
}

// copyRange copies n bytes at off of in to the same offset of out, in the
// kernel when it can (copy_file_range), else through a buffer.
func copyRange(in, out *os.File, off, n int64) error {
	roff, woff := off, off
	left := int(n)
	for left > 0 {
		c, err := unix.CopyFileRange(int(in.Fd()), &roff, int(out.Fd()), &woff, left, 0)
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			return bufferedCopy(in, out, roff, int64(left))
		}
		if c == 0 {
			return io.ErrUnexpectedEOF // in shrank under us
		}
		left -= c
	}
	return nil
}

func bufferedCopy(in, out *os.File, off, n int64) error {
	buf := make([]byte, min(n, 4<<20))
	for n > 0 {
		m := min(n, int64(len(buf)))
		if _, err := in.ReadAt(buf[:m], off); err != nil {
			return err
		}
		if _, err := out.WriteAt(buf[:m], off); err != nil {
			return err
		}
		off += m
		n -= m
	}
	return nil
}
