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
	if be.Uint64(a[48:]) != be.Uint64(b[48:]) || vhdVirtualSize(a) != vhdVirtualSize(b) {
		diffs = append(diffs, "size")
	}
	if be.Uint64(a[16:]) != be.Uint64(b[16:]) {
		diffs = append(diffs, "data offset")
	}
	return diffs
}
