package diskimage

import "strings"

// VHD (Microsoft "Virtual Hard Disk Image Format Specification", qemu's
// "vpc"). Every VHD ends with a 512-byte footer; dynamic and differencing
// disks also carry a copy of it at offset 0 followed by a dynamic header.
// A fixed disk is raw content plus the footer, so it is only recognisable
// from the tail.

const (
	vhdCookie        = "conectix"
	vhdDynamicCookie = "cxsparse"
	vhdFooterSize    = 512
	vhdDynHeaderSize = 1024

	vhdTypeFixed        = 2
	vhdTypeDynamic      = 3
	vhdTypeDifferencing = 4

	vhdMaxGeometrySectors = 65535 * 16 * 255
)

func vhdAtHead(s *source) bool { return hasAt(s.prefix(8), 0, vhdCookie) }

func matchVHD(s *source) bool {
	if vhdAtHead(s) {
		return true
	}
	if s.size < 2*vhdFooterSize {
		return false
	}
	b, err := s.read(s.size-vhdFooterSize, 8)
	return err == nil && hasAt(b, 0, vhdCookie)
}

func checkVHD(s *source, r *result) error {
	atHead := vhdAtHead(s)
	var footer []byte
	var err error
	if atHead {
		footer, err = r.fetch(s, 0, vhdFooterSize, "vhd footer copy")
	} else {
		footer, err = r.fetch(s, s.size-vhdFooterSize, vhdFooterSize, "vhd footer")
	}
	if footer == nil {
		return err
	}
	// qemu (since 2.x) refuses to open a vhd whose footer, the copy it
	// reads, has a bad checksum; so does the vhd reader.
	if sum := vhdChecksum(footer, 64); sum != be32(footer, 64) {
		r.refuse(KindCorrupt, "vhd footer checksum %#x does not match its contents (%#x)", be32(footer, 64), sum)
		return nil
	}
	current := be64(footer, 48)
	if current > 1<<62 {
		r.refuse(KindCorrupt, "vhd size %d is out of range", current)
		return nil
	}
	r.info.VirtualSize = VHDVirtualSize(footer)
	if r.info.VirtualSize > VHDMaxSize {
		r.refuse(KindUnsupported, VHDTooLarge, r.info.VirtualSize)
		return nil
	}

	switch typ := be32(footer, 60); typ {
	case vhdTypeFixed:
		r.info.Subformat = "fixed"
		if atHead {
			r.refuse(KindCorrupt, "fixed vhd has its footer at the start")
			return nil
		}
		if data := s.size - vhdFooterSize; r.info.VirtualSize > data || int64(current) > data {
			r.refuse(KindCorrupt, "fixed vhd footer claims %d bytes but the file holds %d", current, data)
		}
		return nil
	case vhdTypeDynamic:
		r.info.Subformat = "dynamic"
	case vhdTypeDifferencing:
		r.info.Subformat = "differencing"
		r.refuse(KindUnsafe, "differencing vhd refers to a parent disk")
		return nil
	default:
		r.refuse(KindUnsupported, "vhd disk type %d is not supported", typ)
		return nil
	}
	if !atHead {
		r.refuse(KindCorrupt, "dynamic vhd has no footer copy at the start")
		return nil
	}
	return checkVHDDynamic(s, r, footer, current)
}

func checkVHDDynamic(s *source, r *result, footer []byte, current uint64) error {
	dhOff := be64(footer, 16)
	if dhOff > uint64(s.size) {
		r.refuse(KindCorrupt, "vhd dynamic header offset %d is beyond the end of the file", dhOff)
		return nil
	}
	dh, err := r.fetch(s, int64(dhOff), vhdDynHeaderSize, "vhd dynamic header")
	if dh == nil {
		return err
	}
	if !hasAt(dh, 0, vhdDynamicCookie) {
		r.refuse(KindCorrupt, "vhd dynamic header has no cxsparse cookie")
		return nil
	}
	entries, block := uint64(be32(dh, 28)), uint64(be32(dh, 32))
	if block < 512 || !isPow2(block) || block > maxBlockSize {
		r.refuse(KindCorrupt, "vhd block size %d is invalid", block)
		return nil
	}
	r.info.ClusterSize = int64(block)
	if entries*4 > maxTableBytes {
		r.refuse(KindUnsafe, "vhd block table of %d entries exceeds the %d-byte limit", entries, maxTableBytes)
	} else if entries*block < current {
		r.refuse(KindCorrupt, "vhd block table of %d entries cannot map %d bytes", entries, current)
	}
	if bat := be64(dh, 16); bat > uint64(s.size) || entries*4 > uint64(s.size)-bat {
		r.refuse(KindCorrupt, "vhd block table lies beyond the end of the file")
	}
	// qemu reads the copy at the start, other tools the end: copies that
	// disagree on what the disk is would give each a different disk.
	// Other differences (a timestamp, the checksum) are only suspicious.
	if s.size >= 2*vhdFooterSize {
		end, err := r.fetch(s, s.size-vhdFooterSize, vhdFooterSize, "vhd footer")
		if end == nil {
			return err
		}
		if !hasAt(end, 0, vhdCookie) {
			r.warn("vhd has no footer at the end, only the copy at the start")
		} else if diffs := VHDFooterMismatch(footer, end); len(diffs) > 0 {
			r.refuse(KindUnsafe, "vhd footer at the end disagrees with the copy at the start (%s)", strings.Join(diffs, ", "))
		} else if string(end) != string(footer) {
			r.warn("vhd footer at the end differs from the copy at the start")
		}
	}
	return nil
}

// vhdChecksum is the one's complement of the byte sum, skipping the
// checksum field at skip.
func vhdChecksum(b []byte, skip int) uint32 {
	var sum uint32
	for i, c := range b {
		if i < skip || i >= skip+4 {
			sum += uint32(c)
		}
	}
	return ^sum
}
