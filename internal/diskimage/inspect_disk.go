package diskimage

// Raw-disk content that is still worth naming: ISO 9660/UDF media and
// partitioned disks (GPT, MBR). These are "raw" to qemu; detecting them
// lets the declared-format check follow Glance (raw may be gpt/mbr) and
// lets the two-formats rule see, for example, a qcow2 header that also
// carries a partition table or an ISO volume descriptor.

const (
	isoDescriptorOff = 32768 // sector 16 of 2048-byte sectors
	mbrSigOff        = 510
	mbrTableOff      = 446
	mbrTypeGPT       = 0xee
	gptSignature     = "EFI PART"
)

// matchISO looks for a volume descriptor at 32 KiB: "CD001" (ISO 9660) or
// the UDF volume recognition sequence ("BEA01", "NSR02", "NSR03").
func matchISO(s *source) bool {
	h := s.prefix(isoDescriptorOff + 6)
	for _, sig := range []string{"CD001", "BEA01", "NSR02", "NSR03"} {
		if hasAt(h, isoDescriptorOff+1, sig) {
			return true
		}
	}
	return false
}

// mbrTable returns the boot sector when it carries the 0x55AA signature
// and looks like a partition table rather than a FAT boot sector (the same
// distinction oslo.utils makes: FAT boot sectors also end in 0x55AA).
func mbrTable(s *source) []byte {
	b := s.prefix(512)
	if len(b) < 512 || b[mbrSigOff] != 0x55 || b[mbrSigOff+1] != 0xaa {
		return nil
	}
	if b[0x10] == 2 && b[0x15] == 0xf8 { // two FATs, fixed-disk media byte
		return nil
	}
	return b
}

// mbrPartitions reports whether the table is well formed (every boot flag
// 0x00 or 0x80) and which entries are in use and of GPT-protective type.
func mbrPartitions(b []byte) (valid bool, used, protective int) {
	for i := 0; i < 4; i++ {
		e := b[mbrTableOff+16*i : mbrTableOff+16*(i+1)]
		if e[0] != 0 && e[0] != 0x80 {
			return false, 0, 0
		}
		if e[4] != 0 {
			used++
			if e[4] == mbrTypeGPT {
				protective++
			}
		}
	}
	return true, used, protective
}

// gptHeaderAt returns the sector size (512 or 4096) at which a GPT header
// follows the protective MBR, or 0.
func gptHeaderAt(s *source) int {
	for _, ss := range []int{512, 4096} {
		if hasAt(s.prefix(ss+8), ss, gptSignature) {
			return ss
		}
	}
	return 0
}

func matchGPT(s *source) bool {
	b := mbrTable(s)
	if b == nil {
		return false
	}
	valid, _, protective := mbrPartitions(b)
	return valid && protective > 0 && gptHeaderAt(s) != 0
}

// matchMBR wants a well-formed table with at least one partition; a boot
// sector that fails that (a filesystem's, say) is left as raw rather than
// refused, see docs/decisions.md.
func matchMBR(s *source) bool {
	b := mbrTable(s)
	if b == nil || matchGPT(s) {
		return false
	}
	valid, used, _ := mbrPartitions(b)
	return valid && used > 0
}

// checkGPT notes the protective-MBR irregularities oslo.utils refuses
// (extra partitions beside the protective one, a start other than LBA 1).
// Glance found real images with them; since the content is a raw disk,
// they are warnings here.
func checkGPT(s *source, r *result) error {
	r.info.VirtualSize = s.size
	b := mbrTable(s)
	_, used, _ := mbrPartitions(b)
	if used != 1 {
		r.warn("GPT protective MBR defines %d partitions (hybrid MBR)", used)
	}
	for i := 0; i < 4; i++ {
		e := b[mbrTableOff+16*i:]
		if e[4] == mbrTypeGPT && le32(e, 8) != 1 {
			r.warn("GPT protective partition starts at LBA %d, not 1", le32(e, 8))
		}
	}
	if ss := gptHeaderAt(s); ss == 4096 {
		r.info.Subformat = "4k"
	}
	return nil
}
