package convert

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/testutil"
)

type writeCase struct {
	name     string
	srcArgs  []string // qemu-img convert options making the source from raw; nil: raw
	srcFmt   string
	dstFmt   string
	compress bool
	regs     []region
}

var writeCases = []writeCase{
	{"raw-qcow2", nil, "raw", "qcow2", false, mixed},
	{"raw-qcow2-c", nil, "raw", "qcow2", true, mixed},
	{"raw-qcow2-odd", nil, "raw", "qcow2", false, oddRegs},
	{"raw-qcow2-c-odd", nil, "raw", "qcow2", true, oddRegs},
	{"raw-vmdk", nil, "raw", "vmdk", false, mixed},
	{"raw-vmdk-odd", nil, "raw", "vmdk", false, oddRegs},
	{"qcow2zlib-vmdk", []string{"-O", "qcow2", "-c"}, "qcow2", "vmdk", false, mixed},
	{"vmdkstream-qcow2-c", []string{"-O", "vmdk", "-o", "subformat=streamOptimized"}, "vmdk", "qcow2", true, mixed},
	{"vhdx-qcow2", []string{"-O", "vhdx"}, "vhdx", "qcow2", false, mixed},
	{"vhd-vmdk", []string{"-O", "vpc"}, "vhd", "vmdk", false, mixed},
}

// TestGoldenWrite converts to qcow2 and streamOptimized vmdk and lets
// qemu-img judge the result: compare must find it identical to the
// source, check must find the qcow2 clean.
func TestGoldenWrite(t *testing.T) {
	for _, c := range writeCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			base := filepath.Join(dir, "base.raw")
			writeRaw(t, base, c.regs, 7)
			src := base
			if c.srcArgs != nil {
				src = filepath.Join(dir, "src."+c.srcFmt)
				qemuImg(t, append(append([]string{"convert", "-f", "raw"}, c.srcArgs...), base, src)...)
			}
			out := filepath.Join(dir, "out."+c.dstFmt)
			res := convertFile(t, src, c.srcFmt, out, c.dstFmt, c.compress)
			checkSums(t, res, src, out)
			qemuCompare(t, src, qemuFmt(c.srcFmt), out, c.dstFmt)
			if c.dstFmt == "qcow2" {
				qemuImg(t, "check", "-f", "qcow2", out)
			}
			// Our own reader must read our own output back too.
			back := filepath.Join(dir, "back.raw")
			convertFile(t, out, c.dstFmt, back, "raw", false)
			want := filepath.Join(dir, "want.raw")
			qemuImg(t, "convert", "-f", qemuFmt(c.srcFmt), "-O", "raw", src, want)
			sameContent(t, want, back)
		})
	}
}

func qemuCompare(t *testing.T, a, af, b, bf string) {
	t.Helper()
	bin := testutil.RequireTool(t, "qemu-img")
	out, err := exec.Command(bin, "compare", "-f", af, "-F", bf, a, b).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Images are identical") {
		t.Fatalf("qemu-img compare %s %s: %v\n%s", af, bf, err, out)
	}
}
