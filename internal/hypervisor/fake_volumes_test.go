package hypervisor

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFakeVolumes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root := filepath.Join(dir, "volume-root")
	if err := os.WriteFile(root, bytes.Repeat([]byte("boot"), 1<<18), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "volume-data")
	if err := os.WriteFile(data, nil, 0o600); err != nil || os.Truncate(data, 2<<30) != nil {
		t.Fatal(err)
	}
	d := newTestFake(t, nil)
	vd := d.(Volumes)
	// Booted from a volume, the server's disk is the volume itself.
	if err := d.Spawn(ctx, Spec{ID: "s1", Hostname: "vm", VCPUs: 1, MemoryMB: 512, RootVolume: root}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(d.DiskPath("s1"))
	if err != nil || !bytes.Equal(got, bytes.Repeat([]byte("boot"), 1<<18)) {
		t.Fatalf("root disk is not the volume: %v", err)
	}
	if err := d.Rebuild(ctx, Spec{ID: "s1", Image: Image{ID: "img"}}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("rebuild of a volume-backed server: %v", err)
	}
	if err := vd.AttachVolume(ctx, "s1", VolumeDisk{VolumeID: "v2", Device: "/dev/vdb", Path: data}); err != nil {
		t.Fatal(err)
	}
	if err := vd.AttachVolume(ctx, "s1", VolumeDisk{VolumeID: "v3", Device: "/dev/vdb", Path: data}); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("second volume at one device: %v", err)
	}
	if err := vd.AttachVolume(ctx, "s1", VolumeDisk{VolumeID: "v4", Device: "/dev/vdc", Path: filepath.Join(dir, "missing")}); err == nil {
		t.Fatal("a missing volume file was attached")
	}
	out, _ := d.ConsoleOutput(ctx, "s1", 0)
	if !strings.Contains(out, "[vdb] 4194304 512-byte logical blocks (2 GiB, rw, volume v2)") {
		t.Fatalf("console does not show the volume: %s", out)
	}
	if err := vd.DetachVolume(ctx, "s1", "/dev/vdb"); err != nil {
		t.Fatal(err)
	}
	if err := vd.DetachVolume(ctx, "s1", "/dev/vdb"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second detach: %v", err)
	}
	// Destroying the server leaves its volumes.
	if err := d.Destroy(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); err != nil {
		t.Fatal("destroy removed the root volume:", err)
	}
}
