package diskimage

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// VMDK: the hosted sparse extent format ("KDMV", VMware's Virtual Disk
// Format 1.1 spec) with its embedded descriptor, plus recognition of the
// forms that are always refused: text-only descriptors (whose extents are
// other files) and the ESX "COWD" sparse format.

const (
	vmdkMagic     = "KDMV"
	vmdkCOWDMagic = "COWD"
	vmdkGDAtEnd   = ^uint64(0)

	vmdkFlagCompressed = 1 << 16

	vmdkMarkerEOS    = 0
	vmdkMarkerFooter = 3
)

func matchVMDK(s *source) bool {
	h := s.prefix(4)
	return hasAt(h, 0, vmdkMagic) || hasAt(h, 0, vmdkCOWDMagic) || isVMDKText(s.prefix(DetectPrefixSize))
}

// isVMDKText recognises a text descriptor: printable text (up to the first
// NUL) that sets createType. The same test oslo.utils applies, so a text
// file that happens to say createType= is treated as a descriptor.
func isVMDKText(b []byte) bool {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) == 0 || !bytes.Contains(bytes.ToLower(b), []byte("createtype")) {
		return false
	}
	// The head may end inside a multi-byte rune: drop at most three
	// trailing bytes (never more, which would make this quadratic).
	for i := 0; i < utf8.UTFMax-1 && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	for _, c := range string(b) {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c == 0x7f || c == utf8.RuneError {
			return false
		}
	}
	return true
}

// vmdkHeader is the 512-byte SparseExtentHeader, fields in file order.
type vmdkHeader struct {
	version, flags      uint32
	capacity, grain     uint64 // sectors
	descOff, descSize   uint64 // sectors
	gtesPerGT           uint32
	rgdOffset, gdOffset uint64
	compressAlgorithm   uint16
}

func parseVMDKHeader(b []byte) vmdkHeader {
	return vmdkHeader{
		version: le32(b, 4), flags: le32(b, 8),
		capacity: le64(b, 12), grain: le64(b, 20),
		descOff: le64(b, 28), descSize: le64(b, 36),
		gtesPerGT: le32(b, 44),
		rgdOffset: le64(b, 48), gdOffset: le64(b, 56),
		compressAlgorithm: le16(b, 77),
	}
}

func checkVMDK(s *source, r *result) error {
	head := s.prefix(4)
	switch {
	case hasAt(head, 0, vmdkCOWDMagic):
		r.info.Subformat = "vmfsSparse"
		r.refuse(KindUnsupported, "ESX COWD sparse vmdk is not supported")
		return nil
	case !hasAt(head, 0, vmdkMagic):
		return checkVMDKText(s, r)
	}
	b, err := r.fetch(s, 0, 512, "vmdk header")
	if b == nil {
		return err
	}
	h := parseVMDKHeader(b)
	if h.version < 1 || h.version > 3 {
		r.refuse(KindUnsupported, "vmdk sparse header version %d is not supported", h.version)
		return nil
	}
	if !checkVMDKGeometry(h, r, "header") {
		return nil
	}
	if h.gdOffset == vmdkGDAtEnd {
		// streamOptimized written in one pass: the real header is the
		// footer, and it must agree with this one (qemu trusts the footer).
		if err := checkVMDKFooter(s, r, h); err != nil {
			return err
		}
	}
	if h.flags&vmdkFlagCompressed != 0 {
		switch h.compressAlgorithm {
		case 1:
			r.info.Compression = "deflate"
		default:
			r.refuse(KindUnsupported, "vmdk compression algorithm %d is not supported", h.compressAlgorithm)
		}
	}

	if h.descOff == 0 || h.descSize == 0 {
		r.refuse(KindCorrupt, "vmdk sparse image has no embedded descriptor")
		return nil
	}
	if h.descSize > maxVMDKDescriptor/512 {
		r.refuse(KindUnsafe, "vmdk descriptor of %d sectors is oversized (limit %d bytes)", h.descSize, maxVMDKDescriptor)
		return nil
	}
	if h.descOff > uint64(s.size)/512 {
		r.refuse(KindCorrupt, "vmdk descriptor offset %d is beyond the end of the file", h.descOff)
		return nil
	}
	text, err := r.fetch(s, int64(h.descOff*512), int64(h.descSize*512), "vmdk descriptor")
	if text == nil {
		return err
	}
	d, perr := parseVMDKDescriptor(text)
	if perr != nil {
		r.refuse(KindCorrupt, "vmdk descriptor is malformed: %v", perr)
		return nil
	}
	r.info.Subformat = d.CreateType
	checkVMDKDescriptor(d, r)
	if len(d.Extents) == 1 && d.Extents[0].Sectors != h.capacity && !r.refused {
		r.warn("vmdk extent size %d sectors differs from header capacity %d", d.Extents[0].Sectors, h.capacity)
	}
	return nil
}

// checkVMDKGeometry bounds the fields a reader sizes buffers from and sets
// the virtual and grain sizes. It returns false when they are unusable.
func checkVMDKGeometry(h vmdkHeader, r *result, where string) bool {
	if !isPow2(h.grain) || h.grain > maxVMDKGrainAbsurd {
		r.refuse(KindUnsafe, "vmdk %s grain size of %d sectors is absurd (power of two up to %d required)", where, h.grain, maxVMDKGrainAbsurd)
		return false
	}
	if h.grain > MaxVMDKGrainSectors {
		r.refuse(KindUnsupported, "vmdk %s grain size of %d sectors is larger than the %d supported", where, h.grain, MaxVMDKGrainSectors)
		return false
	}
	if h.capacity == 0 {
		r.refuse(KindCorrupt, "vmdk %s capacity is 0 sectors", where)
		return false
	}
	if h.gtesPerGT == 0 || h.gtesPerGT > maxVMDKGTEsPerGT {
		r.refuse(KindUnsafe, "vmdk %s grain table size of %d entries is absurd (1..%d)", where, h.gtesPerGT, maxVMDKGTEsPerGT)
		return false
	}
	size, ok := mulFits(h.capacity, 512)
	if !ok || size > 1<<62 {
		r.refuse(KindCorrupt, "vmdk %s capacity of %d sectors is out of range", where, h.capacity)
		return false
	}
	if gd := ceilDiv(h.capacity, uint64(h.gtesPerGT)*h.grain) * 4; gd > maxTableBytes {
		r.refuse(KindUnsafe, "vmdk %s grain directory of %d bytes exceeds the %d-byte limit", where, gd, maxTableBytes)
		return false
	}
	r.info.VirtualSize = size
	r.info.ClusterSize = int64(h.grain * 512)
	return true
}

// checkVMDKFooter verifies the end of a streamOptimized image: a footer
// marker, a copy of the header that now carries the grain directory offset,
// and an end-of-stream marker. Any disagreement is refused: a reader using
// the footer would see a different disk than one using the header.
func checkVMDKFooter(s *source, r *result, h vmdkHeader) error {
	if s.size < 512+TailSize {
		r.refuse(KindCorrupt, "vmdk grain directory is at the end but the file has no room for a footer")
		return nil
	}
	tail, err := r.fetch(s, s.size-TailSize, TailSize, "vmdk footer")
	if tail == nil {
		return err
	}
	marker, footer, eos := tail[:512], tail[512:1024], tail[1024:]
	if le32(marker, 8) != 0 || le32(marker, 12) != vmdkMarkerFooter || !allZero(marker[16:]) {
		r.refuse(KindCorrupt, "vmdk footer marker is invalid")
		return nil
	}
	if !allZero(eos) || le32(eos, 12) != vmdkMarkerEOS {
		r.refuse(KindCorrupt, "vmdk end-of-stream marker is invalid")
		return nil
	}
	if !hasAt(footer, 0, vmdkMagic) {
		r.refuse(KindUnsafe, "vmdk footer disagrees with header: footer has no KDMV signature")
		return nil
	}
	f := parseVMDKHeader(footer)
	var diffs []string
	if f.version != h.version {
		diffs = append(diffs, "version")
	}
	if f.capacity != h.capacity {
		diffs = append(diffs, "capacity")
	}
	if f.grain != h.grain {
		diffs = append(diffs, "grain size")
	}
	if f.descOff != h.descOff || f.descSize != h.descSize {
		diffs = append(diffs, "descriptor location")
	}
	if f.gtesPerGT != h.gtesPerGT {
		diffs = append(diffs, "grain table size")
	}
	if f.flags != h.flags || f.compressAlgorithm != h.compressAlgorithm {
		diffs = append(diffs, "flags")
	}
	if len(diffs) > 0 {
		r.refuse(KindUnsafe, "vmdk footer disagrees with header (%s)", strings.Join(diffs, ", "))
		return nil
	}
	if f.gdOffset == vmdkGDAtEnd {
		r.refuse(KindCorrupt, "vmdk footer points at yet another footer")
	} else if f.gdOffset == 0 || f.gdOffset >= uint64(s.size)/512 {
		r.refuse(KindCorrupt, "vmdk footer grain directory offset %d is outside the file", f.gdOffset)
	}
	return nil
}

// checkVMDKText handles a descriptor-only file: never acceptable, since
// its data lives in files named by the extents, but it is parsed so the
// user is told what it would have read.
func checkVMDKText(s *source, r *result) error {
	r.refuse(KindUnsafe, "text-only vmdk descriptor: its extents are other files")
	b := s.prefix(DetectPrefixSize)
	if d, err := parseVMDKDescriptor(b); err == nil {
		r.info.Subformat = d.CreateType
		for _, e := range d.Extents {
			if e.HasName {
				r.refuse(KindUnsafe, "vmdk descriptor refers to file %s", extentTarget(e))
			}
		}
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
