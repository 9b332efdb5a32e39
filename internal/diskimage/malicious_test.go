package diskimage

import (
	"bytes"
	"encoding/binary"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stratus-iaas/stratus/internal/testutil"
)

// recordingReaderAt counts what inspection reads: the only I/O Inspect can
// do is through the ReaderAt it is given, and this proves it stays within
// MaxInspectRead of it.
type recordingReaderAt struct {
	mu    sync.Mutex
	r     *bytes.Reader
	total int64
	calls int
}

func (r *recordingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	r.mu.Lock()
	r.total += int64(len(p))
	r.calls++
	r.mu.Unlock()
	return r.r.ReadAt(p, off)
}

func inspectBytes(t *testing.T, b []byte, declared Format) (*Info, error) {
	t.Helper()
	rec := &recordingReaderAt{r: bytes.NewReader(b)}
	info, err := Inspect(rec, int64(len(b)), declared)
	if rec.total > MaxInspectRead {
		t.Errorf("inspection read %d bytes (limit %d)", rec.total, MaxInspectRead)
	}
	return info, err
}

// qemuImage creates an image with qemu-img in dir and returns its bytes.
func qemuImage(t *testing.T, bin, dir, name string, args ...string) []byte {
	t.Helper()
	out := filepath.Join(dir, name)
	full := []string{args[0], "-q"}
	for _, a := range args[1:] {
		full = append(full, strings.ReplaceAll(a, "OUT", out))
	}
	qemuImg(t, bin, full...)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func putBE32(b []byte, off int, v uint32) []byte {
	b = bytes.Clone(b)
	binary.BigEndian.PutUint32(b[off:], v)
	return b
}

func putLE(b []byte, off int, v any) []byte {
	b = bytes.Clone(b)
	var w bytes.Buffer
	_ = binary.Write(&w, binary.LittleEndian, v)
	copy(b[off:], w.Bytes())
	return b
}

// rewriteVMDKDescriptor replaces old with new in the embedded descriptor
// of a sparse vmdk (the area is NUL padded, so it may grow).
func rewriteVMDKDescriptor(t *testing.T, b []byte, old, new string) []byte {
	t.Helper()
	off := int(binary.LittleEndian.Uint64(b[28:]) * 512)
	size := int(binary.LittleEndian.Uint64(b[36:]) * 512)
	area := b[off : off+size]
	text := string(area[:bytes.IndexByte(area, 0)])
	if !strings.Contains(text, old) {
		t.Fatalf("descriptor lacks %q:\n%s", old, text)
	}
	text = strings.Replace(text, old, new, 1)
	out := bytes.Clone(b)
	clear(out[off : off+size])
	copy(out[off:], text)
	return out
}

// streamWithFooter turns a qemu streamOptimized image into the
// one-pass layout (grain directory at the end): header gdOffset becomes
// GD_AT_END and a footer marker, footer and end-of-stream marker follow.
func streamWithFooter(b []byte, tweak func(footer []byte)) []byte {
	hdr := bytes.Clone(b[:512])
	out := putLE(b, 56, vmdkGDAtEnd)
	marker := make([]byte, 512)
	binary.LittleEndian.PutUint64(marker, 1)
	binary.LittleEndian.PutUint32(marker[12:], vmdkMarkerFooter)
	footer := hdr // keeps the real grain directory offset
	if tweak != nil {
		tweak(footer)
	}
	out = append(out, marker...)
	out = append(out, footer...)
	return append(out, make([]byte, 512)...)
}

// TestMaliciousCorpus builds each attack shape and expects a refusal of
// the right kind whose reason names the problem.
func TestMaliciousCorpus(t *testing.T) {
	bin := testutil.RequireTool(t, "qemu-img")
	dir := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "base.raw"), make([]byte, 1<<20), 0o600))

	qcow2 := qemuImage(t, bin, dir, "plain.qcow2", "create", "-f", "qcow2", "OUT", "64M")
	vmdk := qemuImage(t, bin, dir, "plain.vmdk", "create", "-f", "vmdk", "OUT", "64M")
	stream := qemuImage(t, bin, dir, "stream.vmdk", "convert", "-O", "vmdk", "-o", "subformat=streamOptimized",
		filepath.Join(dir, "base.raw"), "OUT")
	vhd := qemuImage(t, bin, dir, "plain.vhd", "create", "-f", "vpc", "OUT", "64M")

	luks2 := make([]byte, 64<<10)
	copy(luks2, luksMagic)
	binary.BigEndian.PutUint16(luks2[6:], 2)

	qcow2ISO := append(bytes.Clone(qcow2), make([]byte, 64<<10)...)
	copy(qcow2ISO[32769:], "CD001")
	// A v2 header has no extensions, so a partition table fits after it.
	qcow2MBR := qemuImage(t, bin, dir, "v2.qcow2", "create", "-f", "qcow2", "-o", "compat=0.10", "OUT", "64M")
	clear(qcow2MBR[446:510])
	qcow2MBR[446+4], qcow2MBR[510], qcow2MBR[511] = 0x83, 0x55, 0xaa

	cases := []struct {
		name     string
		image    []byte
		declared Format
		kind     ErrorKind
		reason   string
	}{
		{"qcow2 backing file", qemuImage(t, bin, dir, "backed.qcow2", "create", "-f", "qcow2", "-b", "/etc/passwd", "-F", "raw", "OUT", "1M"),
			"", KindUnsafe, `backing file "/etc/passwd"`},
		{"qcow2 data file", qemuImage(t, bin, dir, "data.qcow2", "create", "-f", "qcow2", "-o", "data_file="+filepath.Join(dir, "data.raw"), "OUT", "1M"),
			"", KindUnsafe, "external data file"},
		{"qcow2 version 4", putBE32(qcow2, 4, 4), "", KindUnsupported, "version 4"},
		{"qcow2 cluster_bits 30", putBE32(qcow2, 20, 30), "", KindCorrupt, "cluster_bits 30"},
		{"qcow2 giant L1", putBE32(qcow2, 36, 0x7fffffff), "", KindUnsafe, "L1 table of 2147483647 entries"},
		{"qcow2 giant refcount table", putBE32(qcow2, 56, 1<<20), "", KindUnsafe, "refcount table"},
		{"qcow2 unknown feature", putBE32(qcow2, 76, 1<<5), "", KindUnsupported, "incompatible features 0x20"},
		{"qcow2 L1 too small", putBE32(qcow2, 36, 0), "", KindCorrupt, "cannot map"},
		{"qcow2 declared raw", qcow2, FormatRaw, KindUnsafe, "declared format raw does not match the detected format qcow2"},
		{"raw declared qcow2", make([]byte, 1<<20), FormatQCOW2, KindUnsafe, "declared format qcow2 does not match"},
		{"qcow2 and iso", qcow2ISO, "", KindUnsafe, "more than one format (qcow2, iso)"},
		{"qcow2 and mbr", qcow2MBR, "", KindUnsafe, "more than one format (qcow2, mbr)"},
		{"vmdk flat extent /etc/passwd", rewriteVMDKDescriptor(t, vmdk, `SPARSE "plain.vmdk"`, `FLAT "/etc/passwd" 0`),
			"", KindUnsafe, `path outside the image: "/etc/passwd"`},
		{"vmdk relative parent extent", rewriteVMDKDescriptor(t, vmdk, `"plain.vmdk"`, `"../other.vmdk"`),
			"", KindUnsafe, `"../other.vmdk"`},
		{"vmdk second extent", rewriteVMDKDescriptor(t, vmdk, `SPARSE "plain.vmdk"`, "SPARSE \"plain.vmdk\"\nRW 10 SPARSE \"b.vmdk\""),
			"", KindUnsafe, "2 extents"},
		{"vmdk createType monolithicFlat", rewriteVMDKDescriptor(t, vmdk, `monolithicSparse`, `monolithicFlat`),
			"", KindUnsupported, `createType "monolithicFlat"`},
		{"vmdk parent hint", rewriteVMDKDescriptor(t, vmdk, "# Extent", "parentFileNameHint=\"/x/base.vmdk\"\n# Extent"),
			"", KindUnsafe, "parent disk"},
		{"vmdk malformed descriptor", rewriteVMDKDescriptor(t, vmdk, "# Extent", "this is not a setting\n# Extent"),
			"", KindCorrupt, "malformed"},
		{"vmdk oversized descriptor", putLE(vmdk, 36, uint64(1<<20)), "", KindUnsafe, "oversized"},
		{"vmdk absurd grain table", putLE(vmdk, 44, uint32(1<<20)), "", KindUnsafe, "grain table size"},
		{"vmdk absurd grain", putLE(vmdk, 20, uint64(1<<40)), "", KindUnsafe, "grain size"},
		{"vmdk descriptor-only", qemuImage(t, bin, dir, "flat.vmdk", "create", "-f", "vmdk", "-o", "subformat=monolithicFlat", "OUT", "1M"),
			"", KindUnsafe, "text-only vmdk descriptor"},
		{"vmdk footer capacity mismatch", streamWithFooter(stream, func(f []byte) { binary.LittleEndian.PutUint64(f[12:], 1<<30) }),
			"", KindUnsafe, "footer disagrees with header (capacity)"},
		{"vmdk footer without signature", streamWithFooter(stream, func(f []byte) { copy(f, "XXXX") }),
			"", KindUnsafe, "footer disagrees"},
		{"vmdk footer chains", streamWithFooter(stream, func(f []byte) { binary.LittleEndian.PutUint64(f[56:], vmdkGDAtEnd) }),
			"", KindCorrupt, "another footer"},
		{"vmdk footer missing", putLE(stream, 56, vmdkGDAtEnd), "", KindCorrupt, "footer marker"},
		{"vhd differencing", vhdResum(putBE32(vhd, 60, vhdTypeDifferencing)), "", KindUnsafe, "parent disk"},
		{"qed", qemuImage(t, bin, dir, "x.qed", "create", "-f", "qed", "OUT", "1M"), "", KindUnsupported, "QED"},
		{"qed with backing", qemuImage(t, bin, dir, "b.qed", "create", "-f", "qed", "-b", "/etc/passwd", "-F", "raw", "OUT", "1M"),
			"", KindUnsupported, "qed image has a backing file"},
		{"luks2", luks2, "", KindUnsupported, "LUKS version 2"},
		{"luks2 declared raw", luks2, FormatRaw, KindUnsupported, "does not match"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			info, err := inspectBytes(t, tc.image, tc.declared)
			if err == nil {
				t.Fatalf("accepted: %+v", info)
			}
			if KindOf(err) != tc.kind {
				t.Errorf("kind %v, want %v (%v)", KindOf(err), tc.kind, err)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q does not name %q", err, tc.reason)
			}
			if info == nil || info.Safe || !hasRefusal(info) {
				t.Errorf("info does not record the refusal: %+v", info)
			}
		})
	}
}

// TestStreamFooterAccepted checks that a well-formed one-pass
// streamOptimized image (footer agreeing with the header) is accepted, so
// the footer cases above fail for the reason they claim.
func TestStreamFooterAccepted(t *testing.T) {
	bin := testutil.RequireTool(t, "qemu-img")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "base.raw"), make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	stream := qemuImage(t, bin, dir, "s.vmdk", "convert", "-O", "vmdk", "-o", "subformat=streamOptimized",
		filepath.Join(dir, "base.raw"), "OUT")
	info, err := inspectBytes(t, streamWithFooter(stream, nil), FormatVMDK)
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	if info.Subformat != "streamOptimized" || info.VirtualSize != 1<<20 || info.Compression != "deflate" {
		t.Errorf("info %+v", info)
	}
}

// TestOnlyInspectFileOpensFiles proves by construction that inspection
// cannot open anything but the file it was given: in the package's
// non-test sources the only call into package os that touches the file
// system is the os.Open in InspectFile, and no package that could reach
// other files, processes or the network is imported. Every other read goes
// through the io.ReaderAt passed to Inspect (see recordingReaderAt).
func TestOnlyInspectFileOpensFiles(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	forbiddenImports := map[string]bool{
		"os/exec": true, "syscall": true, "net": true, "net/http": true, "plugin": true,
		"io/ioutil": true, "path/filepath": true, "io/fs": true, "unsafe": true,
		"golang.org/x/sys/unix": true,
	}
	fset := token.NewFileSet()
	var osCalls []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if path := strings.Trim(imp.Path.Value, `"`); forbiddenImports[path] {
				t.Errorf("%s imports %s", name, path)
			}
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			ast.Inspect(decl, func(n ast.Node) bool {
				sel, isSel := n.(*ast.SelectorExpr)
				if !isSel {
					return true
				}
				if id, isID := sel.X.(*ast.Ident); isID && id.Name == "os" {
					where := "package scope"
					if ok {
						where = fn.Name.Name
					}
					osCalls = append(osCalls, where+": os."+sel.Sel.Name)
				}
				return true
			})
		}
	}
	want := map[string]bool{"InspectFile: os.Open": true}
	seen := map[string]bool{}
	for _, c := range osCalls {
		seen[c] = true
		if !want[c] {
			t.Errorf("unexpected use of package os: %s", c)
		}
	}
	for c := range want {
		if !seen[c] {
			t.Errorf("expected %s (test out of date?)", c)
		}
	}
}
