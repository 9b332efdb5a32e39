package convert

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// readCase makes a source image with qemu-img from a raw pattern.
type readCase struct {
	name string
	fmt  string   // stratus source format
	args []string // qemu-img convert options producing it from raw
	regs []region
}

var oddRegs = []region{{'r', 70000}, {'h', 100000}, {'t', 9000}, {'z', 777}, {'r', 13}}

var readCases = []readCase{
	{"raw", "raw", nil, mixed},
	{"qcow2", "qcow2", []string{"-O", "qcow2"}, mixed},
	{"qcow2-v2", "qcow2", []string{"-O", "qcow2", "-o", "compat=0.10"}, mixed},
	{"qcow2-zlib", "qcow2", []string{"-O", "qcow2", "-c"}, mixed},
	{"qcow2-zlib-v2", "qcow2", []string{"-O", "qcow2", "-c", "-o", "compat=0.10"}, mixed},
	{"qcow2-zstd", "qcow2", []string{"-O", "qcow2", "-c", "-o", "compression_type=zstd"}, mixed},
	{"qcow2-512", "qcow2", []string{"-O", "qcow2", "-o", "cluster_size=512"}, mixed},
	{"qcow2-512-zlib", "qcow2", []string{"-O", "qcow2", "-c", "-o", "cluster_size=512"}, mixed},
	{"qcow2-2M", "qcow2", []string{"-O", "qcow2", "-o", "cluster_size=2M"}, mixed},
	{"qcow2-2M-zstd", "qcow2", []string{"-O", "qcow2", "-c", "-o", "cluster_size=2M,compression_type=zstd"}, mixed},
	{"qcow2-odd", "qcow2", []string{"-O", "qcow2"}, oddRegs},
	{"qcow2-odd-zlib", "qcow2", []string{"-O", "qcow2", "-c"}, oddRegs},
	{"vmdk-sparse", "vmdk", []string{"-O", "vmdk"}, mixed},
	{"vmdk-stream", "vmdk", []string{"-O", "vmdk", "-o", "subformat=streamOptimized"}, mixed},
	{"vmdk-stream-odd", "vmdk", []string{"-O", "vmdk", "-o", "subformat=streamOptimized"}, oddRegs},
	{"vhd-dynamic", "vhd", []string{"-O", "vpc"}, mixed},
	{"vhd-fixed", "vhd", []string{"-O", "vpc", "-o", "subformat=fixed"}, mixed},
	{"vhd-dynamic-forcesize", "vhd", []string{"-O", "vpc", "-o", "force_size=on"}, oddRegs},
	{"vhdx", "vhdx", []string{"-O", "vhdx"}, mixed},
	{"vhdx-1M", "vhdx", []string{"-O", "vhdx", "-o", "block_size=1M"}, mixed},
	{"vhdx-fixed", "vhdx", []string{"-O", "vhdx", "-o", "subformat=fixed"}, oddRegs},
	{"vhdx-8M", "vhdx", []string{"-O", "vhdx", "-o", "log_size=1M,block_size=8M"}, oddRegs},
}

// TestGoldenToRaw converts images of every readable format to raw and
// compares with qemu-img's own raw conversion (content with cmp
// semantics, and allocated blocks).
func TestGoldenToRaw(t *testing.T) {
	for _, c := range readCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			base := filepath.Join(dir, "base.raw")
			writeRaw(t, base, c.regs, 42)
			src := base
			if c.args != nil {
				src = filepath.Join(dir, "src."+c.fmt)
				qemuImg(t, append(append([]string{"convert", "-f", "raw"}, c.args...), base, src)...)
			}
			want := filepath.Join(dir, "want.raw")
			qemuImg(t, "convert", "-f", qemuFmt(c.fmt), "-O", "raw", src, want)
			got := filepath.Join(dir, "got.raw")
			res := convertFile(t, src, c.fmt, got, "raw", false)
			sameContent(t, want, got)
			if g, w := allocated(t, got), allocated(t, want); g > w+64<<10 {
				t.Errorf("stratus output allocates %d bytes, qemu-img's %d", g, w)
			}
			checkSums(t, res, src, got)
		})
	}
}

func qemuFmt(f string) string {
	if f == "vhd" {
		return "vpc"
	}
	return f
}

func fileSHA256(t testing.TB, path string) string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func checkSums(t *testing.T, res *Result, src, out string) {
	t.Helper()
	if g, w := res.SrcSums["sha256"], fileSHA256(t, src); g != w {
		t.Errorf("source sha256 %s, want %s", g, w)
	}
	if g, w := res.OutSums["sha256"], fileSHA256(t, out); g != w {
		t.Errorf("output sha256 %s, want %s", g, w)
	}
}
