package qemu

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/hypervisor/qemu/qemutest"
	"github.com/stratus-iaas/stratus/internal/testutil"
)

// TinyLine is what the tiny guest writes to COM1.
const TinyLine = qemutest.TinyLine

func tinyDisk(t testing.TB, size int64) string { return qemutest.TinyDisk(t, size) }

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func consoleHas(path, s string) bool {
	b, _ := os.ReadFile(path)
	return strings.Contains(string(b), s)
}

func TestProcessBootsTinyGuest(t *testing.T) {
	bin := testutil.RequireTool(t, "qemu-system-x86_64")
	base := tinyDisk(t, 1<<20)
	dir := t.TempDir()
	disk := filepath.Join(dir, "disk.qcow2")
	if err := CreateOverlay(disk, base, "raw", 4<<20); err != nil {
		t.Fatal(err)
	}
	accel, _ := DetectAccel()
	m := &Machine{ID: "0c1e2d3f-0000-4000-8000-000000000001", VCPUs: 1, MemoryMB: 64, Accel: accel, Disk: disk, VNCDisplay: freeVNCDisplay(t),
		NICs: []MachineNIC{{MAC: "fa:16:3e:00:00:01", IP: "10.0.0.5", CIDR: "10.0.0.0/24", Gateway: "10.0.0.1"}}}
	p := Paths{QMP: filepath.Join(dir, "qmp.sock"), Console: filepath.Join(dir, "console.log"), PID: filepath.Join(dir, "qemu.pid")}
	args, err := m.Args(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pr, err := startProcess(ctx, bin, args, m.ID, p, filepath.Join(dir, "qemu.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer pr.kill()
	waitFor(t, 30*time.Second, "the console line", func() bool { return consoleHas(p.Console, TinyLine) })
	var st struct {
		Status string `json:"status"`
	}
	if err := pr.qmp.Execute(ctx, "query-status", nil, &st); err != nil || st.Status != "running" {
		t.Fatalf("query-status: %+v %v", st, err)
	}
	if !isOurQEMU(pr.pid, m.ID) || isOurQEMU(pr.pid, "another-server") {
		t.Fatal("isOurQEMU does not recognise the process by its server id")
	}

	// A second supervisor (stratus restarted) finds it by pidfile and QMP.
	pr.qmp.Close() // QEMU serves one QMP client at a time
	again, err := attachProcess(ctx, m.ID, p)
	if err != nil || again == nil {
		t.Fatalf("attach: %v %v", again, err)
	}
	if err := again.qmp.Execute(ctx, "query-status", nil, &st); err != nil {
		t.Fatal(err)
	}
	again.quit(ctx)
	if !pr.wait(ctx, 10*time.Second) {
		t.Fatal("QEMU still running after quit")
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pr.pid)); err == nil {
		t.Fatalf("pid %d still in /proc", pr.pid)
	}
	if a, err := attachProcess(ctx, m.ID, p); a != nil || err != nil {
		t.Fatalf("attached to a stopped server: %v %v", a, err)
	}
}

func TestProcessStartFailureIsReported(t *testing.T) {
	bin := testutil.RequireTool(t, "qemu-system-x86_64")
	dir := t.TempDir()
	m := &Machine{ID: "x1", VCPUs: 1, MemoryMB: 64, Accel: "tcg", Disk: filepath.Join(dir, "missing.qcow2"), VNCDisplay: freeVNCDisplay(t)}
	p := Paths{QMP: filepath.Join(dir, "qmp.sock"), Console: filepath.Join(dir, "console.log"), PID: filepath.Join(dir, "qemu.pid")}
	args, _ := m.Args(p)
	_, err := startProcess(context.Background(), bin, args, m.ID, p, filepath.Join(dir, "qemu.log"))
	if err == nil || !strings.Contains(err.Error(), "missing.qcow2") {
		t.Fatalf("want QEMU's reason naming the missing disk, got %v", err)
	}
}

func freeVNCDisplay(t testing.TB) int {
	n, err := pickVNCDisplay(nil, vncFirst+int(time.Now().UnixNano()%vncCount))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
