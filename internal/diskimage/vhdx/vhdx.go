// Package vhdx reads VHDX images for the conversion engine, per
// Microsoft's "VHDX Format Specification" v1.0.
package vhdx

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

const (
	format      = "vhdx"
	kib         = 1024
	mib         = 1024 * kib
	maxBATBytes = 64 * mib
	maxRegions  = 2047
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// guid converts the textual form's byte order to the on-disk (mixed
// endian) form.
func guid(d1 uint32, d2, d3 uint16, d4 ...byte) [16]byte {
	var g [16]byte
	binary.LittleEndian.PutUint32(g[0:], d1)
	binary.LittleEndian.PutUint16(g[4:], d2)
	binary.LittleEndian.PutUint16(g[6:], d3)
	copy(g[8:], d4)
	return g
}

var (
	guidBAT        = guid(0x2DC27766, 0xF623, 0x4200, 0x9D, 0x64, 0x11, 0x5E, 0x9B, 0xFD, 0x4A, 0x08)
	guidMetadata   = guid(0x8B7CA206, 0x4790, 0x4B9A, 0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E)
	guidFileParams = guid(0xCAA16737, 0xFA36, 0x4D43, 0xB3, 0xB6, 0x33, 0xF0, 0xAA, 0x44, 0xE7, 0x6B)
	guidDiskSize   = guid(0x2FA54224, 0xCD1B, 0x4876, 0xB2, 0x11, 0x5D, 0xBE, 0xD8, 0x3B, 0xF4, 0xB8)
	guidLogSector  = guid(0x8141BF1D, 0xA96F, 0x4709, 0xBA, 0x47, 0xF2, 0x33, 0xA8, 0xFA, 0xAB, 0x5F)
	guidPhysSector = guid(0xCDA348C7, 0x445D, 0x4471, 0x9C, 0xC9, 0xE9, 0x88, 0x52, 0x51, 0xC5, 0x56)
	guidPage83     = guid(0xBECA12AB, 0xB2E6, 0x4523, 0x93, 0xEF, 0xC3, 0x09, 0xE0, 0x00, 0xC7, 0x46)
	guidParentLoc  = guid(0xA8D35F2D, 0xB30B, 0x454D, 0xAB, 0xD7, 0xD3, 0xD8, 0x48, 0x34, 0xAB, 0x0C)
)

// checksumOK verifies a CRC-32C stored at b[4:8], computed with that
// field zeroed.
func checksumOK(b []byte) bool {
	want := binary.LittleEndian.Uint32(b[4:])
	c := crc32.Update(0, castagnoli, b[:4])
	c = crc32.Update(c, castagnoli, []byte{0, 0, 0, 0})
	c = crc32.Update(c, castagnoli, b[8:])
	return c == want
}

// Reader is a disk.Reader over a VHDX image.
type Reader struct {
	disk.Merger
	r          io.ReaderAt
	fsize      int64
	size       int64
	block      int64
	chunkRatio int64
	bat        []uint64
	off        int64
}

// NewReader reads the headers, region table, metadata and BAT.
func NewReader(r io.ReaderAt, fileSize int64) (*Reader, error) {
	v := &Reader{r: r, fsize: fileSize}
	id := make([]byte, 8)
	if err := disk.ReadFullAt(r, id, 0, format, "file identifier"); err != nil {
		return nil, err
	}
	if string(id) != "vhdxfile" {
		return nil, disk.Corrupt(format, "no file identifier")
	}
	if err := v.readHeader(); err != nil {
		return nil, err
	}
	batOff, batLen, metaOff, metaLen, err := v.readRegions()
	if err != nil {
		return nil, err
	}
	lss, err := v.readMetadata(metaOff, metaLen)
	if err != nil {
		return nil, err
	}
	v.chunkRatio = (int64(1) << 23) * lss / v.block
	if v.chunkRatio < 1 {
		return nil, disk.Corrupt(format, "block size %d too large for sector size %d", v.block, lss)
	}
	nb := (v.size + v.block - 1) / v.block
	need := int64(0)
	if nb > 0 {
		need = nb + (nb-1)/v.chunkRatio
	}
	if need*8 > batLen || need*8 > maxBATBytes {
		return nil, disk.Corrupt(format, "BAT region of %d bytes too small or too large for %d blocks", batLen, nb)
	}
	raw := make([]byte, need*8)
	if err := disk.ReadFullAt(r, raw, batOff, format, "BAT"); err != nil {
		return nil, err
	}
	v.bat = make([]uint64, need)
	for i := range v.bat {
		v.bat[i] = binary.LittleEndian.Uint64(raw[i*8:])
	}
	v.Produce = v.produce
	return v, nil
}

func (v *Reader) readHeader() error {
	var best []byte
	var bestSeq uint64
	for _, at := range []int64{64 * kib, 128 * kib} {
		h := make([]byte, 4*kib)
		if err := disk.ReadFullAt(v.r, h, at, format, "header"); err != nil {
			return err
		}
		if string(h[:4]) != "head" || !checksumOK(h) {
			continue
		}
		if seq := binary.LittleEndian.Uint64(h[8:]); best == nil || seq > bestSeq {
			best, bestSeq = h, seq
		}
	}
	if best == nil {
		return disk.Corrupt(format, "no valid header")
	}
	if !bytes.Equal(best[48:64], make([]byte, 16)) {
		return disk.Unsupported(format, "the log must be replayed first (image not closed cleanly)")
	}
	if ver := binary.LittleEndian.Uint16(best[66:]); ver != 1 {
		return disk.Unsupported(format, "version %d", ver)
	}
	return nil
}

func (v *Reader) readRegions() (batOff, batLen, metaOff, metaLen int64, err error) {
	var t []byte
	for _, at := range []int64{192 * kib, 256 * kib} {
		b := make([]byte, 64*kib)
		if err := disk.ReadFullAt(v.r, b, at, format, "region table"); err != nil {
			return 0, 0, 0, 0, err
		}
		if string(b[:4]) == "regi" && checksumOK(b) {
			t = b
			break
		}
	}
	if t == nil {
		return 0, 0, 0, 0, disk.Corrupt(format, "no valid region table")
	}
	le := binary.LittleEndian
	n := le.Uint32(t[8:])
	if n > maxRegions {
		return 0, 0, 0, 0, disk.Corrupt(format, "%d regions", n)
	}
	batOff = -1
	metaOff = -1
	for i := uint32(0); i < n; i++ {
		e := t[16+i*32 : 16+(i+1)*32]
		off, ln := le.Uint64(e[16:]), int64(le.Uint32(e[24:]))
		if off%mib != 0 || off > uint64(v.fsize) || int64(off)+ln > v.fsize {
			return 0, 0, 0, 0, disk.Corrupt(format, "region %d outside the file or misaligned", i)
		}
		switch [16]byte(e[:16]) {
		case guidBAT:
			batOff, batLen = int64(off), ln
		case guidMetadata:
			metaOff, metaLen = int64(off), ln
		default:
			if le.Uint32(e[28:])&1 != 0 {
				return 0, 0, 0, 0, disk.Unsupported(format, "unknown required region")
			}
		}
	}
	if batOff < 0 || metaOff < 0 {
		return 0, 0, 0, 0, disk.Corrupt(format, "BAT or metadata region missing")
	}
	return batOff, batLen, metaOff, metaLen, nil
}
