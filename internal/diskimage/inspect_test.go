package diskimage

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInspectHandBuilt(t *testing.T) {
	iso := buildISO(64 << 10)
	hybrid := buildMBR(64<<10, false)
	copy(hybrid[32768:], iso[32768:32774])
	gptContent := buildMBR(1<<20, true)

	cases := []struct {
		name      string
		image     []byte
		format    Format
		subformat string
		vsize     int64
		cluster   int64
		warn      string // substring of an expected warning
	}{
		{"empty", nil, FormatRaw, "", 0, 0, ""},
		{"tiny", []byte("hi"), FormatRaw, "", 2, 0, ""},
		{"zeros", make([]byte, 1<<20), FormatRaw, "", 1 << 20, 0, ""},
		{"qcow2 v2", buildQCOW2(2, 16, 1<<30), FormatQCOW2, "v2", 1 << 30, 65536, ""},
		{"qcow2 v3 512-byte clusters", buildQCOW2(3, 9, 1<<20), FormatQCOW2, "v3", 1 << 20, 512, ""},
		{"qcow2 v3 2M clusters", buildQCOW2(3, 21, 1<<40), FormatQCOW2, "v3", 1 << 40, 2 << 20, ""},
		{"vmdk", buildVMDK(2048, vmdkDescriptorText("monolithicSparse", `RW 2048 SPARSE "disk.vmdk"`)),
			FormatVMDK, "monolithicSparse", 1 << 20, 65536, ""},
		{"vmdk size mismatch", buildVMDK(2048, vmdkDescriptorText("monolithicSparse", `RW 100 SPARSE "disk.vmdk"`)),
			FormatVMDK, "monolithicSparse", 1 << 20, 65536, "differs from header capacity"},
		{"vhd dynamic", buildVHDDynamic(10 << 20), FormatVHD, "dynamic", 10 << 20, 2 << 20, ""},
		{"vhd fixed", buildVHDFixed(make([]byte, 1<<20)), FormatVHD, "fixed", 1 << 20, 0, ""},
		{"vhd dynamic 2040 GiB", buildVHDDynamic(2040 << 30), FormatVHD, "dynamic", 2040 << 30, 2 << 20, ""},
		{"vhd fixed holding gpt", buildVHDFixed(gptContent), FormatVHD, "fixed", 1 << 20, 0, ""},
		{"vhdx", buildVHDX(1<<30, 32<<20, 0), FormatVHDX, "", 1 << 30, 32 << 20, ""},
		{"vdi", buildVDI(5<<20, vdiTypeDynamic), FormatVDI, "dynamic", 5 << 20, 1 << 20, ""},
		{"vdi fixed", buildVDI(5<<20, vdiTypeStatic), FormatVDI, "fixed", 5 << 20, 1 << 20, ""},
		{"luks1", buildLUKS(1, 4096, 4<<20), FormatLUKS, "luks1", 2 << 20, 0, "encrypted"},
		{"iso", iso, FormatISO, "", 64 << 10, 0, ""},
		{"hybrid iso", hybrid, FormatISO, "", 64 << 10, 0, "hybrid ISO"},
		{"gpt", gptContent, FormatGPT, "", 1 << 20, 0, ""},
		{"mbr", buildMBR(1<<20, false), FormatMBR, "", 1 << 20, 0, ""},
		{"fat boot sector is raw", buildFAT(1 << 20), FormatRaw, "", 1 << 20, 0, ""},
		{"qcow2 extended L2", putBE32(buildQCOW2(3, 16, 1<<20), 76, qcow2ExtendedL2), FormatQCOW2, "v3", 1 << 20, 65536, ""},
		{"qcow2 extended L2 16K clusters", putBE32(buildQCOW2(3, 14, 1<<20), 76, qcow2ExtendedL2), FormatQCOW2, "v3", 1 << 20, 16384, ""},
		{"dirty qcow2", putBE32(buildQCOW2(3, 16, 1<<20), 76, qcow2Dirty), FormatQCOW2, "v3", 1 << 20, 65536, "dirty"},
		{"bad vhd end footer checksum", vhdPatchEndRaw(buildVHDDynamic(1<<20), 64, 0), FormatVHD, "dynamic", 1 << 20, 2 << 20, "differs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			info, err := inspectBytes(t, tc.image, "")
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if info.Format != tc.format || info.Subformat != tc.subformat || info.VirtualSize != tc.vsize ||
				info.ClusterSize != tc.cluster || info.ActualSize != int64(len(tc.image)) || !info.Safe {
				t.Errorf("got %+v", info)
			}
			if got := findingsText(info); (tc.warn == "") != (got == "") || !strings.Contains(got, tc.warn) {
				t.Errorf("findings %q, want a warning about %q", got, tc.warn)
			}
		})
	}
}

func findingsText(info *Info) string {
	var s []string
	for _, f := range info.Findings {
		s = append(s, f.Severity+": "+f.Reason)
	}
	return strings.Join(s, "; ")
}

func TestInspectRefusesHandBuilt(t *testing.T) {
	vmdk := func(ct, ext string) []byte { return buildVMDK(2048, vmdkDescriptorText(ct, ext)) }
	cases := []struct {
		name   string
		image  []byte
		kind   ErrorKind
		reason string
	}{
		{"vmdk vmfs createType", vmdk("vmfs", `RW 2048 VMFS "disk-flat.vmdk"`), KindUnsupported, "createType"},
		{"vmdk zero extent", vmdk("monolithicSparse", `RW 2048 ZERO`), KindUnsafe, "type ZERO"},
		{"vmdk windows path", vmdk("monolithicSparse", `RW 2048 SPARSE "C:\\disk.vmdk"`), KindUnsafe, "outside the image"},
		{"vmdk no extents", vmdk("monolithicSparse", ""), KindCorrupt, "no extents"},
		{"vmdk unquoted name", vmdk("monolithicSparse", `RW 2048 SPARSE disk.vmdk`), KindCorrupt, "not quoted"},
		{"vmdk binary descriptor", bytes.Replace(vmdk("monolithicSparse", `RW 2048 SPARSE "d.vmdk"`), []byte("CID="), []byte("C\x01ID="), 1), KindCorrupt, "control characters"},
		{"vmdk no descriptor", putLE(vmdk("monolithicSparse", ""), 36, uint64(0)), KindCorrupt, "no embedded descriptor"},
		{"vmdk descriptor past EOF", putLE(vmdk("monolithicSparse", ""), 28, uint64(1<<40)), KindCorrupt, "beyond the end"},
		{"vmdk version 9", putLE(vmdk("monolithicSparse", ""), 4, uint32(9)), KindUnsupported, "version 9"},
		{"vmdk 4 MiB grains", putLE(vmdk("monolithicSparse", ""), 20, uint64(8192)), KindUnsupported, "larger than the 4096 supported"},
		{"vmdk capacity 0", putLE(vmdk("monolithicSparse", ""), 12, uint64(0)), KindCorrupt, "capacity is 0"},
		{"vmdk COWD", append([]byte("COWD"), make([]byte, 4096)...), KindUnsupported, "COWD"},
		{"vmdk text", []byte(vmdkDescriptorText("monolithicFlat", `RW 2048 FLAT "/dev/sda" 0`)), KindUnsafe, `file "/dev/sda"`},
		{"qcow2 encrypted", putBE32(buildQCOW2(2, 16, 1<<20), 32, 1), KindUnsupported, "encrypted"},
		{"qcow2 corrupt bit", putBE32(buildQCOW2(3, 16, 1<<20), 76, qcow2Corrupt), KindCorrupt, "marked corrupt"},
		{"qcow2 extended L2 8K clusters", putBE32(buildQCOW2(3, 13, 1<<20), 76, qcow2ExtendedL2), KindCorrupt, "cluster_bits 13 is below 14, the minimum with extended L2 entries"},
		// One L1 entry maps 512 MiB of 64 KiB clusters, only 256 MiB with 16-byte L2 entries.
		{"qcow2 extended L2 L1 too small", putBE32(buildQCOW2(3, 16, 512<<20), 76, qcow2ExtendedL2), KindCorrupt, "L1 table of 1 entries cannot map 536870912 bytes (needs 2)"},
		{"qcow2 extended L2 and unknown bit", putBE32(buildQCOW2(3, 16, 1<<20), 76, qcow2ExtendedL2|1<<5), KindUnsupported, "unknown incompatible features 0x20"},
		{"qcow2 extended L2 and data file", putBE32(buildQCOW2(3, 16, 1<<20), 76, qcow2ExtendedL2|qcow2DataFile), KindUnsafe, "external data file"},
		{"qcow2 unknown incompatible", putBE32(buildQCOW2(3, 16, 1<<20), 76, 1<<9), KindUnsupported, "unknown incompatible features 0x200"},
		{"qcow2 header_length", putBE32(buildQCOW2(3, 16, 1<<20), 100, 7), KindCorrupt, "header_length"},
		{"qcow2 refcount order", putBE32(buildQCOW2(3, 16, 1<<20), 96, 7), KindCorrupt, "refcount_order"},
		{"qcow2 snapshots", putBE32(buildQCOW2(3, 16, 1<<20), 60, 1<<20), KindUnsafe, "snapshots"},
		{"qcow2 huge size", putBE32(buildQCOW2(3, 16, 1<<20), 24, 0xffffffff), KindCorrupt, "out of range"},
		{"qcow2 unaligned L1", putBE32(buildQCOW2(3, 16, 1<<20), 44, 12345), KindCorrupt, "not cluster aligned"},
		{"qcow2 data-file extension", qcow2WithExtension(qcow2ExtDataFile, "x.raw"), KindUnsafe, "names an external data file"},
		{"qcow2 v1", putBE32(buildQCOW2(2, 16, 1<<20), 4, 1), KindUnsupported, "version 1"},
		{"vhd fixed too short", putBE32(buildVHDFixed(make([]byte, 4096)), 4096+52, 1<<20), KindCorrupt, "claims"},
		{"vhd dynamic no cookie", putBE32(buildVHDDynamic(1<<20), 512, 0), KindCorrupt, "cxsparse"},
		{"vhd huge BAT", putBE32(buildVHDDynamic(1<<20), 512+28, 1<<30), KindUnsafe, "block table"},
		{"vhd block size", putBE32(buildVHDDynamic(1<<20), 512+32, 3), KindCorrupt, "block size"},
		{"vhd dynamic over 2040 GiB", buildVHDDynamic(2040<<30 + 512), KindUnsupported, "vhd virtual size 2190433321472 exceeds 2040 GiB"},
		{"vhd fixed over 2040 GiB", vhdPatchEnd(buildVHDFixed(make([]byte, 4096)), func(f []byte) { be.PutUint64(f[48:], 2041<<30) }), KindUnsupported, "exceeds 2040 GiB"},
		{"vhd unknown type", vhdResum(putBE32(buildVHDDynamic(1<<20), 60, 9)), KindUnsupported, "disk type 9"},
		{"vhd footer checksum", putBE32(buildVHDDynamic(1<<20), 64, 0), KindCorrupt, "checksum"},
		{"vhd fixed footer checksum", vhdPatchEndRaw(buildVHDFixed(make([]byte, 4096)), 64, 0), KindCorrupt, "checksum"},
		{"vhd end footer type", vhdPatchEnd(buildVHDDynamic(1<<20), func(f []byte) { be.PutUint32(f[60:], vhdTypeFixed) }), KindUnsafe, "disagrees with the copy at the start (type)"},
		{"vhd end footer size", vhdPatchEnd(buildVHDDynamic(1<<20), func(f []byte) { be.PutUint64(f[48:], 2<<20) }), KindUnsafe, "disagrees with the copy at the start (size)"},
		{"vhd end footer creator", vhdPatchEnd(buildVHDDynamic(1<<20), func(f []byte) { copy(f[28:], "vpc ") }), KindUnsafe, "disagrees with the copy at the start (size)"},
		{"vhd end footer data offset", vhdPatchEnd(buildVHDDynamic(1<<20), func(f []byte) { be.PutUint64(f[16:], 0) }), KindUnsafe, "disagrees with the copy at the start (data offset)"},
		{"vhdx parent", buildVHDX(1<<30, 32<<20, vhdxHasParent), KindUnsafe, "parent"},
		{"vhdx block size", buildVHDX(1<<30, 12345, 0), KindCorrupt, "block size"},
		{"vhdx size", buildVHDX(1<<50, 32<<20, 0), KindCorrupt, "virtual size"},
		{"vhdx no region table", putLE(buildVHDX(1<<30, 32<<20, 0), vhdxRegionTableOff, uint32(0)), KindCorrupt, "region table"},
		{"vhdx region checksum", putLE(buildVHDX(1<<30, 32<<20, 0), vhdxRegionTableOff+40, uint32(1)), KindCorrupt, "checksum"},
		{"vhdx region count", vhdxPatch(buildVHDX(1<<30, 32<<20, 0), func(rt []byte) { le.PutUint32(rt[8:], 1<<20) }), KindCorrupt, "entries"},
		{"vhdx unknown required region", vhdxPatch(buildVHDX(1<<30, 32<<20, 0), func(rt []byte) { rt[48] ^= 1 }), KindUnsupported, "unknown required region"},
		{"vhdx no header", putLE(putLE(buildVHDX(1<<30, 32<<20, 0), vhdxHeader1Off, uint32(0)), vhdxHeader2Off+4, uint32(0)), KindCorrupt, "no valid header"},
		{"vhdx dirty log", vhdxDirtyLog(), KindUnsupported, "log must be replayed"},
		{"vhdx missing items", putLE(buildVHDX(1<<30, 32<<20, 0), 256<<10+10, uint16(3)), KindUnsupported, "lacks required items (logical sector size, physical sector size)"},
		{"vhdx sector size", putLE(buildVHDX(1<<30, 32<<20, 0), 320<<10+48, uint32(1024)), KindCorrupt, "neither 512 nor 4096"},
		{"vdi diff", buildVDI(1<<20, vdiTypeDiff), KindUnsafe, "parent"},
		{"vdi huge map", putLE(buildVDI(1<<20, vdiTypeDynamic), 0x180, uint32(1<<30)), KindUnsafe, "block map"},
		{"vdi version", putLE(buildVDI(1<<20, vdiTypeDynamic), 0x44, uint32(2)), KindUnsupported, "version"},
		{"luks bad payload", buildLUKS(1, 1<<30, 4096), KindCorrupt, "payload"},
		{"luks v3", buildLUKS(3, 8, 4096), KindUnsupported, "version 3"},
		{"qcow2 and vhd footer", append(buildQCOW2(3, 16, 1<<20), vhdFooter(vhdTypeFixed, 3<<16, ^uint64(0))...), KindUnsafe, "more than one format (qcow2, vhd)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			info, err := inspectBytes(t, tc.image, "")
			if err == nil {
				t.Fatalf("accepted: %+v", info)
			}
			if KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("got %v (kind %v), want kind %v naming %q", err, KindOf(err), tc.kind, tc.reason)
			}
			if info == nil || info.Safe {
				t.Errorf("info %+v", info)
			}
		})
	}
}

// vhdxDirtyLog gives the newer header a log GUID, as an image that was not
// closed cleanly has.
func vhdxDirtyLog() []byte {
	b := buildVHDX(1<<30, 32<<20, 0)
	h := b[vhdxHeader2Off : vhdxHeader2Off+vhdxHeaderLen]
	h[48] = 1
	vhdxSum(h, 4)
	return b
}

func qcow2WithExtension(typ uint32, data string) []byte {
	b := buildQCOW2(3, 16, 1<<20)
	be.PutUint32(b[qcow2V3HeaderLen:], typ)
	be.PutUint32(b[qcow2V3HeaderLen+4:], uint32(len(data)))
	copy(b[qcow2V3HeaderLen+8:], data)
	return b
}

func TestDeclaredFormat(t *testing.T) {
	images := map[Format][]byte{
		FormatRaw:   make([]byte, 1<<20),
		FormatQCOW2: buildQCOW2(3, 16, 1<<20),
		FormatGPT:   buildMBR(1<<20, true),
		FormatMBR:   buildMBR(1<<20, false),
		FormatISO:   buildISO(1 << 20),
		FormatVHD:   buildVHDDynamic(1 << 20),
	}
	cases := []struct {
		declared string
		content  Format
		ok       bool
	}{
		{"", FormatQCOW2, true},
		{"qcow2", FormatQCOW2, true},
		{"QCOW2", FormatQCOW2, true},
		{"raw", FormatRaw, true},
		{"raw", FormatGPT, true},
		{"raw", FormatMBR, true},
		{"ami", FormatGPT, true},
		{"raw", FormatISO, false},
		{"raw", FormatQCOW2, false},
		{"iso", FormatISO, true},
		{"iso", FormatRaw, false},
		{"gpt", FormatGPT, true},
		{"gpt", FormatMBR, false},
		{"vpc", FormatVHD, true},
		{"vhd", FormatVHD, true},
		{"vmdk", FormatVHD, false},
		{"qcow2", FormatRaw, false},
	}
	for _, tc := range cases {
		_, err := inspectBytes(t, images[tc.content], Format(tc.declared))
		if (err == nil) != tc.ok {
			t.Errorf("declared %q, content %s: err %v, want ok=%v", tc.declared, tc.content, err, tc.ok)
		}
		if err != nil && KindOf(err) != KindUnsafe {
			t.Errorf("declared %q, content %s: kind %v", tc.declared, tc.content, KindOf(err))
		}
	}
	if _, err := Inspect(bytes.NewReader(nil), 0, "floppy"); KindOf(err) != KindUnsupported {
		t.Errorf("unknown declared format: %v", err)
	}
}

func TestDetect(t *testing.T) {
	q := buildQCOW2(3, 16, 1<<20)
	if f, err := Detect(q, int64(len(q))); f != FormatQCOW2 || err != nil {
		t.Errorf("Detect qcow2 = %q, %v", f, err)
	}
	if _, err := Detect(make([]byte, 100), 1<<30); !errors.Is(err, ErrNeedMoreData) {
		t.Errorf("short head: %v", err)
	}
	if f, err := Detect([]byte("tiny"), 4); f != FormatRaw || err != nil {
		t.Errorf("whole tiny file: %q %v", f, err)
	}
	both := append(bytes.Clone(q), make([]byte, 64<<10)...)
	copy(both[32769:], "CD001")
	if _, err := Detect(both, int64(len(both))); KindOf(err) != KindUnsafe {
		t.Errorf("two formats: %v", err)
	}
	fixed := buildVHDFixed(make([]byte, 1<<20))
	if f, _ := Detect(fixed[:DetectPrefixSize], int64(len(fixed))); f != FormatRaw {
		t.Errorf("fixed vhd from the head alone = %q, want raw", f)
	}
	for f, want := range map[Format]bool{FormatVHD: true, FormatRaw: true, FormatVMDK: true, FormatQCOW2: false, FormatVHDX: false} {
		if NeedsTail(f) != want {
			t.Errorf("NeedsTail(%s) = %v", f, !want)
		}
	}
}

func TestInspectPrefix(t *testing.T) {
	// A refusal visible in the head is made from the head.
	backed := putBE32(buildQCOW2(3, 16, 1<<20), 12, 4000)
	if _, err := InspectPrefix(backed[:DetectPrefixSize], 1<<30, ""); KindOf(err) != KindUnsafe {
		t.Errorf("backing file from prefix: %v", err)
	}
	// Metadata outside the head is reported as unchecked, not refused.
	vhdx := buildVHDX(1<<30, 32<<20, 0)
	info, err := InspectPrefix(vhdx[:DetectPrefixSize], int64(len(vhdx)), FormatVHDX)
	if err != nil || !strings.Contains(findingsText(info), "not checked") {
		t.Errorf("vhdx prefix: %v %+v", err, info)
	}
	// Raw content without the tail could still be a fixed vhd.
	info, err = InspectPrefix(make([]byte, DetectPrefixSize), 1<<30, FormatRaw)
	if err != nil || !strings.Contains(findingsText(info), "fixed vhd") || info.ActualSize != 1<<30 {
		t.Errorf("raw prefix: %v %+v", err, info)
	}
	// With the tail, the fixed vhd is found.
	fixed := buildVHDFixed(make([]byte, 1<<20))
	info, err = InspectHeadTail(fixed[:DetectPrefixSize], fixed[len(fixed)-TailSize:], int64(len(fixed)), FormatVHD)
	if err != nil || info.Format != FormatVHD || info.Subformat != "fixed" {
		t.Errorf("head+tail fixed vhd: %v %+v", err, info)
	}
	if _, err := InspectPrefix(nil, 100, ""); !errors.Is(err, ErrNeedMoreData) {
		t.Errorf("empty head: %v", err)
	}
}

func TestInspectFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.qcow2")
	if err := os.WriteFile(p, buildQCOW2(3, 16, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if info, err := InspectFile(p, FormatQCOW2); err != nil || info.Format != FormatQCOW2 {
		t.Errorf("InspectFile: %v %+v", err, info)
	}
	if _, err := InspectFile(dir, ""); KindOf(err) != KindUnsupported {
		t.Errorf("directory: %v", err)
	}
	if _, err := InspectFile(filepath.Join(dir, "missing"), ""); err == nil || KindOf(err) != KindIO {
		t.Errorf("missing file: %v", err)
	}
}

// zeroReaderAt is an image of any size: its header, then zeroes. It lets a
// test claim a petabyte file without having one.
type zeroReaderAt struct {
	head  []byte
	total int64
}

func (z *zeroReaderAt) ReadAt(p []byte, off int64) (int, error) {
	z.total += int64(len(p))
	clear(p)
	if off < int64(len(z.head)) {
		copy(p, z.head[off:])
	}
	return len(p), nil
}

// TestReadBudget checks that huge claims in headers of huge files never
// make inspection read more than MaxInspectRead.
func TestReadBudget(t *testing.T) {
	const size = 1 << 50
	vmdk := buildVMDK(1<<40, "")
	le.PutUint64(vmdk[36:], 1<<11) // a 1 MiB descriptor: allowed, but counted
	vhdx := buildVHDX(1<<30, 32<<20, 0)
	le.PutUint16(vhdx[256<<10+10:], 2047) // many metadata items to chase
	for name, head := range map[string][]byte{
		"qcow2": buildQCOW2(3, 21, 1<<40), "vmdk": vmdk, "vhdx": vhdx, "vhd": buildVHDDynamic(1 << 30),
		"raw": nil, "luks": buildLUKS(1, 8, 4096),
	} {
		z := &zeroReaderAt{head: head}
		if _, err := Inspect(z, size, ""); KindOf(err) == KindIO && err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if z.total > MaxInspectRead {
			t.Errorf("%s: read %d bytes", name, z.total)
		}
	}
}

type failingReaderAt struct{}

func (failingReaderAt) ReadAt(p []byte, off int64) (int, error) { return 0, io.ErrClosedPipe }

func TestReadErrorsAreIO(t *testing.T) {
	_, err := Inspect(failingReaderAt{}, 1<<20, "")
	if KindOf(err) != KindIO || !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("got %v", err)
	}
	// A file shorter than its size claims: the short read is an I/O error.
	_, err = Inspect(bytes.NewReader([]byte("abc")), 1<<20, "")
	if KindOf(err) != KindIO {
		t.Errorf("short reader: %v", err)
	}
}
