package vhdx

import (
	"encoding/binary"
	"io"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

// readMetadata reads the file parameters, virtual disk size and logical
// sector size items; it returns the logical sector size.
func (v *Reader) readMetadata(off, n int64) (int64, error) {
	if n < 64*kib || n > maxMetaBytes {
		return 0, disk.Corrupt(format, "metadata region of %d bytes", n)
	}
	m := make([]byte, n)
	if err := disk.ReadFullAt(v.r, m, off, format, "metadata region"); err != nil {
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
		return m[o : o+l], nil
	}
	var haveParams, haveSize, haveLSS bool
	lss := int64(0)
	for i := 0; i < count; i++ {
		e := m[32+i*32 : 32+(i+1)*32]
		var err error
		var b []byte
		switch [16]byte(e[:16]) {
		case guidFileParams:
			if b, err = item(e, 8); err == nil {
				v.block = int64(le.Uint32(b))
				if le.Uint32(b[4:])&2 != 0 {
					return 0, disk.Unsafe(format, "differencing disk (has a parent)")
				}
				haveParams = true
			}
		case guidDiskSize:
			if b, err = item(e, 8); err == nil {
				s := le.Uint64(b)
				if s > 64<<40 {
					return 0, disk.Corrupt(format, "virtual size %d beyond 64 TiB", s)
				}
				v.size, haveSize = int64(s), true
			}
		case guidLogSector:
			if b, err = item(e, 4); err == nil {
				lss, haveLSS = int64(le.Uint32(b)), true
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
	switch {
	case !haveParams || !haveSize || !haveLSS:
		return 0, disk.Corrupt(format, "required metadata missing")
	case v.block < mib || v.block > 256*mib || v.block&(v.block-1) != 0:
		return 0, disk.Corrupt(format, "block size %d", v.block)
	case lss != 512 && lss != 4096:
		return 0, disk.Corrupt(format, "logical sector size %d", lss)
	case v.size%lss != 0:
		return 0, disk.Corrupt(format, "virtual size not a multiple of the sector size")
	}
	return lss, nil
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
