package diskimage

// VirtualBox VDI (qemu block/vdi.c) and LUKS containers: both have one
// fixed header at offset 0.

const (
	vdiSignature   = 0xbeda107f
	vdiVersion11   = 0x00010001
	vdiHeaderLen   = 0x190
	vdiTypeDynamic = 1
	vdiTypeStatic  = 2
	vdiTypeUndo    = 3
	vdiTypeDiff    = 4

	luksMagic = "LUKS\xba\xbe"
)

func matchVDI(s *source) bool {
	h := s.prefix(0x44)
	return len(h) == 0x44 && le32(h, 0x40) == vdiSignature
}

func checkVDI(s *source, r *result) error {
	h, err := r.fetch(s, 0, vdiHeaderLen, "vdi header")
	if h == nil {
		return err
	}
	if v := le32(h, 0x44); v != vdiVersion11 {
		r.refuse(KindUnsupported, "vdi version %#x is not supported (only 1.1)", v)
		return nil
	}
	switch typ := le32(h, 0x4c); typ {
	case vdiTypeDynamic:
		r.info.Subformat = "dynamic"
	case vdiTypeStatic:
		r.info.Subformat = "fixed"
	case vdiTypeDiff:
		r.info.Subformat = "differencing"
		r.refuse(KindUnsafe, "differencing vdi refers to a parent disk")
	case vdiTypeUndo:
		r.info.Subformat = "undo"
		r.refuse(KindUnsupported, "vdi undo images are not supported")
	default:
		r.refuse(KindUnsupported, "vdi image type %d is not supported", typ)
	}
	if ss := le32(h, 0x168); ss != 512 {
		r.refuse(KindUnsupported, "vdi sector size %d is not supported", ss)
	}
	size := le64(h, 0x170)
	if size > 1<<62 {
		r.refuse(KindCorrupt, "vdi disk size %d is out of range", size)
		return nil
	}
	r.info.VirtualSize = int64(size)
	block, extra, blocks := uint64(le32(h, 0x178)), le32(h, 0x17c), uint64(le32(h, 0x180))
	if block < 512 || !isPow2(block) || block > maxBlockSize || extra != 0 {
		r.refuse(KindCorrupt, "vdi block size %d (extra %d) is invalid", block, extra)
		return nil
	}
	r.info.ClusterSize = int64(block)
	if blocks*4 > maxTableBytes {
		r.refuse(KindUnsafe, "vdi block map of %d entries exceeds the %d-byte limit", blocks, maxTableBytes)
	} else if blocks*block < size {
		r.refuse(KindCorrupt, "vdi block map of %d entries cannot map %d bytes", blocks, size)
	}
	if bmap := uint64(le32(h, 0x154)); bmap > uint64(s.size) || blocks*4 > uint64(s.size)-bmap {
		r.refuse(KindCorrupt, "vdi block map lies beyond the end of the file")
	}
	if le32(h, 0x158)%512 != 0 {
		r.refuse(KindCorrupt, "vdi data offset %d is not sector aligned", le32(h, 0x158))
	}
	return nil
}

func matchLUKS(s *source) bool { return hasAt(s.prefix(6), 0, luksMagic) }

// checkLUKS accepts LUKS1 (the disk is the payload after the key
// material; it cannot be looked into without the passphrase) and refuses
// LUKS2, whose JSON metadata is not parsed here, as oslo.utils does.
func checkLUKS(s *source, r *result) error {
	h, err := r.fetch(s, 0, 112, "luks header")
	if h == nil {
		return err
	}
	switch v := be16(h, 6); v {
	case 1:
	case 2:
		r.info.Subformat = "luks2"
		r.refuse(KindUnsupported, "LUKS version 2 is not supported")
		return nil
	default:
		r.refuse(KindUnsupported, "LUKS version %d is not supported", v)
		return nil
	}
	r.info.Subformat = "luks1"
	payload := uint64(be32(h, 104)) * 512
	if payload > uint64(s.size) {
		r.refuse(KindCorrupt, "LUKS payload offset %d is beyond the end of the file", payload)
		return nil
	}
	r.info.VirtualSize = s.size - int64(payload)
	r.warn("LUKS encrypted: the contents cannot be inspected")
	return nil
}
