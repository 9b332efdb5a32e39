// Package qcow2 reads (v2/v3) and writes (v3) qcow2 images for the
// conversion engine. Layout per qemu's docs/interop/qcow2.rst.
package qcow2

import (
	"encoding/binary"
	"io"
	"sync"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

const (
	format = "qcow2"
	magic  = 0x514649fb

	maxL1Bytes = 32 << 20 // qemu's QCOW_MAX_L1_SIZE

	incDirty       = 1 << 0
	incCorrupt     = 1 << 1
	incDataFile    = 1 << 2
	incCompression = 1 << 3
	incExtendedL2  = 1 << 4

	entryOffsetMask = 0x00fffffffffffe00
	entryCompressed = 1 << 62
	entryZero       = 1 << 0

	compZlib = 0
	compZstd = 1
)

// Header holds the fields of a qcow2 header the reader needs.
type Header struct {
	Version         uint32
	ClusterBits     uint32
	Size            uint64
	L1Size          uint32
	L1Offset        uint64
	Incompatible    uint64
	CompressionType uint8
}

// ParseHeader validates the fixed header in b (at least 104 bytes when
// available; v2 needs 72).
func ParseHeader(b []byte, fileSize int64) (*Header, error) {
	be := binary.BigEndian
	if len(b) < 72 || be.Uint32(b) != magic {
		return nil, disk.Corrupt(format, "bad magic")
	}
	h := &Header{
		Version:     be.Uint32(b[4:]),
		ClusterBits: be.Uint32(b[20:]),
		Size:        be.Uint64(b[24:]),
		L1Size:      be.Uint32(b[36:]),
		L1Offset:    be.Uint64(b[40:]),
	}
	if h.Version != 2 && h.Version != 3 {
		return nil, disk.Unsupported(format, "version %d", h.Version)
	}
	if be.Uint64(b[8:]) != 0 || be.Uint32(b[16:]) != 0 {
		return nil, disk.Unsafe(format, "image has a backing file")
	}
	if h.ClusterBits < 9 || h.ClusterBits > 21 {
		return nil, disk.Corrupt(format, "cluster_bits %d out of range", h.ClusterBits)
	}
	if be.Uint32(b[32:]) != 0 {
		return nil, disk.Unsupported(format, "encrypted image")
	}
	if h.Version == 3 {
		if len(b) < 104 {
			return nil, disk.Corrupt(format, "short v3 header")
		}
		h.Incompatible = be.Uint64(b[72:])
		hdrLen := be.Uint32(b[100:])
		if hdrLen < 104 || hdrLen > 1<<h.ClusterBits {
			return nil, disk.Corrupt(format, "header_length %d", hdrLen)
		}
		if h.Incompatible&incCompression != 0 {
			if hdrLen < 105 || len(b) < 105 {
				return nil, disk.Corrupt(format, "compression type flag without the field")
			}
			h.CompressionType = b[104]
			if h.CompressionType > compZstd {
				return nil, disk.Unsupported(format, "compression type %d", h.CompressionType)
			}
		}
		switch {
		case h.Incompatible&incDataFile != 0:
			return nil, disk.Unsafe(format, "image uses an external data file")
		case h.Incompatible&incCorrupt != 0:
			return nil, disk.Corrupt(format, "image is marked corrupt")
		case h.Incompatible&^uint64(incDirty|incCompression|incExtendedL2) != 0:
			return nil, disk.Unsupported(format, "unknown incompatible features %#x", h.Incompatible)
		}
	}
	if h.Extended() && h.ClusterBits < minExtClusterBits {
		return nil, disk.Corrupt(format, "cluster_bits %d below %d with extended L2 entries (subclusters under 512 bytes)", h.ClusterBits, minExtClusterBits)
	}
	cs := uint64(1) << h.ClusterBits
	if h.Size > 1<<56 {
		return nil, disk.Corrupt(format, "virtual size %d too large", h.Size)
	}
	perL2 := uint64(h.L2Entries())
	need := (h.Size + cs*perL2 - 1) / (cs * perL2)
	if uint64(h.L1Size) < need {
		return nil, disk.Corrupt(format, "L1 table too small for the virtual size")
	}
	if uint64(h.L1Size)*8 > maxL1Bytes {
		return nil, disk.Corrupt(format, "L1 table too large")
	}
	if need > 0 && (h.L1Offset%cs != 0 || h.L1Offset+uint64(need)*8 > uint64(fileSize)) {
		return nil, disk.Corrupt(format, "L1 table outside the file or misaligned")
	}
	return h, nil
}

// Extended reports whether L2 entries are extended (128 bits, with a
// subcluster bitmap).
func (h *Header) Extended() bool { return h.Incompatible&incExtendedL2 != 0 }

// L2Entries is the number of entries of an L2 table.
func (h *Header) L2Entries() int64 {
	if h.Extended() {
		return 1 << (h.ClusterBits - 4)
	}
	return 1 << (h.ClusterBits - 3)
}

// Reader is a disk.Reader over a qcow2 image.
type Reader struct {
	disk.Merger
	r        io.ReaderAt
	fileSize int64
	h        *Header
	cs       int64
	span     int64 // guest bytes one L2 table maps
	l1       []uint64
	l2       []uint64
	l2Bitmap []uint64 // subcluster bitmaps of l2, with extended L2 entries
	l2Holes  []int32  // l2Holes[i]: index of the first non-hole entry at or after i
	l2Host   int64    // host offset of the loaded L2 table, -1 if none
	off      int64    // next virtual offset to produce
}

// NewReader parses the header and L1 table of the image of fileSize bytes.
func NewReader(r io.ReaderAt, fileSize int64) (*Reader, error) {
	hb := make([]byte, 112)
	n, err := r.ReadAt(hb, 0)
	if n < 72 {
		if err != nil && err != io.EOF {
			return nil, disk.ReadFullAt(r, hb[:72], 0, format, "header")
		}
		return nil, disk.Corrupt(format, "file too short for a header")
	}
	h, err := ParseHeader(hb[:n], fileSize)
	if err != nil {
		return nil, err
	}
	q := &Reader{r: r, fileSize: fileSize, h: h, cs: 1 << h.ClusterBits, l2Host: -1}
	q.span = q.cs * h.L2Entries()
	need := (int64(h.Size) + q.span - 1) / q.span
	raw := make([]byte, need*8)
	if err := disk.ReadFullAt(r, raw, int64(h.L1Offset), format, "L1 table"); err != nil {
		return nil, err
	}
	q.l1 = make([]uint64, need)
	for i := range q.l1 {
		q.l1[i] = binary.BigEndian.Uint64(raw[i*8:])
	}
	q.Produce = q.produce
	return q, nil
}

// Size is the virtual size.
func (q *Reader) Size() int64 { return int64(q.h.Size) }

// Header returns the parsed header.
func (q *Reader) Header() Header { return *q.h }

// isHole reports whether an L2 entry maps nothing (reads as zeros from
// no storage).
func (q *Reader) isHole(e uint64) bool {
	return e&entryCompressed == 0 && e&entryOffsetMask == 0 && (e&entryZero == 0 || q.h.Version < 3)
}

// loadL2 loads the L2 table that L1 entry idx points to. It is cached by
// host offset, with a skip list over unmapped entries, so an image whose
// L1 entries all point at one sparse table costs O(L1) and not O(L1*L2).
func (q *Reader) loadL2(idx int) error {
	off := int64(q.l1[idx] & entryOffsetMask)
	if q.l2Host == off {
		return nil
	}
	if off%q.cs != 0 || off+q.cs > q.fileSize {
		return disk.Corrupt(format, "L2 table %d at %d outside the file or misaligned", idx, off)
	}
	raw := make([]byte, q.cs)
	if err := disk.ReadFullAt(q.r, raw, off, format, "L2 table"); err != nil {
		return err
	}
	if q.h.Extended() {
		q.loadExtL2(raw)
		q.l2Host = off
		return nil
	}
	if q.l2 == nil {
		q.l2 = make([]uint64, q.cs/8)
	}
	if q.l2Holes == nil {
		q.l2Holes = make([]int32, q.cs/8)
	}
	next := int32(len(q.l2))
	for i := len(q.l2) - 1; i >= 0; i-- {
		q.l2[i] = binary.BigEndian.Uint64(raw[i*8:])
		if !q.isHole(q.l2[i]) {
			next = int32(i)
		}
		q.l2Holes[i] = next
	}
	q.l2Host = off
	return nil
}

func (q *Reader) produce() (disk.Extent, error) {
	size := int64(q.h.Size)
	if q.off >= size {
		return disk.Extent{}, io.EOF
	}
	span := q.span
	idx := int(q.off / span)
	if q.l1[idx]&entryOffsetMask == 0 {
		end := min((int64(idx)+1)*span, size)
		x := disk.Extent{Off: q.off, Len: end - q.off, Kind: disk.Hole}
		q.off = end
		return x, nil
	}
	if err := q.loadL2(idx); err != nil {
		return disk.Extent{}, err
	}
	k := (q.off % span) / q.cs
	e := q.l2[k]
	if q.l2Bitmap != nil {
		return q.produceExt(idx, k, e, q.l2Bitmap[k])
	}
	if q.isHole(e) {
		end := min(int64(idx)*span+int64(q.l2Holes[k])*q.cs, size)
		x := disk.Extent{Off: q.off, Len: end - q.off, Kind: disk.Hole}
		q.off = end
		return x, nil
	}
	x := disk.Extent{Off: q.off, Len: min(q.cs, size-q.off)}
	q.off += x.Len
	switch {
	case e&entryCompressed != 0:
		return q.compressed(x, e)
	case e&entryZero != 0 && q.h.Version >= 3:
		x.Kind = disk.Zero
	case e&entryOffsetMask == 0:
		x.Kind = disk.Hole
	default:
		host := int64(e & entryOffsetMask)
		if host%q.cs != 0 || host+x.Len > q.fileSize {
			return disk.Extent{}, disk.Corrupt(format, "data cluster at %d outside the file or misaligned", host)
		}
		x.Kind, x.Src, x.SrcOff = disk.Data, q.r, host
	}
	return x, nil
}

var clusterPool sync.Pool

func (q *Reader) compressed(x disk.Extent, e uint64) (disk.Extent, error) {
	shift := 62 - (q.h.ClusterBits - 8)
	host := int64(e & (1<<shift - 1))
	sectors := int64((e>>shift)&(1<<(q.h.ClusterBits-8)-1)) + 1
	clen := sectors*512 - host%512
	if host >= q.fileSize || host < 0 {
		return disk.Extent{}, disk.Corrupt(format, "compressed cluster at %d outside the file", host)
	}
	if host+clen > q.fileSize {
		clen = q.fileSize - host // qemu also tolerates a short read at EOF
	}
	cs, ctype := q.cs, q.h.CompressionType
	x.Kind, x.Src, x.SrcOff, x.SrcLen = disk.Data, q.r, host, clen
	x.Decode = func(buf, src []byte) error {
		dst := buf
		if int64(len(buf)) != cs {
			p, _ := clusterPool.Get().(*[]byte)
			if p == nil || int64(len(*p)) < cs {
				b := make([]byte, cs)
				p = &b
			}
			defer clusterPool.Put(p)
			dst = (*p)[:cs]
		}
		var err error
		if ctype == compZstd {
			err = disk.InflateZstd(dst, src)
		} else {
			err = disk.InflateRaw(dst, src)
		}
		if err != nil {
			return disk.CorruptErr(format, err, "compressed cluster at %d", host)
		}
		if len(buf) != len(dst) {
			copy(buf, dst)
		}
		return nil
	}
	return x, nil
}
