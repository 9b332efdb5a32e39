// Package disk is the common abstraction between the per-format readers and
// writers of the conversion engine: a guest disk is a virtual size and an
// ordered sequence of extents (data, zero, unallocated). Readers yield
// extents front to back; the conversion pipeline loads data extents in
// parallel workers and hands them, in order, to a format writer.
package disk

import (
	"errors"
	"io"

	"github.com/stratus-iaas/stratus/internal/diskimage"
)

// ChunkSize is the unit of work of the pipeline. Data extents never cross a
// ChunkSize-aligned virtual boundary, so a chunk buffer always holds whole
// extents; 2 MiB is the largest qcow2 cluster.
const ChunkSize = 2 << 20

// Kind is what an extent holds.
type Kind uint8

const (
	Data Kind = iota // guest data, fetched with Extent.Load
	Zero             // allocated (or flagged) but reads as zeros
	Hole             // unallocated; reads as zeros
)

func (k Kind) String() string {
	switch k {
	case Data:
		return "data"
	case Zero:
		return "zero"
	default:
		return "hole"
	}
}

// Extent is a run of the virtual disk.
type Extent struct {
	Off, Len int64
	Kind     Kind
	// Load, when set, fills buf (len(buf) == Len) with the guest bytes of a
	// Data extent (e.g. by decompressing). It may run on any goroutine, concurrently with other Loads
	// and with Next; it must not touch reader state that Next mutates.
	Load func(buf []byte) error
	// Src/SrcOff describe uncompressed data stored contiguously in the
	// source; used when Load is nil.
	Src    io.ReaderAt
	SrcOff int64
	// Decode, when set, says the extent is the SrcLen compressed bytes at
	// SrcOff in Src, which Decode expands into dst (len(dst) == Len). The
	// pipeline reads adjacent compressed extents with one read.
	Decode func(dst, src []byte) error
	SrcLen int64
}

// Fetch fills buf (len(buf) == x.Len) with the extent's guest bytes.
func (x *Extent) Fetch(buf []byte, format string) error {
	switch {
	case x.Kind != Data:
		clear(buf)
		return nil
	case x.Load != nil:
		return x.Load(buf)
	case x.Decode != nil:
		src := make([]byte, x.SrcLen)
		if err := ReadFullAt(x.Src, src, x.SrcOff, format, "compressed data"); err != nil {
			return err
		}
		return x.Decode(buf, src)
	case x.Src != nil:
		return ReadFullAt(x.Src, buf, x.SrcOff, format, "data")
	}
	return errors.New("disk: data extent without a source")
}

// Reader is a guest disk read front to back.
type Reader interface {
	// Size is the virtual size in bytes.
	Size() int64
	// Next returns the next extent. Extents are contiguous, in increasing
	// order, cover [0, Size()) and Data extents never cross a ChunkSize
	// boundary. It returns io.EOF after the last one.
	Next() (Extent, error)
}

// ChunkEnd returns the end of the chunk containing off, capped at limit.
func ChunkEnd(off, limit int64) int64 {
	e := (off/ChunkSize + 1) * ChunkSize
	if e > limit {
		e = limit
	}
	return e
}

// ReadFullAt reads len(p) bytes at off, mapping short reads to a corrupt
// error for format and other failures to an I/O error.
func ReadFullAt(r io.ReaderAt, p []byte, off int64, format, what string) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return diskimage.Errorf(diskimage.KindCorrupt, format, "%s at offset %d extends past the end of the file", what, off)
	}
	return &diskimage.Error{Kind: diskimage.KindIO, Format: format, Reason: "reading " + what, Err: err}
}

// ReadFull reads len(p) bytes from a stream with the same error mapping.
func ReadFull(r io.Reader, p []byte, format, what string) error {
	_, err := io.ReadFull(r, p)
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return diskimage.Errorf(diskimage.KindCorrupt, format, "stream ends inside %s", what)
	}
	return &diskimage.Error{Kind: diskimage.KindIO, Format: format, Reason: "reading " + what, Err: err}
}

// Corrupt is a shorthand for a KindCorrupt error.
func Corrupt(format, reason string, args ...any) error {
	return diskimage.Errorf(diskimage.KindCorrupt, format, reason, args...)
}

// CorruptErr is a KindCorrupt error wrapping err.
func CorruptErr(format string, err error, reason string, args ...any) error {
	e := diskimage.Errorf(diskimage.KindCorrupt, format, reason, args...)
	e.Err = err
	return e
}

// Unsupported is a shorthand for a KindUnsupported error.
func Unsupported(format, reason string, args ...any) error {
	return diskimage.Errorf(diskimage.KindUnsupported, format, reason, args...)
}

// Unsafe is a shorthand for a KindUnsafe error.
func Unsafe(format, reason string, args ...any) error {
	return diskimage.Errorf(diskimage.KindUnsafe, format, reason, args...)
}

// Merger turns a producer of small extents (typically one per cluster)
// into a Reader-style Next that merges adjacent Zero/Hole runs and adjacent
// uncompressed Data extents that are contiguous in the source, without
// crossing a chunk boundary.
type Merger struct {
	Produce func() (Extent, error) // returns io.EOF after the last extent
	have    bool
	done    bool
	cur     Extent
}

func canMerge(a, b Extent) bool {
	if a.Kind != b.Kind || a.Off+a.Len != b.Off {
		return false
	}
	if a.Kind != Data {
		return true
	}
	return a.Load == nil && b.Load == nil && a.Decode == nil && b.Decode == nil && a.Src == b.Src && a.SrcOff+a.Len == b.SrcOff &&
		a.Off/ChunkSize == (b.Off+b.Len-1)/ChunkSize
}

// Next returns the next merged extent, or io.EOF.
func (m *Merger) Next() (Extent, error) {
	for !m.done {
		x, err := m.Produce()
		if err == io.EOF {
			m.done = true
			break
		}
		if err != nil {
			return Extent{}, err
		}
		if x.Len <= 0 {
			continue
		}
		if !m.have {
			m.cur, m.have = x, true
			continue
		}
		if canMerge(m.cur, x) {
			m.cur.Len += x.Len
			continue
		}
		out := m.cur
		m.cur = x
		return out, nil
	}
	if m.have {
		m.have = false
		return m.cur, nil
	}
	return Extent{}, io.EOF
}

// Clear zeroes p.
func Clear(p []byte) { clear(p) }

// IsZero reports whether p is all zeros.
func IsZero(p []byte) bool {
	for len(p) >= 64 {
		var acc uint64
		for i := 0; i < 64; i += 8 {
			acc |= uint64(p[i]) | uint64(p[i+1])<<8 | uint64(p[i+2])<<16 | uint64(p[i+3])<<24 |
				uint64(p[i+4])<<32 | uint64(p[i+5])<<40 | uint64(p[i+6])<<48 | uint64(p[i+7])<<56
		}
		if acc != 0 {
			return false
		}
		p = p[64:]
	}
	for _, b := range p {
		if b != 0 {
			return false
		}
	}
	return true
}

// Writer is a destination format. Encode runs concurrently in workers;
// Commit and Close run on one goroutine, Commit in increasing offset order
// with contiguous chunks covering the whole virtual disk.
type Writer interface {
	// Encode prepares the chunk [off, off+len(p)) of guest bytes (zero
	// detection, compression). p is never nil here.
	Encode(off int64, p []byte) (any, error)
	// Commit writes a chunk. p == nil means the n bytes at off read as
	// zeros and need not be encoded (n may then span many chunks); other
	// chunks come with Encode's result.
	Commit(off, n int64, p []byte, enc any) error
	// Close writes trailing metadata. It is called once after the last
	// Commit, only on success.
	Close() error
}

// ZeroRuns returns the [start,end) byte ranges of p holding non-zero data,
// judged in blocks of bs bytes (the last block may be short).
func NonZeroRuns(p []byte, bs int) [][2]int {
	var runs [][2]int
	for s := 0; s < len(p); s += bs {
		e := min(s+bs, len(p))
		if IsZero(p[s:e]) {
			continue
		}
		if n := len(runs); n > 0 && runs[n-1][1] == s {
			runs[n-1][1] = e
		} else {
			runs = append(runs, [2]int{s, e})
		}
	}
	return runs
}
