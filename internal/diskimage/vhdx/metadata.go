package vhdx

import (
	"encoding/binary"
	"io"
	"strings"

	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

// readMetadata reads the metadata table and the items it needs (file
// parameters, virtual disk size, logical sector size), each where the
// table says, wherever it lies in the region; it returns the logical
// sector size. The items required and the sector-size rules are the
// inspector's (diskimage.VHDXRequiredItems).
func (v *Reader) readMetadata(off, n int64) (int64, error) {
	if n < 64*kib {
		return 0, disk.Corrupt(format, "metadata region of %d bytes", n)
	}
	m := make([]byte, 64*kib)
	if err := disk.ReadFullAt(v.r, m, off, format, "metadata table"); err != nil {
		return 0, err
	}
	le := binary.LittleEndian
	if string(m[:8]) != "metadata" {
		return 0, disk.Corrupt(format, "no metadata table signature")
	}
	count := int(le.Uint16(m[10:]))
	if count > 2047 {
		return 0, disk.Corrupt(format, "%d metadata entries", count)
	}
	item := func(e []byte, want int) ([]byte, error) {
		o, l := int64(le.Uint32(e[16:])), int64(le.Uint32(e[20:]))
		if o < 64*kib || o+l > n || l < int64(want) {
			return nil, disk.Corrupt(format, "metadata item outside the region")
		}
		b := make([]byte, want)
		return b, disk.ReadFullAt(v.r, b, off+o, format, "metadata item")
	}
	seen := map[[16]byte]bool{}
	lss := uint32(0)
	for i := 0; i < count; i++ {
		e := m[32+i*32 : 32+(i+1)*32]
		var err error
		var b []byte
		id := [16]byte(e[:16])
		seen[id] = true
		switch id {
		case guidFileParams:
			if b, err = item(e, 8); err == nil {
				v.block = int64(le.Uint32(b))
				if le.Uint32(b[4:])&2 != 0 {
					return 0, disk.Unsafe(format, "differencing disk (has a parent)")
				}
			}
		case guidDiskSize:
			if b, err = item(e, 8); err == nil {
				s := le.Uint64(b)
				if s > 64<<40 {
					return 0, disk.Corrupt(format, "virtual size %d beyond 64 TiB", s)
				}
				v.size = int64(s)
			}
		case guidLogSector:
			if b, err = item(e, 4); err == nil {
				lss = le.Uint32(b)
			}
		case guidPhysSector, guidPage83:
			// informational
		case guidParentLoc:
			return 0, disk.Unsafe(format, "image has a parent locator")
		default:
			if le.Uint32(e[24:])&4 != 0 {
				return 0, disk.Unsupported(format, "unknown required metadata item")
			}
		}
		if err != nil {
			return 0, err
		}
	}
	if missing := diskimage.VHDXMissingItems(seen); len(missing) > 0 {
		return 0, disk.Unsupported(format, "metadata lacks required items (%s)", strings.Join(missing, ", "))
	}
	if why := diskimage.VHDXCheckSectorSize(lss, uint64(v.size)); why != "" {
		return 0, disk.Corrupt(format, "%s (%d)", why, lss)
	}
	if v.block < mib || v.block > 256*mib || v.block&(v.block-1) != 0 {
		return 0, disk.Corrupt(format, "block size %d", v.block)
	}
	return int64(lss), nil
}

// Size is the virtual size.
func (v *Reader) Size() int64 { return v.size }

const (
	stateNotPresent = 0
	stateUndefined  = 1
	stateZero       = 2
	stateUnmapped   = 3
	stateFull       = 6
	statePartial    = 7
)

func (v *Reader) produce() (disk.Extent, error) {
	if v.off >= v.size {
		return disk.Extent{}, io.EOF
	}
	i := v.off / v.block
	end := min((i+1)*v.block, v.size)
	e := v.bat[i+i/v.chunkRatio]
	x := disk.Extent{Off: v.off}
	switch e & 7 {
	case stateNotPresent, stateUndefined, stateUnmapped:
		x.Kind = disk.Hole
	case stateZero:
		x.Kind = disk.Zero
	case stateFull:
		end = min(end, disk.ChunkEnd(v.off, v.size))
		at := int64(e>>20)<<20 + v.off - i*v.block
		if at+end-v.off > v.fsize || at < 3*mib {
			return disk.Extent{}, disk.Corrupt(format, "block %d outside the file", i)
		}
		x.Kind, x.Src, x.SrcOff = disk.Data, v.r, at
	case statePartial:
		return disk.Extent{}, disk.Unsafe(format, "partially present block (differencing disk)")
	default:
		return disk.Extent{}, disk.Corrupt(format, "block %d has state %d", i, e&7)
	}
	x.Len = end - v.off
	v.off = end
	return x, nil
}
