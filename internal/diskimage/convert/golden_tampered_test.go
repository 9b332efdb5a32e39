package convert

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/testutil"
)

// tamperCase is an image made by qemu-img and then edited the way an
// attacker (or a broken tool) would. Whatever the edit, stratus must either
// refuse the image or read the disk qemu-img reads; and its reader, run on
// the edited image without inspection, must read what qemu-img reads.
type tamperCase struct {
	name   string
	fmt    string   // stratus source format
	args   []string // qemu-img convert options producing it from raw; nil: stratus writes it
	tamper func(t *testing.T, path string)
	refuse string // substring of the inspector's refusal; "" if accepted
	// qemuRefuses: qemu-img cannot open the result, so neither may the
	// reader.
	qemuRefuses bool
	// readerRefuses: the reader refuses it too (qemu-img may read it).
	readerRefuses bool
}

var tamperCases = []tamperCase{
	{"vhd end footer says fixed", "vhd", []string{"-O", "vpc"}, func(t *testing.T, p string) {
		patchVHDFooter(t, p, true, func(f []byte, fileSize int64) {
			binary.BigEndian.PutUint32(f[60:], 2)
			copy(f[28:], "win ")
			binary.BigEndian.PutUint64(f[40:], uint64(fileSize-512))
			binary.BigEndian.PutUint64(f[48:], uint64(fileSize-512))
		})
	}, "footer at the end disagrees with the copy at the start (type, size)", false, false},
	{"vhd end footer data offset", "vhd", []string{"-O", "vpc"}, func(t *testing.T, p string) {
		patchVHDFooter(t, p, true, func(f []byte, _ int64) { binary.BigEndian.PutUint64(f[16:], 4096) })
	}, "disagrees with the copy at the start (data offset)", false, false},
	// qemu sizes a disk by its CHS geometry unless its creator is one of
	// those known to use current_size.
	{"vhd creator vbox", "vhd", []string{"-O", "vpc"}, func(t *testing.T, p string) {
		for _, atEnd := range []bool{false, true} {
			patchVHDFooter(t, p, atEnd, func(f []byte, _ int64) { setVHDCreatorSize(f, "vbox", -4096) })
		}
	}, "", false, false},
	{"vhd creator win", "vhd", []string{"-O", "vpc"}, func(t *testing.T, p string) {
		for _, atEnd := range []bool{false, true} {
			patchVHDFooter(t, p, atEnd, func(f []byte, _ int64) { setVHDCreatorSize(f, "win ", -4096) })
		}
	}, "", false, false},
	{"vhd fixed creator vbox", "vhd", []string{"-O", "vpc", "-o", "subformat=fixed"}, func(t *testing.T, p string) {
		patchVHDFooter(t, p, true, func(f []byte, _ int64) { setVHDCreatorSize(f, "vbox", -4096) })
	}, "", false, false},
	// A one-pass streamOptimized file is read through its grain directory
	// and tables, as qemu reads it, not from its grain markers.
	{"vmdk stream grain table entry zeroed", "vmdk", nil, func(t *testing.T, p string) {
		editVMDKGrainTable(t, p, func(gt []uint32) { gt[firstGrain(t, gt)] = 0 })
	}, "", false, false},
	{"vmdk stream grain table entries swapped", "vmdk", nil, func(t *testing.T, p string) {
		editVMDKGrainTable(t, p, func(gt []uint32) { swapGrains(t, gt) })
	}, "", false, false},
	{"vmdk stream by qemu-img, entries swapped", "vmdk", []string{"-O", "vmdk", "-o", "subformat=streamOptimized"}, func(t *testing.T, p string) {
		editVMDKGrainTable(t, p, func(gt []uint32) { swapGrains(t, gt) })
	}, "", false, false},
	// The metadata items qemu requires, and a metadata region larger than
	// its items need.
	{"vhdx no logical sector size", "vhdx", []string{"-O", "vhdx"}, func(t *testing.T, p string) {
		editVHDXMetadata(t, p, func(_ []byte, mt []byte) { renameVHDXItem(t, mt, 0x8141bf1d) })
	}, "lacks required items (logical sector size)", true, true},
	{"vhdx no physical sector size", "vhdx", []string{"-O", "vhdx"}, func(t *testing.T, p string) {
		editVHDXMetadata(t, p, func(_ []byte, mt []byte) { renameVHDXItem(t, mt, 0xcda348c7) })
	}, "lacks required items (physical sector size)", true, true},
	{"vhdx metadata region of 2 MiB", "vhdx", []string{"-O", "vhdx"}, func(t *testing.T, p string) {
		editVHDXMetadata(t, p, func(entry []byte, _ []byte) { binary.LittleEndian.PutUint32(entry[24:], 2<<20) })
	}, "", false, false},
	// Verdicts on vmdk headers.
	{"vmdk capacity 0", "vmdk", []string{"-O", "vmdk"}, func(t *testing.T, p string) {
		patchFile(t, p, 12, make([]byte, 8))
	}, "capacity is 0", true, true},
	{"vmdk grain 4 MiB", "vmdk", []string{"-O", "vmdk"}, func(t *testing.T, p string) {
		patchFile(t, p, 20, binary.LittleEndian.AppendUint64(nil, 8192))
	}, "grain size of 8192 sectors is larger than the 4096 supported", false, true},
	// qemu refuses a bad checksum on the footer copy it reads.
	{"vhd start footer checksum", "vhd", []string{"-O", "vpc"}, func(t *testing.T, p string) {
		patchFile(t, p, 64, []byte{1, 2, 3, 4})
	}, "checksum", true, true},
	{"vhd end footer checksum", "vhd", []string{"-O", "vpc"}, func(t *testing.T, p string) {
		st, _ := os.Stat(p)
		patchFile(t, p, st.Size()-512+64, []byte{1, 2, 3, 4})
	}, "", false, false},
	{"vhd fixed footer checksum", "vhd", []string{"-O", "vpc", "-o", "subformat=fixed"}, func(t *testing.T, p string) {
		st, _ := os.Stat(p)
		patchFile(t, p, st.Size()-512+64, []byte{1, 2, 3, 4})
	}, "checksum", true, true},
	// qemu opens no VHD above 2040 GiB (VHD_MAX_SECTORS), whatever its
	// footer's current_size (used for creator "qem2") says.
	{"vhd over 2040 GiB", "vhd", []string{"-O", "vpc", "-o", "force_size=on"}, func(t *testing.T, p string) {
		for _, atEnd := range []bool{false, true} {
			patchVHDFooter(t, p, atEnd, func(f []byte, _ int64) { binary.BigEndian.PutUint64(f[48:], 2040<<30+512) })
		}
	}, "exceeds 2040 GiB", true, true},
	{"vhd end footer timestamp", "vhd", []string{"-O", "vpc"}, func(t *testing.T, p string) {
		patchVHDFooter(t, p, true, func(f []byte, _ int64) { f[24] ^= 1 })
	}, "", false, false},
}

func TestGoldenTampered(t *testing.T) {
	for _, c := range tamperCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			base := filepath.Join(dir, "base.raw")
			writeRaw(t, base, mixed, 7)
			src := filepath.Join(dir, "src."+c.fmt)
			if c.args == nil {
				convertFile(t, base, "raw", src, c.fmt, false)
			} else {
				qemuImg(t, append(append([]string{"convert", "-f", "raw"}, c.args...), base, src)...)
			}
			c.tamper(t, src)
			want := filepath.Join(dir, "want.raw")
			if c.qemuRefuses {
				qemuImgFails(t, "convert", "-f", qemuFormat(c.fmt), "-O", "raw", src, want)
			} else {
				qemuImg(t, "convert", "-f", qemuFormat(c.fmt), "-O", "raw", src, want)
			}

			// The inspector's own verdict, then the conversion's.
			if _, err := diskimage.InspectFile(src, diskimage.Format(c.fmt)); (err == nil) != (c.refuse == "") ||
				err != nil && (!strings.Contains(err.Error(), c.refuse) || diskimage.KindOf(err) == diskimage.KindIO) {
				t.Fatalf("inspect: %v, want a refusal naming %q", err, c.refuse)
			}
			got := filepath.Join(dir, "got.raw")
			_, err := ConvertFile(context.Background(), src, got, Options{SrcFormat: c.fmt, DstFormat: "raw"})
			switch {
			case c.refuse == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.refuse == "":
				sameContent(t, want, got)
			case err == nil || !strings.Contains(err.Error(), c.refuse) || diskimage.KindOf(err) == diskimage.KindIO:
				t.Fatalf("got %v, want a refusal naming %q", err, c.refuse)
			}
			// The reader alone reads what qemu reads.
			raw := filepath.Join(dir, "reader.raw")
			_, err = ConvertFile(context.Background(), src, raw, Options{SrcFormat: c.fmt, DstFormat: "raw", SkipInspect: true})
			switch {
			case c.readerRefuses && err == nil:
				t.Fatal("reader: accepted an image the inspector refuses")
			case !c.readerRefuses && err != nil:
				t.Fatalf("reader: %v", err)
			case !c.readerRefuses:
				sameContent(t, want, raw)
			}
		})
	}
}

func qemuFormat(f string) string {
	if f == "vhd" {
		return "vpc"
	}
	return f
}

// setVHDCreatorSize sets the creator and makes current_size differ from
// the CHS geometry's size by delta bytes.
func setVHDCreatorSize(f []byte, creator string, delta int64) {
	be := binary.BigEndian
	chs := int64(be.Uint16(f[56:])) * int64(f[58]) * int64(f[59]) * 512
	copy(f[28:], creator)
	be.PutUint64(f[40:], uint64(chs+delta))
	be.PutUint64(f[48:], uint64(chs+delta))
}

// patchVHDFooter edits the footer at the end (or its copy at the start)
// and recomputes its checksum.
func patchVHDFooter(t *testing.T, path string, atEnd bool, edit func(f []byte, fileSize int64)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	off := 0
	if atEnd {
		off = len(b) - 512
	}
	f := b[off : off+512]
	edit(f, int64(len(b)))
	binary.BigEndian.PutUint32(f[64:], 0)
	var sum uint32
	for _, c := range f {
		sum += uint32(c)
	}
	binary.BigEndian.PutUint32(f[64:], ^sum)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// editVMDKGrainTable edits the first grain table of a vmdk image, whose
// grain directory is named by its header or, in a one-pass
// streamOptimized image, by its footer.
func editVMDKGrainTable(t *testing.T, path string, edit func(gt []uint32)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	h := b[:512]
	if le.Uint64(h[56:]) == ^uint64(0) {
		h = b[len(b)-1024:] // the footer
	}
	gd := int(le.Uint64(h[56:])) * 512
	gtOff := int(le.Uint32(b[gd:])) * 512
	n := int(le.Uint32(h[44:]))
	gt := make([]uint32, n)
	for i := range gt {
		gt[i] = le.Uint32(b[gtOff+4*i:])
	}
	edit(gt)
	for i, e := range gt {
		le.PutUint32(b[gtOff+4*i:], e)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func firstGrain(t *testing.T, gt []uint32) int {
	t.Helper()
	for i, e := range gt {
		if e > 1 {
			return i
		}
	}
	t.Fatal("no allocated grain in the grain table")
	return 0
}

func swapGrains(t *testing.T, gt []uint32) {
	t.Helper()
	var at []int
	for i, e := range gt {
		if e > 1 {
			at = append(at, i)
		}
	}
	if len(at) < 2 {
		t.Fatal("fewer than two allocated grains in the grain table")
	}
	gt[at[0]], gt[at[1]] = gt[at[1]], gt[at[0]]
}

func qemuImgFails(t *testing.T, args ...string) {
	t.Helper()
	bin := testutil.RequireTool(t, "qemu-img")
	if out, err := exec.Command(bin, args...).CombinedOutput(); err == nil {
		t.Fatalf("qemu-img %v succeeded:\n%s", args, out)
	}
}

// editVHDXMetadata edits the metadata region entry of a vhdx region table
// (both copies, checksums recomputed) and the metadata table it points at.
func editVHDXMetadata(t *testing.T, path string, edit func(entry, table []byte)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	metaID := [16]byte{0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b, 0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e}
	var table []byte
	for i, at := range []int{192 << 10, 256 << 10} {
		rt := b[at : at+64<<10]
		for k := 0; k < int(le.Uint32(rt[8:])); k++ {
			e := rt[16+32*k : 48+32*k]
			if [16]byte(e[:16]) != metaID {
				continue
			}
			off := int(le.Uint64(e[16:]))
			if i == 0 {
				table = b[off : off+64<<10]
				edit(e, table)
			} else {
				edit(e, nil)
			}
		}
		le.PutUint32(rt[4:], 0)
		le.PutUint32(rt[4:], crc32.Checksum(rt, crc32.MakeTable(crc32.Castagnoli)))
	}
	if table == nil {
		t.Fatal("no metadata region")
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// renameVHDXItem gives the metadata item whose GUID starts with first
// another GUID, which is not required: the item is then missing.
func renameVHDXItem(t *testing.T, mt []byte, first uint32) {
	if mt == nil {
		return
	}
	le := binary.LittleEndian
	for k := 0; k < int(le.Uint16(mt[10:])); k++ {
		e := mt[32+32*k:]
		if le.Uint32(e) == first {
			e[15] ^= 0xff
			le.PutUint32(e[24:], le.Uint32(e[24:])&^4)
			return
		}
	}
	t.Fatalf("no metadata item %08x", first)
}

func patchFile(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}
