package diskimage

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"strings"
)

// VHDX ([MS-VHDX]): file identifier at 0, region tables at 192 KiB and
// 256 KiB, a metadata region (wherever the region table says) whose table
// of items gives the virtual size, the block size and whether the disk has
// a parent. Counts and lengths come from the file and are all bounded.

const (
	vhdxMagic          = "vhdxfile"
	vhdxHeader1Off     = 64 << 10
	vhdxHeader2Off     = 128 << 10
	vhdxHeaderLen      = 4 << 10
	vhdxRegionTableOff = 192 << 10
	vhdxRegionTableLen = 64 << 10
	vhdxMetaTableLen   = 64 << 10
	vhdxMaxEntries     = 2047
	vhdxMaxVirtualSize = 64 << 40

	vhdxHasParent = 1 << 1
	vhdxRequired  = 1 << 2 // metadata entry IsRequired
)

var (
	vhdxRegionBAT      = guid("2DC27766-F623-4200-9D64-115E9BFD4A08")
	vhdxRegionMetadata = guid("8B7CA206-4790-4B9A-B8FE-575F050F886E")
	vhdxFileParameters = guid("CAA16737-FA36-4D43-B3B6-33F0AA44E76B")
	vhdxVirtualSize    = guid("2FA54224-CD1B-4876-B211-5DBED83BF4B8")
	vhdxParentLocator  = guid("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C")
	vhdxLogicalSector  = guid("8141BF1D-A96F-4709-BA47-F233A8FAAB5F")
	vhdxKnownItems     = [][16]byte{
		vhdxFileParameters, vhdxVirtualSize, vhdxParentLocator,
		guid("BECA12AB-B2E6-4523-93EF-C309E000C746"), // page 83 data
		vhdxLogicalSector,
		guid("CDA348C7-445D-4471-9CC9-E9885251C556"), // physical sector size
	}
)

// guid encodes a textual GUID the way Microsoft stores it on disk: the
// first three groups little-endian, the rest as written.
func guid(s string) [16]byte {
	raw, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(raw) != 16 {
		panic("diskimage: bad GUID literal " + s) // program constant, not input
	}
	var g [16]byte
	binary.LittleEndian.PutUint32(g[0:], binary.BigEndian.Uint32(raw[0:]))
	binary.LittleEndian.PutUint16(g[4:], binary.BigEndian.Uint16(raw[4:]))
	binary.LittleEndian.PutUint16(g[6:], binary.BigEndian.Uint16(raw[6:]))
	copy(g[8:], raw[8:])
	return g
}

func guidAt(b []byte, off int) [16]byte { return [16]byte(b[off : off+16]) }

func matchVHDX(s *source) bool { return hasAt(s.prefix(8), 0, vhdxMagic) }

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// vhdxChecksumOK verifies a CRC-32C computed with its own field (at off)
// zeroed, as every VHDX structure stores it.
func vhdxChecksumOK(b []byte, off int) bool {
	c := bytes.Clone(b)
	clear(c[off : off+4])
	return crc32.Checksum(c, castagnoli) == le32(b, off)
}

func checkVHDX(s *source, r *result) error {
	if err := checkVHDXHeaders(s, r); err != nil || r.refused {
		return err
	}
	rt, err := r.fetch(s, vhdxRegionTableOff, vhdxRegionTableLen, "vhdx region table")
	if rt == nil {
		return err
	}
	if !hasAt(rt, 0, "regi") || !vhdxChecksumOK(rt, 4) {
		r.refuse(KindCorrupt, "vhdx region table signature or checksum is invalid")
		return nil
	}
	count := le32(rt, 8)
	if count > vhdxMaxEntries {
		r.refuse(KindCorrupt, "vhdx region table has %d entries (limit %d)", count, vhdxMaxEntries)
		return nil
	}
	var metaOff, metaLen, batLen uint64
	for i := 0; i < int(count); i++ {
		e := rt[16+32*i : 16+32*(i+1)]
		id, off, length, required := guidAt(e, 0), le64(e, 16), uint64(le32(e, 24)), le32(e, 28)&1 != 0
		switch id {
		case vhdxRegionMetadata:
			metaOff, metaLen = off, length
		case vhdxRegionBAT:
			batLen = length
		default:
			if required {
				r.refuse(KindUnsupported, "vhdx has an unknown required region")
			}
		}
	}
	if batLen > maxTableBytes {
		r.refuse(KindUnsafe, "vhdx block table of %d bytes exceeds the %d-byte limit", batLen, maxTableBytes)
	}
	if metaLen < vhdxMetaTableLen || metaOff > uint64(s.size) || metaLen > uint64(s.size)-metaOff {
		r.refuse(KindCorrupt, "vhdx metadata region is missing or outside the file")
		return nil
	}
	mt, err := r.fetch(s, int64(metaOff), vhdxMetaTableLen, "vhdx metadata table")
	if mt == nil {
		return err
	}
	return checkVHDXMetadata(s, r, mt, metaOff, metaLen)
}

// checkVHDXHeaders picks the current header as qemu does (valid checksum,
// highest sequence number) and refuses an image whose log still has to be
// replayed: qemu only replays it read-write, and a reader that ignored it
// would see stale blocks.
func checkVHDXHeaders(s *source, r *result) error {
	var cur []byte
	var curSeq uint64
	for _, off := range []int64{vhdxHeader1Off, vhdxHeader2Off} {
		h, err := r.fetch(s, off, vhdxHeaderLen, "vhdx header")
		if h == nil {
			return err
		}
		if !hasAt(h, 0, "head") || !vhdxChecksumOK(h, 4) {
			continue
		}
		if seq := le64(h, 8); cur == nil || seq > curSeq {
			cur, curSeq = h, seq
		}
	}
	if cur == nil {
		r.refuse(KindCorrupt, "vhdx has no valid header")
		return nil
	}
	if v := le16(cur, 66); v != 1 {
		r.refuse(KindUnsupported, "vhdx version %d is not supported", v)
	}
	if !allZero(cur[48:64]) {
		r.refuse(KindUnsupported, "vhdx log must be replayed first (image was not closed cleanly)")
	}
	return nil
}

func checkVHDXMetadata(s *source, r *result, mt []byte, metaOff, metaLen uint64) error {
	if !hasAt(mt, 0, "metadata") {
		r.refuse(KindCorrupt, "vhdx metadata table signature not found")
		return nil
	}
	count := le16(mt, 10)
	if count > vhdxMaxEntries {
		r.refuse(KindCorrupt, "vhdx metadata table has %d entries (limit %d)", count, vhdxMaxEntries)
		return nil
	}
	// item reads the first n bytes of a small item, checking that it lies
	// inside the metadata region.
	item := func(e []byte, what string, n uint64) ([]byte, error) {
		off, length := uint64(le32(e, 16)), uint64(le32(e, 20))
		if length < n || off < vhdxMetaTableLen || off+length > metaLen {
			r.refuse(KindCorrupt, "vhdx %s item lies outside the metadata region", what)
			return nil, nil
		}
		return r.fetch(s, int64(metaOff+off), int64(n), "vhdx "+what)
	}
	seen := map[[16]byte]bool{}
	lss := uint32(0)
	for i := 0; i < int(count); i++ {
		e := mt[32+32*i : 32+32*(i+1)]
		id := guidAt(e, 0)
		seen[id] = true
		switch id {
		case vhdxVirtualSize:
			b, err := item(e, "virtual size", 8)
			if b == nil {
				return err
			}
			size := le64(b, 0)
			if size == 0 || size > vhdxMaxVirtualSize {
				r.refuse(KindCorrupt, "vhdx virtual size %d is out of range", size)
				return nil
			}
			r.info.VirtualSize = int64(size)
		case vhdxFileParameters:
			b, err := item(e, "file parameters", 8)
			if b == nil {
				return err
			}
			block := uint64(le32(b, 0))
			if block < 1<<20 || block > maxBlockSize || !isPow2(block) {
				r.refuse(KindCorrupt, "vhdx block size %d is invalid", block)
				return nil
			}
			r.info.ClusterSize = int64(block)
			if le32(b, 4)&vhdxHasParent != 0 {
				r.info.Subformat = "differencing"
				r.refuse(KindUnsafe, "differencing vhdx refers to a parent disk")
			}
		case vhdxLogicalSector:
			b, err := item(e, "logical sector size", 4)
			if b == nil {
				return err
			}
			lss = le32(b, 0)
		case vhdxParentLocator:
			r.refuse(KindUnsafe, "vhdx has a parent locator")
		default:
			if le32(e, 24)&vhdxRequired != 0 && !knownVHDXItem(id) {
				r.refuse(KindUnsupported, "vhdx has an unknown required metadata item")
			}
		}
	}
	if missing := VHDXMissingItems(seen); len(missing) > 0 {
		r.refuse(KindUnsupported, "vhdx metadata lacks required items (%s)", strings.Join(missing, ", "))
	} else if why := VHDXCheckSectorSize(lss, uint64(r.info.VirtualSize)); why != "" {
		r.refuse(KindCorrupt, "vhdx %s (%d)", why, lss)
	}
	return nil
}

func knownVHDXItem(id [16]byte) bool {
	for _, k := range vhdxKnownItems {
		if k == id {
			return true
		}
	}
	return false
}
