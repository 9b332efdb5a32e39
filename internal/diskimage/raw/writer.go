package raw

import (
	"io"

	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
	"github.com/stratus-iaas/stratus/internal/pagecache"
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
	fd   uintptr // for pagecache; 0 when f is not an *os.File-like file
	// dropped is the offset below which Commit has dropped written pages.
	dropped int64
	sync    pagecache.Syncer // background fdatasyncs, when SyncEvery set it
}

// SyncEvery makes the writer fdatasync the output in the background each
// n bytes, for a caller that fsyncs it at the end (pagecache.Syncer).
func (w *Writer) SyncEvery(n int64) { w.sync.Every = n }

// WaitSync waits for a background fdatasync: before the file is closed
// when Close was not called (a failed conversion).
func (w *Writer) WaitSync() error { return w.sync.Wait() }

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
		w.fd = fdf.Fd()
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
	if w.fd != 0 && len(runs) > 0 {
		pagecache.StartWriteback(w.fd, off, int64(len(p)))
	}
	return nil, nil
}

// Commit drops from the page cache what was written pagecache.Lag ago
// (Encode started its writeback): the output is not read back. Commit
// runs in order, so the dropped prefix only grows.
func (w *Writer) Commit(off, n int64, p []byte, enc any) error {
	if w.fd != 0 {
		w.sync.Wrote(w.fd, off+n)
	}
	if end := off + n - pagecache.Lag; w.fd != 0 && end > w.dropped {
		pagecache.Drop(w.fd, w.dropped, end-w.dropped)
		w.dropped = end
	}
	return nil
}

// Close sets the final size, leaving a trailing hole if needed.
func (w *Writer) Close() error {
	if err := w.sync.Wait(); err != nil {
		return &diskimage.Error{Kind: diskimage.KindIO, Format: "raw", Reason: "syncing output", Err: err}
	}
	if err := w.f.Truncate(w.size); err != nil {
		return &diskimage.Error{Kind: diskimage.KindIO, Format: "raw", Reason: "truncating output", Err: err}
	}
	return nil
}
