package diskimage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Hand-built minimal images, independent of qemu-img, for the unit tests
// and as fuzz seeds. Each is just enough for the inspector to accept.

var (
	be = binary.BigEndian
	le = binary.LittleEndian
)

// buildQCOW2 lays out header, refcount table and L1 table in three clusters.
func buildQCOW2(version uint32, clusterBits uint32, size uint64) []byte {
	cluster := uint64(1) << clusterBits
	b := make([]byte, 3*cluster)
	copy(b, qcow2Magic)
	be.PutUint32(b[4:], version)
	be.PutUint32(b[20:], clusterBits)
	be.PutUint64(b[24:], size)
	l1 := ceilDiv(size, cluster/8*cluster)
	be.PutUint32(b[36:], uint32(l1))
	be.PutUint64(b[40:], 2*cluster)
	be.PutUint64(b[48:], cluster)
	be.PutUint32(b[56:], 1)
	if version == 3 {
		be.PutUint32(b[96:], 4)
		be.PutUint32(b[100:], qcow2V3HeaderLen)
	}
	return b
}

func buildQED(size uint64) []byte {
	b := make([]byte, 4096)
	copy(b, qedMagic)
	le.PutUint32(b[4:], 65536)
	le.PutUint64(b[48:], size)
	return b
}

// buildVMDK is a monolithicSparse header with descriptor at sector 1.
func buildVMDK(capacity uint64, descriptor string) []byte {
	b := make([]byte, 64<<10)
	copy(b, vmdkMagic)
	le.PutUint32(b[4:], 1)
	le.PutUint32(b[8:], 3)
	le.PutUint64(b[12:], capacity)
	le.PutUint64(b[20:], 128)
	le.PutUint64(b[28:], 1)
	le.PutUint64(b[36:], 20)
	le.PutUint32(b[44:], 512)
	le.PutUint64(b[56:], 21)
	copy(b[73:], "\n \r\n")
	copy(b[512:], descriptor)
	return b
}

func vmdkDescriptorText(createType, extent string) string {
	return fmt.Sprintf("# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType=%q\n\n# Extent description\n%s\n\n# The Disk Data Base\n#DDB\nddb.adapterType = \"ide\"\n", createType, extent)
}

func vhdFooter(diskType uint32, size uint64, dataOffset uint64) []byte {
	f := make([]byte, vhdFooterSize)
	copy(f, vhdCookie)
	be.PutUint32(f[8:], 2)
	be.PutUint32(f[12:], 0x00010000)
	be.PutUint64(f[16:], dataOffset)
	copy(f[28:], "win ")
	be.PutUint64(f[40:], size)
	be.PutUint64(f[48:], size)
	be.PutUint32(f[60:], diskType)
	be.PutUint32(f[64:], vhdChecksum(f, 64))
	return f
}

func buildVHDDynamic(size uint64) []byte {
	block := uint64(2 << 20)
	entries := ceilDiv(size, block)
	footer := vhdFooter(vhdTypeDynamic, size, 512)
	b := make([]byte, 0, 4096)
	b = append(b, footer...)
	dh := make([]byte, vhdDynHeaderSize)
	copy(dh, vhdDynamicCookie)
	be.PutUint64(dh[8:], ^uint64(0))
	be.PutUint64(dh[16:], 1536)
	be.PutUint32(dh[24:], 0x00010000)
	be.PutUint32(dh[28:], uint32(entries))
	be.PutUint32(dh[32:], uint32(block))
	b = append(b, dh...)
	bat := make([]byte, (entries*4+511)&^511)
	for i := range bat {
		bat[i] = 0xff
	}
	b = append(b, bat...)
	return append(b, footer...)
}

// vhdPatchEnd edits the footer at the end of a vhd image (not its copy at
// the start) and recomputes its checksum.
func vhdPatchEnd(b []byte, edit func(f []byte)) []byte {
	f := b[len(b)-vhdFooterSize:]
	edit(f)
	be.PutUint32(f[64:], vhdChecksum(f, 64))
	return b
}

// vhdPatchEndRaw stores v at off in the footer at the end, leaving its
// checksum as it was.
func vhdPatchEndRaw(b []byte, off int, v uint32) []byte {
	be.PutUint32(b[len(b)-vhdFooterSize+off:], v)
	return b
}

// vhdResum recomputes the checksum of the footer copy at the start.
func vhdResum(b []byte) []byte {
	be.PutUint32(b[64:], vhdChecksum(b[:vhdFooterSize], 64))
	return b
}

func buildVHDFixed(content []byte) []byte {
	b := append([]byte(nil), content...)
	return append(b, vhdFooter(vhdTypeFixed, uint64(len(content)), ^uint64(0))...)
}

// buildVHDX places the region table at 192 KiB and the metadata region at
// 256 KiB, with the two items inspection requires.
func buildVHDX(size uint64, block uint32, flags uint32) []byte {
	const metaOff = 256 << 10
	b := make([]byte, metaOff+128<<10)
	copy(b, vhdxMagic)
	rt := b[vhdxRegionTableOff:]
	copy(rt, "regi")
	le.PutUint32(rt[8:], 2)
	e := rt[16:]
	copy(e, vhdxRegionMetadata[:])
	le.PutUint64(e[16:], metaOff)
	le.PutUint32(e[24:], 128<<10)
	le.PutUint32(e[28:], 1)
	e = rt[48:]
	copy(e, vhdxRegionBAT[:])
	le.PutUint64(e[16:], 1<<20)
	le.PutUint32(e[24:], 1<<20)
	le.PutUint32(e[28:], 1)
	mt := b[metaOff:]
	copy(mt, "metadata")
	le.PutUint16(mt[10:], uint16(len(VHDXRequiredItems)))
	for i, it := range VHDXRequiredItems {
		e := mt[32+32*i:]
		copy(e, it.ID[:])
		le.PutUint32(e[16:], 64<<10+uint32(16*i))
		le.PutUint32(e[20:], 16)
		le.PutUint32(e[24:], vhdxRequired)
	}
	le.PutUint32(mt[64<<10+48:], 512) // logical sector size
	le.PutUint32(mt[64<<10+64:], 512) // physical sector size
	le.PutUint32(mt[64<<10:], block)
	le.PutUint32(mt[64<<10+4:], flags)
	le.PutUint64(mt[64<<10+16:], size)
	for i, off := range []int{vhdxHeader1Off, vhdxHeader2Off} {
		h := b[off : off+vhdxHeaderLen]
		copy(h, "head")
		le.PutUint64(h[8:], uint64(i+1))
		le.PutUint16(h[66:], 1)
		le.PutUint32(h[68:], 1<<20)
		le.PutUint64(h[72:], 1<<20)
		vhdxSum(h, 4)
	}
	vhdxSum(rt[:vhdxRegionTableLen], 4)
	return b
}

// vhdxSum stores the CRC-32C of b (with the field zeroed) at off.
func vhdxSum(b []byte, off int) {
	le.PutUint32(b[off:], 0)
	le.PutUint32(b[off:], crc32.Checksum(b, castagnoli))
}

// vhdxPatch applies a change to the region table of a vhdx image and
// re-sums it, so the change, not the checksum, is what gets tested.
func vhdxPatch(b []byte, change func(rt []byte)) []byte {
	b = bytes.Clone(b)
	rt := b[vhdxRegionTableOff : vhdxRegionTableOff+vhdxRegionTableLen]
	change(rt)
	vhdxSum(rt, 4)
	return b
}

func buildVDI(size uint64, typ uint32) []byte {
	blocks := ceilDiv(size, 1<<20)
	b := make([]byte, 0x200+((blocks*4+511)&^511))
	copy(b, "<<< Oracle VM VirtualBox Disk Image >>>\n")
	le.PutUint32(b[0x40:], vdiSignature)
	le.PutUint32(b[0x44:], vdiVersion11)
	le.PutUint32(b[0x48:], 0x190)
	le.PutUint32(b[0x4c:], typ)
	le.PutUint32(b[0x154:], 0x200)
	le.PutUint32(b[0x158:], uint32(len(b)))
	le.PutUint32(b[0x168:], 512)
	le.PutUint64(b[0x170:], size)
	le.PutUint32(b[0x178:], 1<<20)
	le.PutUint32(b[0x180:], uint32(blocks))
	return b
}

func buildLUKS(version uint16, payloadSectors uint32, total int) []byte {
	b := make([]byte, total)
	copy(b, luksMagic)
	be.PutUint16(b[6:], version)
	copy(b[8:], "aes")
	copy(b[40:], "xts-plain64")
	be.PutUint32(b[104:], payloadSectors)
	be.PutUint32(b[108:], 64)
	return b
}

func buildISO(size int) []byte {
	b := make([]byte, size)
	b[32768] = 1
	copy(b[32769:], "CD001")
	return b
}

// buildMBR writes a partition table; protective makes it a GPT's.
func buildMBR(size int, protective bool) []byte {
	b := make([]byte, size)
	e := b[446:]
	e[0], e[4] = 0x80, 0x83
	if protective {
		e[0], e[4] = 0, mbrTypeGPT
		e[2] = 2
		le.PutUint32(e[8:], 1)
		copy(b[512:], gptSignature)
	}
	le.PutUint32(e[12:], uint32(size/512-1))
	b[510], b[511] = 0x55, 0xaa
	return b
}

// buildFAT is a FAT boot sector: 0x55AA but not a partition table.
func buildFAT(size int) []byte {
	b := make([]byte, size)
	b[0x10], b[0x15] = 2, 0xf8
	b[510], b[511] = 0x55, 0xaa
	return b
}
