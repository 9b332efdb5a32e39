package qcow2

// Extended L2 entries (incompatible bit 4, qcow2.txt "Extended L2
// Entries"): each L2 entry is 128 bits, the usual descriptor followed by a
// bitmap over the cluster's 32 subclusters, bits 0-31 "allocated" and bits
// 32-63 "reads as zeros". Bit 0 of the descriptor (the zero flag of
// standard entries) has no meaning there and is ignored, as qemu does.
// The invalid combinations qemu refuses to read are refused as corrupt.

import (
	"encoding/binary"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

const (
	subclusters       = 32
	allocBits         = 1<<subclusters - 1
	minExtClusterBits = 14 // qemu: subclusters of at least 512 bytes
)

// loadExtL2 decodes an extended L2 table into l2 (descriptors) and
// l2Bitmap, with the same skip list over entries that map nothing.
func (q *Reader) loadExtL2(raw []byte) {
	n := len(raw) / 16
	if q.l2 == nil {
		q.l2 = make([]uint64, n)
		q.l2Bitmap = make([]uint64, n)
		q.l2Holes = make([]int32, n)
	}
	next := int32(n)
	for i := n - 1; i >= 0; i-- {
		e, bm := binary.BigEndian.Uint64(raw[i*16:]), binary.BigEndian.Uint64(raw[i*16+8:])
		q.l2[i], q.l2Bitmap[i] = e, bm
		if e&entryCompressed != 0 || e&entryOffsetMask != 0 || bm != 0 {
			next = int32(i)
		}
		q.l2Holes[i] = next
	}
}

// produceExt returns the extent at q.off, inside L2 entry k (descriptor e,
// bitmap bm) of L1 entry idx: a run of subclusters of one kind, or a
// whole compressed cluster, or a run of entries that map nothing.
func (q *Reader) produceExt(idx int, k int64, e, bm uint64) (disk.Extent, error) {
	size := int64(q.h.Size)
	cluster := int64(idx)*q.span + k*q.cs // guest offset of the cluster
	if e&entryCompressed == 0 && e&entryOffsetMask == 0 && bm == 0 {
		end := min(int64(idx)*q.span+int64(q.l2Holes[k])*q.cs, size)
		x := disk.Extent{Off: q.off, Len: end - q.off, Kind: disk.Hole}
		q.off = end
		return x, nil
	}
	if e&entryCompressed != 0 {
		if bm != 0 {
			return disk.Extent{}, disk.Corrupt(format, "compressed cluster at guest offset %d has a subcluster bitmap %#x (must be 0)", cluster, bm)
		}
		x := disk.Extent{Off: q.off, Len: min(q.cs, size-q.off)}
		q.off += x.Len
		return q.compressed(x, e)
	}
	host := int64(e & entryOffsetMask)
	switch {
	case host == 0 && bm&allocBits != 0:
		return disk.Extent{}, disk.Corrupt(format, "unallocated cluster at guest offset %d has allocated subclusters (bitmap %#x)", cluster, bm)
	case (bm>>subclusters)&bm != 0:
		return disk.Extent{}, disk.Corrupt(format, "cluster at guest offset %d has subclusters both allocated and reading as zeros (bitmap %#x)", cluster, bm)
	case host%q.cs != 0:
		return disk.Extent{}, disk.Corrupt(format, "cluster at guest offset %d maps to misaligned host offset %d", cluster, host)
	}
	scBits := q.h.ClusterBits - 5
	kind := func(i int64) disk.Kind {
		switch {
		case bm&(1<<i) != 0:
			return disk.Data
		case bm&(1<<(i+subclusters)) != 0:
			return disk.Zero
		}
		return disk.Hole
	}
	sc := (q.off - cluster) >> scBits
	x := disk.Extent{Off: q.off, Kind: kind(sc)}
	for sc++; sc < subclusters && kind(sc) == x.Kind; sc++ {
	}
	end := min(cluster+sc<<scBits, size)
	x.Len = end - q.off
	if x.Kind == disk.Data {
		x.Src, x.SrcOff = q.r, host+(q.off-cluster)
		if host+(end-cluster) > q.fileSize {
			return disk.Extent{}, disk.Corrupt(format, "data subclusters at %d outside the file", x.SrcOff)
		}
	}
	q.off = end
	return x, nil
}
