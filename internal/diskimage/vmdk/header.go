// Package vmdk reads monolithicSparse and streamOptimized VMDK images
// (random access or front to back from a stream) and writes
// streamOptimized ones, per VMware's "Virtual Disk Format 1.1".
package vmdk

import (
	"encoding/binary"

	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

const (
	format      = "vmdk"
	magic       = 0x564d444b // "KDMV"
	sector      = 512
	gdAtEnd     = ^uint64(0)
	maxGrainSec = diskimage.MaxVMDKGrainSectors
	maxGTEs     = 512
	maxCapacity = 1 << 47 // sectors: 64 PiB

	flagNewline  = 1 << 0
	flagZeroGT   = 1 << 2 // zeroed-grain GTEs (value 1) are valid
	flagCompress = 1 << 16
	flagMarkers  = 1 << 17

	markerEOS    = 0
	markerGT     = 1
	markerGD     = 2
	markerFooter = 3
)

// A grain must fit in one pipeline chunk.
const _ = uint(disk.ChunkSize/sector - maxGrainSec)

// Header is the sparse extent header.
type Header struct {
	Version        uint32
	Flags          uint32
	Capacity       uint64 // sectors
	GrainSize      uint64 // sectors
	DescOffset     uint64
	DescSize       uint64
	GTEsPerGT      uint32
	RGDOffset      uint64
	GDOffset       uint64
	OverHead       uint64
	CompressAlgo   uint16
	compressed     bool
	markers        bool
	zeroGrainValid bool
}

func parseHeader(b []byte) (*Header, error) {
	le := binary.LittleEndian
	if len(b) < sector || le.Uint32(b) != magic {
		return nil, disk.Corrupt(format, "bad sparse extent magic")
	}
	h := &Header{
		Version:      le.Uint32(b[4:]),
		Flags:        le.Uint32(b[8:]),
		Capacity:     le.Uint64(b[12:]),
		GrainSize:    le.Uint64(b[20:]),
		DescOffset:   le.Uint64(b[28:]),
		DescSize:     le.Uint64(b[36:]),
		GTEsPerGT:    le.Uint32(b[44:]),
		RGDOffset:    le.Uint64(b[48:]),
		GDOffset:     le.Uint64(b[56:]),
		OverHead:     le.Uint64(b[64:]),
		CompressAlgo: le.Uint16(b[77:]),
	}
	if h.Version < 1 || h.Version > 3 {
		return nil, disk.Unsupported(format, "sparse extent version %d", h.Version)
	}
	h.compressed = h.Flags&flagCompress != 0
	h.markers = h.Flags&flagMarkers != 0
	h.zeroGrainValid = h.Flags&flagZeroGT != 0
	if h.compressed && h.CompressAlgo != 1 {
		return nil, disk.Unsupported(format, "compression algorithm %d", h.CompressAlgo)
	}
	return h, nil
}

// check validates the geometry fields once the real header (possibly the
// footer) is known.
func (h *Header) check() error {
	if h.GrainSize == 0 || h.GrainSize&(h.GrainSize-1) != 0 {
		return disk.Corrupt(format, "grain size %d sectors is not a power of two", h.GrainSize)
	}
	if h.GrainSize > maxGrainSec {
		return disk.Unsupported(format, "grain size of %d sectors is larger than the %d supported", h.GrainSize, maxGrainSec)
	}
	if h.Capacity == 0 {
		return disk.Corrupt(format, "capacity is 0 sectors")
	}
	if h.GTEsPerGT == 0 || h.GTEsPerGT > maxGTEs {
		return disk.Corrupt(format, "%d grain table entries per table", h.GTEsPerGT)
	}
	if h.Capacity > maxCapacity {
		return disk.Corrupt(format, "capacity %d sectors too large", h.Capacity)
	}
	return nil
}

func putHeader(b []byte, h *Header) {
	le := binary.LittleEndian
	le.PutUint32(b[0:], magic)
	le.PutUint32(b[4:], h.Version)
	le.PutUint32(b[8:], h.Flags)
	le.PutUint64(b[12:], h.Capacity)
	le.PutUint64(b[20:], h.GrainSize)
	le.PutUint64(b[28:], h.DescOffset)
	le.PutUint64(b[36:], h.DescSize)
	le.PutUint32(b[44:], h.GTEsPerGT)
	le.PutUint64(b[48:], h.RGDOffset)
	le.PutUint64(b[56:], h.GDOffset)
	le.PutUint64(b[64:], h.OverHead)
	b[72] = 0
	b[73], b[74], b[75], b[76] = '\n', ' ', '\r', '\n'
	le.PutUint16(b[77:], h.CompressAlgo)
}
