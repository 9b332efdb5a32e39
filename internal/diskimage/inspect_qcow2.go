package diskimage

// qcow2 (docs/interop/qcow2.txt in qemu) and QED. Both are qemu formats
// whose headers can point at other files; that is what the checks below
// are about (OSSA-2023-002, OSSA-2024-001).

import "strconv"

const (
	qcow2Magic = "QFI\xfb"
	qedMagic   = "QED\x00"

	qcow2V2HeaderLen = 72
	qcow2V3HeaderLen = 104

	// Incompatible feature bits.
	qcow2Dirty       = 1 << 0
	qcow2Corrupt     = 1 << 1
	qcow2DataFile    = 1 << 2
	qcow2CompressTyp = 1 << 3
	qcow2ExtendedL2  = 1 << 4

	// Header extension types.
	qcow2ExtEnd      = 0
	qcow2ExtDataFile = 0x44415441
	qcow2ExtCrypto   = 0x0537be77

	qcow2MaxBackingName    = 1023 // qemu's limit on backing_file_size
	qcow2MinExtClusterBits = 14   // 16 KiB: 32 subclusters of at least 512 bytes
)

func matchQCOW2(s *source) bool { return hasAt(s.prefix(4), 0, qcow2Magic) }
func matchQED(s *source) bool   { return hasAt(s.prefix(4), 0, qedMagic) }

func checkQCOW2(s *source, r *result) error {
	h, err := r.fetch(s, 0, qcow2V2HeaderLen, "qcow2 header")
	if h == nil {
		return err
	}
	version := be32(h, 4)
	r.info.Subformat = "v" + strconv.FormatUint(uint64(version), 10)
	if version != 2 && version != 3 {
		r.refuse(KindUnsupported, "qcow2 version %d is not supported (only 2 and 3)", version)
		return nil
	}

	// The backing file is the classic attack: qemu would open whatever path
	// the header names. Its mere presence refuses the image; the name is
	// only read to make the message useful.
	if bfOff, bfLen := be64(h, 8), be32(h, 16); bfOff != 0 {
		name := ""
		if bfLen > 0 && bfLen <= qcow2MaxBackingName && bfOff < uint64(s.size) {
			if b, _ := s.read(int64(bfOff), int64(bfLen)); b != nil {
				name = " " + quoteName(b)
			}
		}
		r.refuse(KindUnsafe, "qcow2 image has a backing file%s", name)
	}

	clusterBits := be32(h, 20)
	if clusterBits < 9 || clusterBits > 21 {
		r.refuse(KindCorrupt, "qcow2 cluster_bits %d is outside 9..21", clusterBits)
		return nil
	}
	cluster := uint64(1) << clusterBits
	r.info.ClusterSize = int64(cluster)
	r.info.Compression = "zlib"

	size := be64(h, 24)
	if size > 1<<62 {
		r.refuse(KindCorrupt, "qcow2 virtual size %d is out of range", size)
		return nil
	}
	r.info.VirtualSize = int64(size)

	if m := be32(h, 32); m != 0 {
		r.refuse(KindUnsupported, "encrypted qcow2 images (crypt_method %d) are not supported", m)
	}

	headerLen := uint64(qcow2V2HeaderLen)
	var incompat uint64
	refcountOrder := uint32(4)
	if version == 3 {
		h, err = r.fetch(s, 0, qcow2V3HeaderLen, "qcow2 v3 header")
		if h == nil {
			return err
		}
		incompat = be64(h, 72)
		refcountOrder = be32(h, 96)
		headerLen = uint64(be32(h, 100))
		if headerLen < qcow2V3HeaderLen || headerLen > cluster || headerLen%8 != 0 {
			r.refuse(KindCorrupt, "qcow2 header_length %d is invalid", headerLen)
			return nil
		}
		checkQCOW2Features(s, r, incompat, headerLen)
		if refcountOrder > 6 {
			r.refuse(KindCorrupt, "qcow2 refcount_order %d is above 6", refcountOrder)
		}
	}

	// Tables a reader loads whole: bound them the way qemu does, and make
	// sure the L1 table can actually map the virtual size.
	entriesPerL2 := cluster / 8
	if incompat&qcow2ExtendedL2 != 0 {
		entriesPerL2 = cluster / 16
		// qemu refuses subclusters (1/32 of a cluster) under 512 bytes.
		if clusterBits < qcow2MinExtClusterBits {
			r.refuse(KindCorrupt, "qcow2 cluster_bits %d is below %d, the minimum with extended L2 entries", clusterBits, qcow2MinExtClusterBits)
			return nil
		}
	}
	l1Size, l1Off := uint64(be32(h, 36)), be64(h, 40)
	if l1Size*8 > maxQCOW2L1Bytes {
		r.refuse(KindUnsafe, "qcow2 L1 table of %d entries exceeds the %d-byte limit", l1Size, maxQCOW2L1Bytes)
	} else if need := ceilDiv(size, entriesPerL2*cluster); l1Size < need {
		r.refuse(KindCorrupt, "qcow2 L1 table of %d entries cannot map %d bytes (needs %d)", l1Size, size, need)
	}
	if l1Size > 0 && l1Off%cluster != 0 {
		r.refuse(KindCorrupt, "qcow2 L1 table offset %#x is not cluster aligned", l1Off)
	} else if l1Size > 0 && (l1Off > uint64(s.size) || l1Size*8 > uint64(s.size)-l1Off) {
		r.warn("qcow2 L1 table extends past the end of the file (reads as zeroes)")
	}
	rtOff, rtClusters := be64(h, 48), uint64(be32(h, 56))
	if rtClusters*cluster > maxQCOW2RefTableBytes {
		r.refuse(KindUnsafe, "qcow2 refcount table of %d clusters exceeds the %d-byte limit", rtClusters, maxQCOW2RefTableBytes)
	}
	if rtOff == 0 || rtOff%cluster != 0 {
		r.refuse(KindCorrupt, "qcow2 refcount table offset %#x is invalid", rtOff)
	}
	if n := be32(h, 60); n > maxQCOW2Snapshots {
		r.refuse(KindUnsafe, "qcow2 claims %d snapshots (limit %d)", n, maxQCOW2Snapshots)
	} else if n > 0 {
		r.warn("qcow2 image has %d internal snapshots; only the active layer is used", n)
	}
	return checkQCOW2Extensions(s, r, headerLen, cluster)
}

// checkQCOW2Features applies the v3 feature bits. Extended L2 entries
// (bit 4) change only how clusters are mapped, which the reader handles;
// every other incompatible bit above 3 is refused, like oslo.utils does:
// qemu would accept some of them, but nothing here has checked what they
// imply.
func checkQCOW2Features(s *source, r *result, incompat, headerLen uint64) {
	if incompat&qcow2DataFile != 0 {
		r.refuse(KindUnsafe, "qcow2 image uses an external data file")
	}
	if incompat&qcow2Corrupt != 0 {
		r.refuse(KindCorrupt, "qcow2 image is marked corrupt")
	}
	if incompat&qcow2Dirty != 0 {
		r.warn("qcow2 image is marked dirty (not cleanly closed)")
	}
	if unknown := incompat &^ (qcow2Dirty | qcow2Corrupt | qcow2DataFile | qcow2CompressTyp | qcow2ExtendedL2); unknown != 0 {
		r.refuse(KindUnsupported, "qcow2 image has unknown incompatible features %#x", unknown)
	}
	ctype := byte(0)
	if headerLen > qcow2V3HeaderLen {
		if b, _ := s.read(qcow2V3HeaderLen, 1); b != nil {
			ctype = b[0]
		}
	}
	switch {
	case ctype == 0 && incompat&qcow2CompressTyp == 0:
	case ctype == 1 && incompat&qcow2CompressTyp != 0:
		r.info.Compression = "zstd"
	default:
		r.refuse(KindUnsupported, "qcow2 compression type %d is not supported", ctype)
	}
}

// checkQCOW2Extensions walks the header extensions, which live in the
// first cluster, looking at most DetectPrefixSize bytes in (qemu writes
// them in the first few hundred): an external data file name is refused
// even without the feature bit, since a later open could honour it. The
// bound is the same for Inspect and the streaming entry points, so both
// reach the same verdict.
func checkQCOW2Extensions(s *source, r *result, off, cluster uint64) error {
	end := min(cluster, uint64(s.size), DetectPrefixSize)
	for n := 0; off+8 <= end && n < 1024; n++ {
		b, _ := s.read(int64(off), 8)
		if b == nil {
			return nil
		}
		typ, length := be32(b, 0), uint64(be32(b, 4))
		switch typ {
		case qcow2ExtEnd:
			return nil
		case qcow2ExtDataFile:
			r.refuse(KindUnsafe, "qcow2 header names an external data file")
		case qcow2ExtCrypto:
			r.refuse(KindUnsupported, "qcow2 image carries an encryption header")
		}
		off += 8 + (length+7)&^7
	}
	return nil
}

// QED is recognised only to be refused, as Glance does: nothing accepts
// it, and it too can name a backing file.
func checkQED(s *source, r *result) error {
	r.refuse(KindUnsupported, "QED images are not accepted")
	h, err := r.fetch(s, 0, 64, "qed header")
	if h == nil {
		return err
	}
	if cs := le32(h, 4); isPow2(uint64(cs)) && cs <= 1<<26 {
		r.info.ClusterSize = int64(cs)
	}
	if size := le64(h, 48); size <= 1<<62 {
		r.info.VirtualSize = int64(size)
	}
	if le64(h, 16)&1 != 0 || le32(h, 56) != 0 {
		r.refuse(KindUnsafe, "qed image has a backing file")
	}
	return nil
}

// quoteName renders an untrusted file name from a header for a message.
func quoteName(b []byte) string {
	return strconv.Quote(clip(string(b), 64))
}
