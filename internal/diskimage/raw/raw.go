// Package raw reads and writes raw disk images for the conversion engine.
package raw

import (
	"io"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

// Reader exposes a raw image as a disk.Reader: every chunk is data (the
// writers detect zeros).
type Reader struct {
	r       io.ReaderAt
	size    int64
	off     int64
	holes   holeFinder
	dataEnd int64 // end of the current data run, from SEEK_HOLE
}

// NewReader returns a reader of the size bytes of r.
func NewReader(r io.ReaderAt, size int64) *Reader {
	return &Reader{r: r, size: size, holes: newHoleFinder(r)}
}

// Size is the virtual size.
func (r *Reader) Size() int64 { return r.size }

// Next returns one chunk of data at a time.
func (r *Reader) Next() (disk.Extent, error) {
	if r.off >= r.size {
		return disk.Extent{}, io.EOF
	}
	end := disk.ChunkEnd(r.off, r.size)
	if r.off >= r.dataEnd {
		data, hole, ok := r.holes.next(r.off, r.size)
		switch {
		case !ok:
			r.dataEnd = r.size
		case data > r.off:
			x := disk.Extent{Off: r.off, Len: data - r.off, Kind: disk.Hole}
			r.off = data
			return x, nil
		default:
			r.dataEnd = hole
		}
	}
	end = min(end, r.dataEnd)
	x := disk.Extent{Off: r.off, Len: end - r.off, Kind: disk.Data, Src: r.r, SrcOff: r.off}
	r.off = end
	return x, nil
}

// StreamReader reads a raw image of known size from a stream, one chunk
// at a time.
type StreamReader struct {
	r    io.Reader
	size int64
	off  int64
}

// NewStreamReader returns a reader of the first size bytes of r.
func NewStreamReader(r io.Reader, size int64) *StreamReader {
	return &StreamReader{r: r, size: size}
}

// Size is the virtual size.
func (r *StreamReader) Size() int64 { return r.size }

// Next reads the next chunk into memory.
func (r *StreamReader) Next() (disk.Extent, error) {
	if r.off >= r.size {
		return disk.Extent{}, io.EOF
	}
	end := disk.ChunkEnd(r.off, r.size)
	b := make([]byte, end-r.off)
	if err := disk.ReadFull(r.r, b, "raw", "data"); err != nil {
		return disk.Extent{}, err
	}
	x := disk.Extent{Off: r.off, Len: end - r.off, Kind: disk.Data, Load: func(buf []byte) error {
		copy(buf, b)
		return nil
	}}
	r.off = end
	return x, nil
}
