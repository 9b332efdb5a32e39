package e2e

import (
	"bytes"
	"os"
	"strconv"
	"testing"
)

// qemuCmdline is the command line of a server's QEMU.
func qemuCmdline(t *testing.T, serverID string) string {
	t.Helper()
	p := qemuPids(serverID)
	if len(p) != 1 {
		t.Fatalf("%d QEMUs for %s", len(p), serverID)
	}
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(p[0]) + "/cmdline")
	return string(bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
}

// TestQEMUVolumesCLI: block storage volumes on real VMs — a volume
// hot-plugged into a running server (on its command line after a
// restart), removed while the server is stopped (the tiny guest has no
// ACPI to release a disk while it runs), and a server booted from a volume
// made from the image, whose disk is the volume's file.
func TestQEMUVolumesCLI(t *testing.T) {
	n := startQEMUNode(t)
	n.MustOpenStack(t, "image", "create", "--file", tinyVMDK(t), "--disk-format", "vmdk", "--container-format", "bare", "tiny")
	vol := field(t, n.MustOpenStack(t, "volume", "create", "--size", "1", "data1", "-f", "json"), "id")
	volWait(t, n, "volume", vol, "available")
	vm := field(t, n.MustOpenStack(t, "server", "create", "--image", "tiny", "--flavor", "m1.tiny", "--wait", "vm1", "-f", "json"), "id")
	n.consoleLines(t, "vm1", 1)
	n.MustOpenStack(t, "server", "add", "volume", "vm1", "data1")
	volWait(t, n, "volume", vol, "in-use")
	n.MustOpenStack(t, "server", "stop", "vm1")
	n.waitServer(t, "vm1", "SHUTOFF")
	n.MustOpenStack(t, "server", "start", "vm1")
	n.waitServer(t, "vm1", "ACTIVE")
	if cl := qemuCmdline(t, vm); !bytes.Contains([]byte(cl), []byte(volFile(n, vol))) || !bytes.Contains([]byte(cl), []byte("serial="+vol[:20])) {
		t.Fatalf("the attached volume is not on QEMU's command line: %s", cl)
	}
	n.MustOpenStack(t, "server", "stop", "vm1")
	n.waitServer(t, "vm1", "SHUTOFF")
	n.MustOpenStack(t, "server", "remove", "volume", "vm1", "data1")
	volWait(t, n, "volume", vol, "available")
	n.MustOpenStack(t, "server", "start", "vm1")
	n.waitServer(t, "vm1", "ACTIVE")
	if cl := qemuCmdline(t, vm); bytes.Contains([]byte(cl), []byte(volFile(n, vol))) {
		t.Fatalf("a removed volume is still given to QEMU: %s", cl)
	}

	bfv := field(t, n.MustOpenStack(t, "server", "create", "--image", "tiny", "--boot-from-volume", "1", "--flavor", "m1.tiny",
		"--wait", "bfv", "-f", "json"), "id")
	n.consoleLines(t, "bfv", 1)
	if cl := qemuCmdline(t, bfv); !bytes.Contains([]byte(cl), []byte(",format=raw,if=none,id=root")) {
		t.Fatalf("the server booted from a volume does not run from a raw volume: %s", cl)
	}
	n.MustOpenStack(t, "server", "delete", "--wait", "vm1", "bfv")
	if p := qemuPids(n.DataDir); len(p) != 0 {
		t.Fatalf("QEMUs left: %v", p)
	}
}
