// Package vhd reads fixed and dynamic VHD (Virtual PC / Hyper-V v1)
// images for the conversion engine, per Microsoft's "Virtual Hard Disk
// Image Format Specification".
package vhd

import (
	"bytes"
	"encoding/binary"
	"io"

	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

const (
	format      = "vhd"
	sector      = 512
	typeFixed   = 2
	typeDynamic = 3
	typeDiff    = 4
	unallocated = 0xffffffff
	maxBATBytes = 64 << 20
	maxBlock    = 256 << 20
)

// Footer is the part of the hard disk footer the reader uses.
type Footer struct {
	Size       int64 // virtual size, by the inspector's rule
	DataOffset uint64
	DiskType   uint32
}

func parseFooter(b []byte) (*Footer, error) {
	be := binary.BigEndian
	if len(b) < sector || !bytes.Equal(b[:8], []byte("conectix")) {
		return nil, disk.Corrupt(format, "no footer cookie")
	}
	var sum uint32
	for i, c := range b[:sector] {
		if i < 64 || i >= 68 {
			sum += uint32(c)
		}
	}
	if ^sum != be.Uint32(b[64:]) {
		return nil, disk.Corrupt(format, "footer checksum mismatch")
	}
	f := &Footer{
		Size:       diskimage.VHDVirtualSize(b),
		DataOffset: be.Uint64(b[16:]),
		DiskType:   be.Uint32(b[60:]),
	}
	if f.Size > diskimage.VHDMaxSize {
		return nil, disk.Unsupported(format, diskimage.VHDTooLarge, f.Size)
	}
	return f, nil
}

// Reader is a disk.Reader over a VHD image.
type Reader struct {
	disk.Merger
	r     io.ReaderAt
	size  int64
	fixed bool
	block int64 // dynamic: block size in bytes
	bmap  int64 // dynamic: bytes of the sector bitmap preceding each block
	bat   []uint32
	fsize int64
	off   int64
}

// NewReader reads the footer and, for dynamic disks, the dynamic header
// and BAT. Like qemu, it trusts the copy of the footer at the start of
// the file when there is one (dynamic disks) and the end only when there
// is not (fixed disks); the inspector refuses copies that disagree.
func NewReader(r io.ReaderAt, fileSize int64) (*Reader, error) {
	if fileSize < sector {
		return nil, disk.Corrupt(format, "file too short")
	}
	b := make([]byte, sector)
	if err := disk.ReadFullAt(r, b, 0, format, "footer copy"); err != nil {
		return nil, err
	}
	atStart := bytes.Equal(b[:8], []byte("conectix"))
	if !atStart {
		if err := disk.ReadFullAt(r, b, fileSize-sector, format, "footer"); err != nil {
			return nil, err
		}
	}
	f, err := parseFooter(b)
	if err != nil {
		return nil, err
	}
	switch {
	case atStart && f.DiskType == typeFixed:
		return nil, disk.Corrupt(format, "fixed disk with its footer at the start")
	case !atStart && f.DiskType == typeDynamic:
		return nil, disk.Corrupt(format, "dynamic disk with no footer copy at the start")
	}
	v := &Reader{r: r, size: f.Size, fsize: fileSize}
	switch f.DiskType {
	case typeFixed:
		v.fixed = true
		if v.size > fileSize-sector {
			return nil, disk.Corrupt(format, "fixed disk of %d bytes in a %d-byte file", v.size, fileSize)
		}
	case typeDynamic:
		if err := v.readDynamic(f); err != nil {
			return nil, err
		}
	case typeDiff:
		return nil, disk.Unsafe(format, "differencing disk (has a parent)")
	default:
		return nil, disk.Unsupported(format, "disk type %d", f.DiskType)
	}
	v.Produce = v.produce
	return v, nil
}

func (v *Reader) readDynamic(f *Footer) error {
	be := binary.BigEndian
	if f.DataOffset > uint64(v.fsize) || int64(f.DataOffset)+1024 > v.fsize {
		return disk.Corrupt(format, "dynamic header outside the file")
	}
	h := make([]byte, 1024)
	if err := disk.ReadFullAt(v.r, h, int64(f.DataOffset), format, "dynamic header"); err != nil {
		return err
	}
	if !bytes.Equal(h[:8], []byte("cxsparse")) {
		return disk.Corrupt(format, "no dynamic header cookie")
	}
	batOff := be.Uint64(h[16:])
	entries := int64(be.Uint32(h[28:]))
	v.block = int64(be.Uint32(h[32:]))
	if v.block < sector || v.block > maxBlock || v.block&(v.block-1) != 0 {
		return disk.Corrupt(format, "block size %d", v.block)
	}
	v.bmap = ((v.block/sector+7)/8 + sector - 1) / sector * sector
	need := (v.size + v.block - 1) / v.block
	if entries < need {
		return disk.Corrupt(format, "BAT has %d entries, the disk needs %d", entries, need)
	}
	if need*4 > maxBATBytes || batOff > uint64(v.fsize) || int64(batOff)+need*4 > v.fsize {
		return disk.Corrupt(format, "BAT outside the file or too large")
	}
	raw := make([]byte, need*4)
	if err := disk.ReadFullAt(v.r, raw, int64(batOff), format, "BAT"); err != nil {
		return err
	}
	v.bat = make([]uint32, need)
	for i := range v.bat {
		v.bat[i] = be.Uint32(raw[i*4:])
	}
	return nil
}

// Size is the virtual size.
func (v *Reader) Size() int64 { return v.size }

func (v *Reader) produce() (disk.Extent, error) {
	if v.off >= v.size {
		return disk.Extent{}, io.EOF
	}
	if v.fixed {
		end := disk.ChunkEnd(v.off, v.size)
		x := disk.Extent{Off: v.off, Len: end - v.off, Kind: disk.Data, Src: v.r, SrcOff: v.off}
		v.off = end
		return x, nil
	}
	i := v.off / v.block
	end := min((i+1)*v.block, v.size)
	e := v.bat[i]
	if e == unallocated {
		x := disk.Extent{Off: v.off, Len: end - v.off, Kind: disk.Hole}
		v.off = end
		return x, nil
	}
	// Like qemu, the sector bitmap is not consulted: an allocated block's
	// data is read as stored.
	end = min(end, disk.ChunkEnd(v.off, v.size))
	at := int64(e)*sector + v.bmap + v.off - i*v.block
	if at+end-v.off > v.fsize {
		return disk.Extent{}, disk.Corrupt(format, "block %d outside the file", i)
	}
	x := disk.Extent{Off: v.off, Len: end - v.off, Kind: disk.Data, Src: v.r, SrcOff: at}
	v.off = end
	return x, nil
}
