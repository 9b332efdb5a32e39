package hypervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
)

// MakeRootDisk writes the root disk of a server to path: the image's bytes
// as raw, grown to size bytes (0 keeps the image's virtual size). A raw
// image held in a local file is cloned (FICLONE, sharing blocks) where the
// filesystem allows and copied sparsely (only its data extents) where it
// does not; other formats are converted by the disk-image engine, which
// inspects them first. The disk appears at path only when complete.
// Drivers share it; it is exported for the QEMU driver to come.
func MakeRootDisk(ctx context.Context, img Image, path string, size int64) (err error) {
	tmp := path + ".part"
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	os.Remove(tmp)
	switch {
	case img.Format == "raw" && img.Path != "":
		err = cloneOrCopy(ctx, img.Path, tmp)
	case img.Path != "":
		_, err = convert.ConvertFile(ctx, img.Path, tmp, convert.Options{SrcFormat: img.Format, DstFormat: "raw"})
	case img.Open != nil:
		err = convertFrom(ctx, img, tmp)
	default:
		return fmt.Errorf("image %s: no bytes to read", img.ID)
	}
	if err != nil {
		return fmt.Errorf("root disk from image %s: %w", img.ID, err)
	}
	st, err := os.Stat(tmp)
	if err != nil {
		return err
	}
	if size > 0 && st.Size() > size {
		return fmt.Errorf("image %s (%d bytes) is larger than the root disk (%d bytes)", img.ID, st.Size(), size)
	}
	if size > st.Size() {
		if err := os.Truncate(tmp, size); err != nil {
			return err
		}
	}
	return os.Rename(tmp, path)
}

func convertFrom(ctx context.Context, img Image, dst string) error {
	r, err := img.Open(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	out, err := os.OpenFile(dst, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = convert.Convert(ctx, convert.Source{ReaderAt: r, Size: r.Size()}, out, convert.Options{SrcFormat: img.Format, DstFormat: "raw"})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// cloneOrCopy makes dst a copy of src: a reflink clone when the filesystem
// can share blocks, else a sparse copy of src's data extents.
func cloneOrCopy(ctx context.Context, src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	err = unix.IoctlFileClone(int(out.Fd()), int(in.Fd()))
	if err != nil {
		err = sparseCopy(ctx, in, out)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// sparseCopy copies the data extents of in to the same offsets of out
// (in-kernel, copy_file_range where possible) and leaves the holes as
// holes; out ends as long as in.
func sparseCopy(ctx context.Context, in, out *os.File) error {
	st, err := in.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	if err := out.Truncate(size); err != nil {
		return err
	}
	off := int64(0)
	for off < size {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := in.Seek(off, unix.SEEK_DATA)
		if errors.Is(err, syscall.ENXIO) {
			return nil // only a hole is left
		}
		if err != nil {
			// The filesystem cannot tell: copy the rest as it is.
			data = off
		}
		end := size
		if err == nil {
			if h, herr := in.Seek(data, unix.SEEK_HOLE); herr == nil {
				end = h
			}
		}
		if err := copyRange(in, out, data, end-data); err != nil {
			return err
		}
		off = end
	}
	return nil
}

func copyRange(in, out *os.File, off, n int64) error {
	if _, err := in.Seek(off, io.SeekStart); err != nil {
		return err
	}
	if _, err := out.Seek(off, io.SeekStart); err != nil {
		return err
	}
	// *os.File.ReadFrom uses copy_file_range(2) for a limited *os.File.
	_, err := io.CopyN(out, in, n)
	return err
}

// CopyDisk copies a disk file sparsely (or clones it), for drivers that
// keep a copy to revert to.
func CopyDisk(ctx context.Context, src, dst string) error { return cloneOrCopy(ctx, src, dst) }
