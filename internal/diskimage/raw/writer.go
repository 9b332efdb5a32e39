package raw

import (
	"io"

	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

// File is what the sparse raw writer needs from its destination.
type File interface {
	io.WriterAt
	Truncate(size int64) error
}

// BlockSize is the granularity of hole punching: runs of zeros at least
// this long and aligned to it are left as holes, like qemu-img's -S 4k.
const BlockSize = 4096

// Writer writes a sparse raw image: zero blocks are never written, the file
// is truncated to the virtual size at the end.
type Writer struct {
	f    File
	size int64
	fd   uintptr // for disk.StartWriteback; 0 when f is not an *os.File-like file
	wb   bool
	// dropped is the offset below which Commit has dropped written pages.
	dropped int64
}

// NewWriter empties f and returns a writer of a size-byte raw image.
func NewWriter(f File, size int64) (*Writer, error) {
	// Empty the file, then give it its final size at once: writes inside
	// the file are much cheaper than writes extending it, one by one
	// (qemu-img does the same).
	if err := f.Truncate(0); err != nil {
		return nil, &diskimage.Error{Kind: diskimage.KindIO, Format: "raw", Reason: "truncating output", Err: err}
	}
	if err := f.Truncate(size); err != nil {
		return nil, &diskimage.Error{Kind: diskimage.KindIO, Format: "raw", Reason: "sizing output", Err: err}
	}
	w := &Writer{f: f, size: size}
	if fdf, ok := f.(interface{ Fd() uintptr }); ok {
		w.fd, w.wb = fdf.Fd(), true
	}
	return w, nil
}

// Encode finds the non-zero blocks of the chunk and writes them: raw
// writes are positional, so the workers write in parallel (one can
// decompress while another waits on the page cache), as qemu-img's do.
// Writeback of the written chunk starts at once, so the fsync at the end
// of a conversion has less left to wait for.
func (w *Writer) Encode(off int64, p []byte) (any, error) {
	runs := disk.NonZeroRuns(p, BlockSize)
	for _, r := range runs {
		if _, err := w.f.WriteAt(p[r[0]:r[1]], off+int64(r[0])); err != nil {
			return nil, &diskimage.Error{Kind: diskimage.KindIO, Format: "raw", Reason: "writing output", Err: err}
		}
	}
	if w.wb && len(runs) > 0 {
		disk.StartWriteback(w.fd, off, int64(len(p)))
	}
	return nil, nil
}

// dropLag is how far behind the committed position written pages are
// dropped from the page cache: far enough for their writeback (started
// by Encode) to have finished, so the drop frees them.
const dropLag = 32 << 20

// Commit drops from the page cache what was written dropLag ago: the
// output is not read back, and a conversion that keeps reusing a small
// set of cached pages costs the kernel (and, in a VM, the hypervisor)
// less than one that fills hundreds of MiB of fresh ones.
func (w *Writer) Commit(off, n int64, p []byte, enc any) error {
	if w.wb {
		if end := off + n - dropLag; end > w.dropped {
			disk.DropCache(w.fd, w.dropped, end-w.dropped)
			w.dropped = end
		}
	}
	return nil
}

// Close sets the final size, leaving a trailing hole if needed.
func (w *Writer) Close() error {
	if err := w.f.Truncate(w.size); err != nil {
		return &diskimage.Error{Kind: diskimage.KindIO, Format: "raw", Reason: "truncating output", Err: err}
	}
	return nil
}
