package diskimage

import "encoding/binary"

// Rules about VHD footers shared by the inspector and the vhd reader, so
// that what inspection approves is the disk conversion reads.

// VHDFooterMismatch names the fields on which two copies of a VHD footer
// (the one at the start of a dynamic disk and the one at its end) disagree
// about what the disk is: its type, its size (current_size or the size a
// reader derives from creator and geometry) and where its dynamic header
// is. qemu reads the copy at the start, Microsoft's tools the end.
func VHDFooterMismatch(a, b []byte) []string {
	be := binary.BigEndian
	var diffs []string
	if be.Uint32(a[60:]) != be.Uint32(b[60:]) {
		diffs = append(diffs, "type")
	}
	if be.Uint64(a[48:]) != be.Uint64(b[48:]) || VHDVirtualSize(a) != VHDVirtualSize(b) {
		diffs = append(diffs, "size")
	}
	if be.Uint64(a[16:]) != be.Uint64(b[16:]) {
		diffs = append(diffs, "data offset")
	}
	return diffs
}

// VHDMaxSize is the largest virtual size of a VHD disk: qemu's vpc driver
// refuses to open larger ones (VHD_MAX_SECTORS, 0xff000000 sectors:
// 2040 GiB, also Hyper-V's limit for VHD), so the inspector and the vhd
// reader refuse them too, whatever current_size a footer claims.
const VHDMaxSize = 0xff000000 * 512

// VHDTooLarge is the reason both give for a VirtualSize above VHDMaxSize.
const VHDTooLarge = "vhd virtual size %d exceeds 2040 GiB, the largest qemu opens"

// VHDVirtualSize is the virtual size of a VHD disk with this footer, as
// qemu's vpc driver computes it (with no force_size_calc option): disks
// from Hyper-V ("win "), qemu with force_size ("qem2"), disk2vhd ("d2v "),
// XenServer ("tap\0") and XenConverter ("CTXS") by current_size, every
// other creator (Virtual PC, older qemu, VirtualBox, ...) by the CHS
// geometry, unless the geometry is the maximum one, which means
// current_size too. current_size counts whole sectors only.
func VHDVirtualSize(footer []byte) int64 {
	be := binary.BigEndian
	current := int64(be.Uint64(footer[48:]) / 512 * 512)
	switch string(footer[28:32]) {
	case "win ", "qem2", "d2v ", "CTXS", "tap\x00":
		return current
	}
	chs := int64(be.Uint16(footer[56:])) * int64(footer[58]) * int64(footer[59])
	if chs == vhdMaxGeometrySectors {
		return current
	}
	return chs * 512
}
