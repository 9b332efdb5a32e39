package convert

import (
	"bytes"
	"encoding/binary"
	"io"

	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
	"github.com/stratus-iaas/stratus/internal/diskimage/qcow2"
	"github.com/stratus-iaas/stratus/internal/diskimage/raw"
	"github.com/stratus-iaas/stratus/internal/diskimage/vhd"
	"github.com/stratus-iaas/stratus/internal/diskimage/vhdx"
	"github.com/stratus-iaas/stratus/internal/diskimage/vmdk"
	"github.com/stratus-iaas/stratus/internal/pagecache"
)

func openReader(src Source, format string) (disk.Reader, error) {
	if f, err := readerFormat(diskimage.Format(format)); err == nil {
		format = f // iso, gpt, mbr: raw disks (declared with SkipInspect)
	}
	if src.ReaderAt == nil {
		switch format {
		case "vmdk":
			return vmdk.NewStreamReader(src.Reader)
		case "raw":
			return raw.NewStreamReader(src.Reader, src.Size), nil
		}
		return nil, diskimage.Errorf(diskimage.KindUnsupported, format, "cannot be converted from a stream")
	}
	switch format {
	case "raw":
		return raw.NewReader(src.ReaderAt, src.Size), nil
	case "qcow2":
		return qcow2.NewReader(src.ReaderAt, src.Size)
	case "vmdk":
		return vmdk.NewReader(src.ReaderAt, src.Size)
	case "vhd":
		return vhd.NewReader(src.ReaderAt, src.Size)
	case "vhdx":
		return vhdx.NewReader(src.ReaderAt, src.Size)
	}
	return nil, unknownFormat(format)
}

// backgroundSyncer is a writer of a file that can fdatasync it as it goes
// (pagecache.Syncer), for a caller that fsyncs the output at the end.
type backgroundSyncer interface {
	SyncEvery(n int64)
	// WaitSync waits for a running fdatasync; Close does it too, but a
	// failed conversion does not call Close before the file is closed.
	WaitSync() error
}

func openWriter(dst io.Writer, size int64, opts Options) (disk.Writer, error) {
	w, err := newWriter(dst, size, opts)
	if err != nil {
		return nil, err
	}
	if bs, ok := w.(backgroundSyncer); ok && opts.Sync {
		bs.SyncEvery(pagecache.SyncStep)
	}
	return w, nil
}

func newWriter(dst io.Writer, size int64, opts Options) (disk.Writer, error) {
	switch opts.DstFormat {
	case "raw":
		f, ok := dst.(raw.File)
		if !ok {
			return nil, diskimage.Errorf(diskimage.KindUnsupported, "raw", "output must be a seekable file")
		}
		return raw.NewWriter(f, size)
	case "qcow2":
		f, ok := dst.(qcow2.File)
		if !ok {
			return nil, diskimage.Errorf(diskimage.KindUnsupported, "qcow2", "output must be a seekable file")
		}
		return qcow2.NewWriter(f, size, opts.Compress)
	case "vmdk":
		return vmdk.NewStreamWriter(dst, size, opts.vmdkName)
	}
	return nil, unknownFormat(opts.DstFormat)
}

// Probe guesses the format of an image from its magic numbers, like
// qemu-img does; anything unrecognised is raw.
func Probe(r io.ReaderAt, size int64) string {
	head := make([]byte, 512)
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	switch {
	case len(head) >= 4 && binary.BigEndian.Uint32(head) == 0x514649fb:
		return "qcow2"
	case bytes.HasPrefix(head, []byte("KDMV")) || bytes.HasPrefix(head, []byte("# Disk DescriptorFile")):
		return "vmdk"
	case bytes.HasPrefix(head, []byte("vhdxfile")):
		return "vhdx"
	case bytes.HasPrefix(head, []byte("conectix")):
		return "vhd"
	}
	if size >= 512 {
		tail := make([]byte, 8)
		if n, _ := r.ReadAt(tail, size-512); n == 8 && string(tail) == "conectix" {
			return "vhd"
		}
	}
	return "raw"
}
