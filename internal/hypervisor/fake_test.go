package hypervisor

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
)

// rawImage writes a 3 MiB raw image with data at its start and end and a
// hole between.
func rawImage(t *testing.T, dir string) (string, []byte) {
	t.Helper()
	p := filepath.Join(dir, "img.raw")
	want := make([]byte, 3<<20)
	copy(want, bytes.Repeat([]byte("head"), 1024))
	copy(want[len(want)-4096:], bytes.Repeat([]byte("tail"), 1024))
	if err := os.WriteFile(p, want, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, want
}

func newTestFake(t *testing.T, settings map[string]string) Driver {
	t.Helper()
	d, err := New("fake", Options{Dir: filepath.Join(t.TempDir(), "instances"), Host: "h1", Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestFakeSpawnDiskIsImageGrown(t *testing.T) {
	dir := t.TempDir()
	raw, want := rawImage(t, dir)
	qcow := filepath.Join(dir, "img.qcow2")
	if _, err := convert.ConvertFile(context.Background(), raw, qcow, convert.Options{SrcFormat: "raw", DstFormat: "qcow2"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name, format, path string
		rootGB             int
		size               int64
	}{
		{"raw", "raw", raw, 0, 3 << 20},
		{"raw-grown", "raw", raw, 1, 1 << 30},
		{"qcow2", "qcow2", qcow, 1, 1 << 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestFake(t, nil)
			spec := Spec{ID: "s-" + tc.name, Hostname: "vm", VCPUs: 1, MemoryMB: 512, RootGB: tc.rootGB,
				Image: Image{ID: "img", Format: tc.format, Path: tc.path}}
			if err := d.Spawn(ctx, spec); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(d.DiskPath(spec.ID))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			got := make([]byte, len(want)+4096)
			n, _ := f.ReadAt(got, 0)
			tail := make([]byte, 4096)
			f.ReadAt(tail, st.Size()-4096)
			if st.Size() != tc.size || !bytes.Equal(got[:len(want)], want) ||
				(tc.size > int64(len(want)) && (n != len(got) || !allZero(got[len(want):]) || !allZero(tail))) {
				t.Fatalf("disk is not the image grown to %d bytes (size %d)", tc.size, st.Size())
			}
			if st, _ := d.State(ctx, spec.ID); st != Running {
				t.Fatalf("state %d after spawn", st)
			}
		})
	}
}

func TestFakeLifecycleAndRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	raw, _ := rawImage(t, dir)
	idir := filepath.Join(dir, "instances")
	d, err := New("fake", Options{Dir: idir})
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{ID: "s1", Hostname: "web-1", VCPUs: 2, MemoryMB: 1024, Image: Image{ID: "i", Format: "raw", Path: raw},
		NICs: []NIC{{PortID: "p1", MAC: "fa:16:3e:00:00:01", IPs: []string{"10.0.0.5"}}}, UserData: []byte("#!/bin/sh\n")}
	if err := d.Spawn(ctx, spec); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		op   func() error
		want PowerState
	}{
		{"pause", func() error { return d.Pause(ctx, "s1") }, Paused},
		{"unpause", func() error { return d.Unpause(ctx, "s1") }, Running},
		{"suspend", func() error { return d.Suspend(ctx, "s1") }, Suspended},
		{"resume", func() error { return d.Resume(ctx, "s1") }, Running},
		{"stop", func() error { return d.PowerOff(ctx, "s1", 0) }, Shutdown},
		{"start", func() error { return d.PowerOn(ctx, "s1") }, Running},
		{"reboot", func() error { return d.Reboot(ctx, "s1", false) }, Running},
	}
	for _, st := range steps {
		if err := st.op(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got, _ := d.State(ctx, "s1"); got != st.want {
			t.Fatalf("%s: state %d, want %d", st.name, got, st.want)
		}
	}
	if err := d.Unpause(ctx, "s1"); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("unpause of a running server: %v", err)
	}
	out, err := d.ConsoleOutput(ctx, "s1", 0)
	if err != nil || strings.Count(out, "web-1 login:") != 3 || !strings.Contains(out, "10.0.0.5") || !strings.Contains(out, "user-data: 10 bytes") {
		t.Fatalf("console: %v\n%s", err, out)
	}
	if last, _ := d.ConsoleOutput(ctx, "s1", 2); strings.Count(last, "\n") != 2 {
		t.Fatalf("last 2 lines: %q", last)
	}
	u, err := d.ConsoleURL(ctx, "s1", "novnc")
	if err != nil || !strings.HasPrefix(u, "/novnc/vnc_lite.html?path=novnc%2Fwebsockify%3Ftoken%3D") {
		t.Fatalf("vnc url %q %v", u, err)
	}
	snap, err := d.SnapshotSource(ctx, "s1")
	if err != nil || snap.Format != "raw" || snap.Path != d.DiskPath("s1") {
		t.Fatalf("snapshot %+v %v", snap, err)
	}

	// A new driver on the same directory finds the server as it was.
	d2, err := New("fake", Options{Dir: idir})
	if err != nil {
		t.Fatal(err)
	}
	if all, _ := d2.Instances(ctx); len(all) != 1 || all["s1"] != Running {
		t.Fatalf("instances after restart: %v", all)
	}
	if err := d2.Destroy(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if _, err := d2.State(ctx, "s1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("state after destroy: %v", err)
	}
	if _, err := os.Stat(filepath.Join(idir, "s1")); !os.IsNotExist(err) {
		t.Fatalf("server dir left after destroy: %v", err)
	}
}

func TestFakeResizeRevert(t *testing.T) {
	ctx := context.Background()
	raw, _ := rawImage(t, t.TempDir())
	d := newTestFake(t, nil)
	if err := d.Spawn(ctx, Spec{ID: "r", RootGB: 1, Image: Image{ID: "i", Format: "raw", Path: raw}}); err != nil {
		t.Fatal(err)
	}
	size := func() int64 { st, _ := os.Stat(d.DiskPath("r")); return st.Size() }
	if err := d.Resize(ctx, Spec{ID: "r", RootGB: 2}); err != nil || size() != 2<<30 {
		t.Fatalf("resize: %v, size %d", err, size())
	}
	if err := d.RevertResize(ctx, "r"); err != nil || size() != 1<<30 {
		t.Fatalf("revert: %v, size %d", err, size())
	}
	if err := d.Resize(ctx, Spec{ID: "r", RootGB: 2}); err != nil {
		t.Fatal(err)
	}
	if err := d.ConfirmResize(ctx, "r"); err != nil || size() != 2<<30 {
		t.Fatalf("confirm: %v, size %d", err, size())
	}
	if err := d.RevertResize(ctx, "r"); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("revert after confirm: %v", err)
	}
}

func TestFakeSpawnFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.qcow2")
	os.WriteFile(bad, []byte("not a qcow2 image at all"), 0o600)
	d := newTestFake(t, nil)
	err := d.Spawn(context.Background(), Spec{ID: "x", Image: Image{ID: "i", Format: "qcow2", Path: bad}})
	if err == nil {
		t.Fatal("spawn from a bad image succeeded")
	}
	if all, _ := d.Instances(context.Background()); len(all) != 0 {
		t.Fatalf("instances after failed spawn: %v", all)
	}
	if _, err := os.Stat(filepath.Dir(d.DiskPath("x"))); !os.IsNotExist(err) {
		t.Fatalf("dir left: %v", err)
	}
}

func TestFakeSettings(t *testing.T) {
	if _, err := New("fake", Options{Dir: t.TempDir(), Settings: map[string]string{"spawn_delay": "soon"}}); err == nil {
		t.Fatal("bad delay accepted")
	}
	if _, err := New("nope", Options{}); err == nil {
		t.Fatal("unknown driver accepted")
	}
}

func TestLastLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{{"a\nb\nc\n", 2, "b\nc\n"}, {"a\nb\nc", 2, "b\nc"}, {"a\n", 5, "a\n"}, {"a\nb\n", 0, "a\nb\n"}} {
		if got := lastLines(tc.in, tc.n); got != tc.want {
			t.Errorf("lastLines(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func allZero(b []byte) bool { return bytes.Count(b, []byte{0}) == len(b) }

// The fake's display speaks RFB 3.8 with no authentication.
func TestFakeDisplayRFB(t *testing.T) {
	d, err := New("fake", Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.(Closer).Close()
	f := d.(*fake)
	addr, err := f.display.addr()
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 64)
	read := func(n int) []byte {
		t.Helper()
		if _, err := io.ReadFull(c, buf[:n]); err != nil {
			t.Fatal(err)
		}
		return buf[:n]
	}
	if v := string(read(12)); v != "RFB 003.008\n" {
		t.Fatalf("version %q", v)
	}
	c.Write([]byte("RFB 003.008\n"))
	if sec := read(2); sec[0] != 1 || sec[1] != 1 {
		t.Fatalf("security types %v", sec)
	}
	c.Write([]byte{1})
	if res := read(4); binary.BigEndian.Uint32(res) != 0 {
		t.Fatalf("security result %v", res)
	}
	c.Write([]byte{1})
	init := read(24)
	if w, h := binary.BigEndian.Uint16(init), binary.BigEndian.Uint16(init[2:]); w != 640 || h != 480 {
		t.Fatalf("server init %dx%d", w, h)
	}
	if name := string(read(int(binary.BigEndian.Uint32(init[20:])))); name != "stratus fake console" {
		t.Fatalf("name %q", name)
	}
	// A fixed vnc_base keeps the old URL form.
	d2, err := New("fake", Options{Dir: t.TempDir(), Settings: map[string]string{"vnc_base": "http://h:6080/vnc_auto.html"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = d2
}
