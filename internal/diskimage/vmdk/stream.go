package vmdk

import (
	"bufio"
	"encoding/binary"
	"io"

	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

// StreamReader reads a streamOptimized image front to back from an
// io.Reader: grains (with markers) must come in increasing order, which is
// what VMware and qemu-img write. Grain tables, the grain directory and the
// footer are skipped; the end-of-stream marker ends the image.
type StreamReader struct {
	r       io.Reader
	h       *Header
	size    int64
	grain   int64
	pos     int64 // virtual offset covered so far
	pending []disk.Extent
	done    bool
	sec     []byte
}

// NewStreamReader reads the header and skips to the first grain.
func NewStreamReader(r io.Reader) (*StreamReader, error) {
	s := &StreamReader{r: bufio.NewReaderSize(r, 1<<20), sec: make([]byte, sector)}
	if err := disk.ReadFull(r, s.sec, format, "header"); err != nil {
		return nil, err
	}
	h, err := parseHeader(s.sec)
	if err != nil {
		return nil, err
	}
	if !h.compressed || !h.markers {
		return nil, disk.Unsupported(format, "not a streamOptimized image (no compressed grains with markers)")
	}
	if err := h.check(); err != nil {
		return nil, err
	}
	if h.OverHead < 1 {
		return nil, disk.Corrupt(format, "overhead %d sectors", h.OverHead)
	}
	if err := s.skip(int64(h.OverHead-1) * sector); err != nil {
		return nil, err
	}
	s.h, s.size, s.grain = h, int64(h.Capacity)*sector, int64(h.GrainSize)*sector
	return s, nil
}

// Size is the virtual size.
func (s *StreamReader) Size() int64 { return s.size }

func (s *StreamReader) skip(n int64) error {
	if n < 0 || n > 1<<40 {
		return disk.Corrupt(format, "bad metadata size")
	}
	m, err := io.CopyN(io.Discard, s.r, n)
	if m == n {
		return nil
	}
	if err == nil || err == io.EOF {
		return disk.Corrupt(format, "stream ends inside metadata")
	}
	return &diskimage.Error{Kind: diskimage.KindIO, Format: format, Reason: "reading metadata", Err: err}
}

// Next returns the next extent read from the stream.
func (s *StreamReader) Next() (disk.Extent, error) {
	for len(s.pending) == 0 {
		if s.done {
			return disk.Extent{}, io.EOF
		}
		if err := s.readMarker(); err != nil {
			return disk.Extent{}, err
		}
	}
	x := s.pending[0]
	s.pending = s.pending[1:]
	return x, nil
}

func (s *StreamReader) hole(to int64) {
	if to > s.pos {
		s.pending = append(s.pending, disk.Extent{Off: s.pos, Len: to - s.pos, Kind: disk.Hole})
		s.pos = to
	}
}

func (s *StreamReader) readMarker() error {
	if err := disk.ReadFull(s.r, s.sec, format, "marker"); err != nil {
		return err
	}
	le := binary.LittleEndian
	val := le.Uint64(s.sec)
	size := int64(le.Uint32(s.sec[8:]))
	if size == 0 {
		switch typ := le.Uint32(s.sec[12:]); typ {
		case markerEOS:
			s.hole(s.size)
			s.done = true
			return nil
		case markerGT, markerGD, markerFooter:
			if val > 1<<31 {
				return disk.Corrupt(format, "metadata marker of %d sectors", val)
			}
			return s.skip(int64(val) * sector)
		default:
			return disk.Corrupt(format, "unknown marker type %d", typ)
		}
	}
	if size > 2*s.grain+1024 {
		return disk.Corrupt(format, "grain of %d compressed bytes", size)
	}
	if val%s.h.GrainSize != 0 || val >= s.h.Capacity {
		return disk.Corrupt(format, "grain at sector %d misaligned or beyond the capacity", val)
	}
	off := int64(val) * sector
	if off < s.pos {
		return disk.Unsupported(format, "grains out of order (sector %d); cannot stream", val)
	}
	total := (12 + size + sector - 1) / sector * sector
	b := make([]byte, total-12)
	copy(b, s.sec[12:])
	if total > sector {
		if err := disk.ReadFull(s.r, b[sector-12:], format, "grain"); err != nil {
			return err
		}
	}
	b = b[:size]
	s.hole(off)
	n := min(s.grain, s.size-off)
	s.pending = append(s.pending, disk.Extent{Off: off, Len: n, Kind: disk.Data, Load: func(buf []byte) error {
		if err := disk.InflateZlib(buf, b); err != nil {
			return disk.CorruptErr(format, err, "grain at sector %d", val)
		}
		return nil
	}})
	s.pos = off + n
	return nil
}
