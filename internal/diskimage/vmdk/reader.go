package vmdk

import (
	"encoding/binary"
	"io"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

// Reader reads a monolithicSparse or streamOptimized image through its
// grain directory (random access).
type Reader struct {
	disk.Merger
	r        io.ReaderAt
	fileSize int64
	h        *Header
	size     int64
	grain    int64 // bytes
	gd       []uint32
	gt       []uint32
	gtHoles  []int32 // gtHoles[i]: first non-zero entry at or after i
	gtAt     int64   // file offset of the loaded grain table, -1 if none
	off      int64
}

// NewReader parses the header (or footer), and the grain directory.
func NewReader(r io.ReaderAt, fileSize int64) (*Reader, error) {
	b := make([]byte, sector)
	if err := disk.ReadFullAt(r, b, 0, format, "header"); err != nil {
		return nil, err
	}
	h, err := parseHeader(b)
	if err != nil {
		return nil, err
	}
	if h.GDOffset == gdAtEnd {
		// streamOptimized: footer marker, footer, end-of-stream marker.
		if fileSize < 3*sector {
			return nil, disk.Corrupt(format, "file too short for a footer")
		}
		if err := disk.ReadFullAt(r, b, fileSize-2*sector, format, "footer"); err != nil {
			return nil, err
		}
		if h, err = parseHeader(b); err != nil {
			return nil, err
		}
		if h.GDOffset == gdAtEnd {
			return nil, disk.Corrupt(format, "footer has no grain directory")
		}
	}
	if err := h.check(); err != nil {
		return nil, err
	}
	if h.compressed && !h.markers {
		return nil, disk.Unsupported(format, "compressed grains without markers")
	}
	v := &Reader{r: r, fileSize: fileSize, h: h, size: int64(h.Capacity) * sector,
		grain: int64(h.GrainSize) * sector, gtAt: -1}
	span := int64(h.GrainSize) * int64(h.GTEsPerGT)
	n := (int64(h.Capacity) + span - 1) / span
	gdOff := int64(h.GDOffset) * sector
	if h.GDOffset > uint64(fileSize)/sector || gdOff+n*4 > fileSize {
		return nil, disk.Corrupt(format, "grain directory outside the file")
	}
	raw := make([]byte, n*4)
	if err := disk.ReadFullAt(r, raw, gdOff, format, "grain directory"); err != nil {
		return nil, err
	}
	v.gd = make([]uint32, n)
	for i := range v.gd {
		v.gd[i] = binary.LittleEndian.Uint32(raw[i*4:])
	}
	v.Produce = v.produce
	return v, nil
}

// Size is the virtual size.
func (v *Reader) Size() int64 { return v.size }

// loadGT loads grain table i, cached by file offset with a skip list over
// unallocated entries (see the qcow2 reader for why).
func (v *Reader) loadGT(i int) error {
	n := int64(v.h.GTEsPerGT)
	off := int64(v.gd[i]) * sector
	if off == v.gtAt {
		return nil
	}
	if off+n*4 > v.fileSize {
		return disk.Corrupt(format, "grain table %d outside the file", i)
	}
	raw := make([]byte, n*4)
	if err := disk.ReadFullAt(v.r, raw, off, format, "grain table"); err != nil {
		return err
	}
	if v.gt == nil {
		v.gt = make([]uint32, n)
		v.gtHoles = make([]int32, n)
	}
	next := int32(n)
	for k := len(v.gt) - 1; k >= 0; k-- {
		v.gt[k] = binary.LittleEndian.Uint32(raw[k*4:])
		if v.gt[k] != 0 {
			next = int32(k)
		}
		v.gtHoles[k] = next
	}
	v.gtAt = off
	return nil
}

func (v *Reader) produce() (disk.Extent, error) {
	if v.off >= v.size {
		return disk.Extent{}, io.EOF
	}
	span := v.grain * int64(v.h.GTEsPerGT)
	i := int(v.off / span)
	if v.gd[i] == 0 {
		end := min(int64(i+1)*span, v.size)
		x := disk.Extent{Off: v.off, Len: end - v.off, Kind: disk.Hole}
		v.off = end
		return x, nil
	}
	if err := v.loadGT(i); err != nil {
		return disk.Extent{}, err
	}
	k := (v.off % span) / v.grain
	e := v.gt[k]
	if e == 0 {
		end := min(int64(i)*span+int64(v.gtHoles[k])*v.grain, v.size)
		x := disk.Extent{Off: v.off, Len: end - v.off, Kind: disk.Hole}
		v.off = end
		return x, nil
	}
	x := disk.Extent{Off: v.off, Len: min(v.grain, v.size-v.off)}
	v.off += x.Len
	switch {
	case e == 0:
		x.Kind = disk.Hole
	case e == 1 && v.h.zeroGrainValid:
		x.Kind = disk.Zero
	case v.h.compressed:
		return v.compressed(x, int64(e)*sector)
	default:
		at := int64(e) * sector
		if at+x.Len > v.fileSize {
			return disk.Extent{}, disk.Corrupt(format, "grain at sector %d outside the file", e)
		}
		x.Kind, x.Src, x.SrcOff = disk.Data, v.r, at
	}
	return x, nil
}

func (v *Reader) compressed(x disk.Extent, at int64) (disk.Extent, error) {
	if at+12 > v.fileSize {
		return disk.Extent{}, disk.Corrupt(format, "grain marker at %d outside the file", at)
	}
	// The compressed size is in the marker: read the marker and the largest
	// grain allowed (the pipeline reads neighbouring grains together).
	grain := v.grain
	x.Kind, x.Src, x.SrcOff = disk.Data, v.r, at
	x.SrcLen = min(12+2*grain+1024, v.fileSize-at)
	x.Decode = func(buf, src []byte) error {
		n := int64(binary.LittleEndian.Uint32(src[8:]))
		if n == 0 || 12+n > int64(len(src)) {
			return disk.Corrupt(format, "grain at %d has bad compressed size %d", at, n)
		}
		if err := disk.InflateZlib(buf, src[12:12+n]); err != nil {
			return disk.CorruptErr(format, err, "grain at %d", at)
		}
		return nil
	}
	return x, nil
}
