// Package convert converts disk images between formats (raw, qcow2, vmdk,
// vhd, vhdx) the way `qemu-img convert` does, streaming where the source
// format allows, with parallel (de)compression and on-the-fly checksums.
package convert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/stratus-iaas/stratus/internal/diskimage"
)

// Options select formats and extras of a conversion.
type Options struct {
	SrcFormat string // raw, qcow2, vmdk, vhd (alias vpc), vhdx; "" probes
	DstFormat string // raw, qcow2, vmdk (streamOptimized)
	// Compress writes compressed qcow2 clusters (vmdk output is always
	// compressed: streamOptimized).
	Compress bool
	// Progress, when set, is called from one goroutine after each chunk
	// with the virtual bytes done and the virtual size.
	Progress func(done, total int64)
	// Hashes names the checksums to compute of the source and the output:
	// any of md5, sha1, sha256, sha512.
	Hashes []string
	// SrcHashes and OutHashes, when set, replace Hashes for the source or
	// the output alone (an import checks the source's SHA1 and records the
	// output's md5 and sha512).
	SrcHashes []string
	OutHashes []string
	// Workers bounds the parallel workers; 0 means runtime.GOMAXPROCS(0).
	Workers int
	// Sync fsyncs the output before ConvertFile returns.
	Sync bool
	// SkipInspect skips the safety inspection (diskimage.Inspect, or
	// InspectPrefix for streams) that otherwise runs before any of the
	// source is read; only for images the caller already inspected.
	SkipInspect bool

	vmdkName string // extent file name for the vmdk descriptor
}

// Result describes a finished conversion.
type Result struct {
	SrcFormat   string
	DstFormat   string
	VirtualSize int64
	SrcBytes    int64             // bytes of the source image
	OutBytes    int64             // bytes of the output image
	SrcSums     map[string]string // hex checksums of the source bytes
	OutSums     map[string]string // hex checksums of the output bytes
}

// Source is the image to convert: either random access (ReaderAt + Size)
// or a stream (Reader). Only streamOptimized vmdk and raw (with Size) can
// be converted from a stream.
type Source struct {
	ReaderAt io.ReaderAt
	Size     int64
	Reader   io.Reader
}

// Convert converts src into dst. Raw and qcow2 output need dst to be an
// io.WriterAt with Truncate (an *os.File); vmdk output is written
// sequentially to any io.Writer.
func Convert(ctx context.Context, src Source, dst io.Writer, opts Options) (*Result, error) {
	sh, err := newHashSet(pick(opts.SrcHashes, opts.Hashes))
	if err != nil {
		return nil, err
	}
	oh, err := newHashSet(pick(opts.OutHashes, opts.Hashes))
	if err != nil {
		return nil, err
	}
	opts.SrcFormat = normFormat(opts.SrcFormat)
	opts.DstFormat = normFormat(opts.DstFormat)
	res := &Result{SrcFormat: opts.SrcFormat, DstFormat: opts.DstFormat}

	// Source hashing: a stream is hashed as it is read; a random-access
	// source is hashed by a concurrent sequential reader.
	var srcCount *countWriter
	var srcDone chan error
	stopHash := func() {}
	if src.Reader != nil {
		srcCount = &countWriter{w: sh.writer()}
		src.Reader = io.TeeReader(src.Reader, srcCount)
	} else if src.ReaderAt == nil {
		return nil, errors.New("convert: source has neither Reader nor ReaderAt")
	}
	// Nothing of the image is trusted before the inspector has seen it.
	switch {
	case opts.SkipInspect && opts.SrcFormat == "":
		if src.ReaderAt == nil {
			return nil, diskimage.Errorf(diskimage.KindUnsupported, "", "source format must be given for a stream")
		}
		opts.SrcFormat = Probe(src.ReaderAt, src.Size)
	case opts.SkipInspect:
	case src.ReaderAt != nil:
		if opts.SrcFormat, err = inspectAt(src.ReaderAt, src.Size, opts.SrcFormat); err != nil {
			return nil, err
		}
	default:
		if src.Reader, opts.SrcFormat, err = inspectStream(src.Reader, src.Size, opts.SrcFormat); err != nil {
			return nil, err
		}
	}
	res.SrcFormat = opts.SrcFormat
	rd, err := openReader(src, opts.SrcFormat)
	if err != nil {
		return nil, err
	}
	res.VirtualSize = rd.Size()
	if src.Reader == nil && len(sh) > 0 {
		srcDone = make(chan error, 1)
		hctx, hcancel := context.WithCancel(ctx)
		defer hcancel()
		stopHash = hcancel
		go func() { srcDone <- hashReaderAt(hctx, src.ReaderAt, src.Size, sh.writer()) }()
	}

	var outCount *countWriter
	if opts.DstFormat == "vmdk" {
		outCount = &countWriter{w: oh.writer(), next: dst}
		dst = outCount
	}
	// Like qemu-img convert, the output covers whole 512-byte sectors.
	outSize := (rd.Size() + 511) &^ 511
	wr, err := openWriter(dst, outSize, opts)
	if err != nil {
		return nil, err
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	pl := &pipeline{rd: rd, wr: wr, format: opts.SrcFormat, workers: workers}
	total := rd.Size()
	pl.onCommit = func(off, n int64, p []byte) error {
		if opts.DstFormat == "raw" && len(oh) > 0 {
			if p != nil {
				oh.writer().Write(p)
			} else {
				writeZeros(oh.writer(), n)
			}
		}
		if opts.Progress != nil {
			opts.Progress(off+n, total)
		}
		return nil
	}
	if opts.Progress != nil {
		opts.Progress(0, total)
	}
	err = pl.run(ctx)
	if err == nil && opts.DstFormat == "raw" && len(oh) > 0 {
		writeZeros(oh.writer(), outSize-total)
	}
	if err == nil {
		err = wr.Close()
	} else if bs, ok := wr.(backgroundSyncer); ok {
		bs.WaitSync() // the caller closes the file next
	}
	if src.Reader != nil && err == nil {
		// Hash (and count) whatever trails the image in the stream.
		if _, cerr := io.Copy(io.Discard, src.Reader); cerr != nil {
			err = &diskimage.Error{Kind: diskimage.KindIO, Format: opts.SrcFormat, Reason: "reading source", Err: cerr}
		}
	}
	if srcDone != nil {
		if err != nil {
			stopHash() // a failed conversion does not wait for the checksum
		}
		if herr := <-srcDone; err == nil {
			err = herr
		}
	}
	if err != nil {
		return nil, err
	}
	res.SrcBytes = src.Size
	if srcCount != nil {
		res.SrcBytes = srcCount.n
	}
	switch opts.DstFormat {
	case "raw":
		res.OutBytes = outSize
	case "vmdk":
		res.OutBytes = outCount.n
	default:
		res.OutBytes = wr.(interface{ FileSize() int64 }).FileSize()
		if len(oh) > 0 {
			ra, ok := dst.(io.ReaderAt)
			if !ok {
				return nil, errors.New("convert: output checksums of qcow2 need a readable output")
			}
			if err := hashReaderAt(ctx, ra, res.OutBytes, oh.writer()); err != nil {
				return nil, err
			}
		}
	}
	res.SrcSums = sh.sums()
	res.OutSums = oh.sums()
	return res, nil
}

// ConvertFile inspects srcPath and converts it into dstPath (created or
// truncated).
func ConvertFile(ctx context.Context, srcPath, dstPath string, opts Options) (*Result, error) {
	f, err := os.Open(srcPath)
	if err != nil {
		return nil, &diskimage.Error{Kind: diskimage.KindIO, Reason: "opening source", Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &diskimage.Error{Kind: diskimage.KindIO, Reason: "opening source", Err: err}
	}
	if !opts.SkipInspect {
		// Inspect the whole file, then let Convert skip it.
		if opts.SrcFormat, err = inspectAt(f, st.Size(), normFormat(opts.SrcFormat)); err != nil {
			return nil, err
		}
		opts.SkipInspect = true
	} else if opts.SrcFormat == "" {
		opts.SrcFormat = Probe(f, st.Size())
	}
	if dst, err := os.Stat(dstPath); err == nil && os.SameFile(st, dst) {
		return nil, diskimage.Errorf(diskimage.KindUnsupported, "", "source and output are the same file")
	}
	out, err := os.OpenFile(dstPath, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, &diskimage.Error{Kind: diskimage.KindIO, Reason: "creating output", Err: err}
	}
	// A file is read through its metadata (for a streamOptimized vmdk,
	// its grain directory and tables, found through the footer), as
	// qemu-img reads it, never from its grain markers as a stream is:
	// tables and markers can disagree (docs/decisions.md).
	src := Source{ReaderAt: f, Size: st.Size()}
	opts.vmdkName = filepath.Base(dstPath)
	res, err := Convert(ctx, src, out, opts)
	if err == nil && opts.Sync {
		if serr := out.Sync(); serr != nil {
			err = &diskimage.Error{Kind: diskimage.KindIO, Reason: "syncing output", Err: serr}
		}
	}
	if cerr := out.Close(); err == nil && cerr != nil {
		err = &diskimage.Error{Kind: diskimage.KindIO, Reason: "closing output", Err: cerr}
	}
	if err != nil {
		os.Remove(dstPath)
		return nil, err
	}
	return res, nil
}

func pick(side, both []string) []string {
	if side != nil {
		return side
	}
	return both
}

func normFormat(f string) string {
	switch f {
	case "vpc":
		return "vhd"
	}
	return f
}

type countWriter struct {
	w    io.Writer // hashes, may be io.Discard
	next io.Writer // optional real destination
	n    int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.next != nil {
		n, err := c.next.Write(p)
		c.n += int64(n)
		c.w.Write(p[:n])
		return n, err
	}
	c.n += int64(len(p))
	c.w.Write(p)
	return len(p), nil
}

func unknownFormat(f string) error {
	return diskimage.Errorf(diskimage.KindUnsupported, f, "%s", fmt.Sprintf("format %q not supported", f))
}
