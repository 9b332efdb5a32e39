package convert

import (
	"path/filepath"
	"testing"
	"time"
)

// TestGoldenZeroClusters reads qcow2 v3 zero clusters (allocated and
// unallocated) written with qemu-io over data, and vhdx/vmdk images
// whose data was zeroed the same way.
func TestGoldenZeroClusters(t *testing.T) {
	for _, c := range []struct{ name, fmt, opts string }{
		{"qcow2", "qcow2", ""},
		{"qcow2-c", "qcow2", "-c"},
		{"vmdk-sparse-zeroed-grain", "vmdk", "zeroed_grain=on"},
		{"vhdx", "vhdx", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			base := filepath.Join(dir, "base.raw")
			writeRaw(t, base, []region{{'r', 4 << 20}, {'t', 1 << 20}}, 3)
			src := filepath.Join(dir, "src")
			args := []string{"convert", "-f", "raw", "-O", c.fmt}
			if c.opts == "-c" {
				args = append(args, "-c")
			} else if c.opts != "" {
				args = append(args, "-o", c.opts)
			}
			qemuImg(t, append(args, base, src)...)
			qemuIO(t, "-f", c.fmt, "-c", "write -z 0 128k", "-c", "write -z -u 1M 256k",
				"-c", "write -z 3145728 65536", "-c", "write -P 0x5a 4M 4k", src)
			want := filepath.Join(dir, "want.raw")
			qemuImg(t, "convert", "-f", c.fmt, "-O", "raw", src, want)
			got := filepath.Join(dir, "got.raw")
			convertFile(t, src, c.fmt, got, "raw", false)
			sameContent(t, want, got)
			if g, w := allocated(t, got), allocated(t, want); g > w+64<<10 {
				t.Errorf("stratus output allocates %d bytes, qemu-img's %d", g, w)
			}
		})
	}
}

// TestGoldenLargeSparse converts images of a 5 GiB virtual size (beyond
// 32-bit offsets) holding a little data, in every direction.
func TestGoldenLargeSparse(t *testing.T) {
	if testing.Short() {
		t.Skip("large sparse images in -short mode")
	}
	dir := t.TempDir()
	t0 := time.Now()
	src := filepath.Join(dir, "big.qcow2")
	qemuImg(t, "create", "-f", "qcow2", src, "5G")
	qemuIO(t, "-f", "qcow2", "-c", "write -P 0xab 0 64k", "-c", "write -P 0xcd 4G 1M",
		"-c", "write -P 0xef 5242816k 64k", src)
	want := filepath.Join(dir, "want.raw")
	qemuImg(t, "convert", "-f", "qcow2", "-O", "raw", src, want)
	t.Log(time.Since(t0), "qemu-img")
	got := filepath.Join(dir, "got.raw")
	convertFile(t, src, "qcow2", got, "raw", false, []string{}...)
	t.Log(time.Since(t0), "converted")
	sameContent(t, want, got)
	t.Log(time.Since(t0), "same")
	if g, w := allocated(t, got), allocated(t, want); g > w+64<<10 || g > 4<<20 {
		t.Errorf("stratus output allocates %d bytes, qemu-img's %d", g, w)
	}
	for _, f := range []string{"vmdk", "qcow2"} {
		out := filepath.Join(dir, "out."+f)
		convertFile(t, got, "raw", out, f, f == "qcow2", []string{}...)
		t.Log(time.Since(t0), "converted", f)
		qemuCompare(t, want, "raw", out, f)
		t.Log(time.Since(t0), "compared", f)
		if f == "qcow2" {
			qemuImg(t, "check", "-f", "qcow2", out)
		}
	}
	vhdx := filepath.Join(dir, "big.vhdx")
	qemuImg(t, "convert", "-f", "qcow2", "-O", "vhdx", src, vhdx)
	got2 := filepath.Join(dir, "got2.raw")
	convertFile(t, vhdx, "vhdx", got2, "raw", false, []string{}...)
	sameContent(t, want, got2)
}
