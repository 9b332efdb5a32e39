package qemu

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/testutil"
)

func TestCreateOverlayAgainstQemuImg(t *testing.T) {
	qimg := testutil.RequireTool(t, "qemu-img")
	dir := t.TempDir()
	base := filepath.Join(dir, "base.raw")
	content := bytes.Repeat([]byte("stratus!"), 3<<17) // 3 MiB
	if err := os.WriteFile(base, content, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int64{3 << 20, 1 << 30, 600 << 30} {
		ov := filepath.Join(dir, "disk.qcow2")
		if err := CreateOverlay(ov, base, "raw", size); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(qimg, "check", ov).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "No errors were found") {
			t.Fatalf("qemu-img check (size %d): %v\n%s", size, err, out)
		}
		out, err = exec.Command(qimg, "info", "--output=json", ov).Output()
		if err != nil {
			t.Fatal(err)
		}
		var info struct {
			VirtualSize int64  `json:"virtual-size"`
			Format      string `json:"format"`
			Backing     string `json:"backing-filename"`
			BackingFmt  string `json:"backing-filename-format"`
		}
		if err := json.Unmarshal(out, &info); err != nil {
			t.Fatal(err)
		}
		if info.VirtualSize != size || info.Format != "qcow2" || info.Backing != base || info.BackingFmt != "raw" {
			t.Fatalf("qemu-img info: %+v", info)
		}
	}
	// The overlay reads as the base, grown with zeros.
	ov := filepath.Join(dir, "disk.qcow2")
	if err := CreateOverlay(ov, base, "raw", 4<<20); err != nil {
		t.Fatal(err)
	}
	flat := filepath.Join(dir, "flat.raw")
	if out, err := exec.Command(qimg, "convert", "-O", "raw", ov, flat).CombinedOutput(); err != nil {
		t.Fatalf("convert: %v\n%s", err, out)
	}
	got, err := os.ReadFile(flat)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte{}, content...), make([]byte, 1<<20)...)
	if !bytes.Equal(got, want) {
		t.Fatalf("overlay reads differ from the base (%d vs %d bytes)", len(got), len(want))
	}
	// Writes go to the overlay and leave the base as it was.
	if out, err := exec.Command(qimg, "resize", ov, "8M").CombinedOutput(); err != nil {
		t.Fatalf("resize: %v\n%s", err, out)
	}
	if out, err := exec.Command(qimg, "check", ov).CombinedOutput(); err != nil {
		t.Fatalf("check after resize: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(base); !bytes.Equal(b, content) {
		t.Fatal("base changed")
	}
}

func TestCreateEmpty(t *testing.T) {
	qimg := testutil.RequireTool(t, "qemu-img")
	p := filepath.Join(t.TempDir(), "e.qcow2")
	if err := CreateEmpty(p, 1<<30); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(qimg, "check", p).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "No errors were found") {
		t.Fatalf("check: %v\n%s", err, out)
	}
	out, _ = exec.Command(qimg, "info", "--output=json", p).Output()
	if strings.Contains(string(out), "backing") || !strings.Contains(string(out), `"virtual-size": 1073741824`) {
		t.Fatalf("info: %s", out)
	}
	if err := CreateOverlay(p, "", "raw", 1<<20); err == nil {
		t.Fatal("an overlay without a backing file")
	}
}

func TestCreateOverlayRefusals(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.qcow2")
	for _, c := range []struct {
		backing, fmt string
		size         int64
	}{
		{"relative.raw", "raw", 1 << 20},
		{"/abs.raw", "vmdk", 1 << 20},
		{"/abs.raw", "raw", 0},
		{"/abs.raw", "raw", 1000},
		{"/" + strings.Repeat("a", 1100), "raw", 1 << 20},
		{"/abs.raw", "raw", 1 << 60},
	} {
		if err := CreateOverlay(p, c.backing, c.fmt, c.size); err == nil {
			t.Errorf("CreateOverlay(%q, %q, %d) succeeded", c.backing, c.fmt, c.size)
		}
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("a refused overlay left a file")
	}
}
