package e2e

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/hypervisor/qemu/qemutest"
	"github.com/stratus-iaas/stratus/internal/testutil"
)

// tinyLine is what the tiny guest writes to its serial port.
const tinyLine = qemutest.TinyLine

// tinyVMDK assembles the boot sector with nasm, puts it on a 1 MiB disk
// and turns that into a VMDK with qemu-img.
func tinyVMDK(t testing.TB) string {
	t.Helper()
	qimg := testutil.RequireTool(t, "qemu-img")
	raw := qemutest.TinyDisk(t, 1<<20)
	vmdk := filepath.Join(t.TempDir(), "tiny.vmdk")
	if out, err := exec.Command(qimg, "convert", "-f", "raw", "-O", "vmdk", raw, vmdk).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img: %v\n%s", err, out)
	}
	return vmdk
}

// k5ImportTiny imports the tiny guest's VMDK through the K5 import API
// (object storage, then POST /v1/imageimport) and returns the image id.
func k5ImportTiny(t *testing.T, n *Node) string {
	t.Helper()
	vmdk, err := os.ReadFile(tinyVMDK(t))
	if err != nil {
		t.Fatal(err)
	}
	k := newK5(t, n, "admin", AdminPassword, "admin")
	loc := k.putObject(t, "disks", "tiny.vmdk", vmdk)
	const id = "5a1e7c2d-1d2b-4c4e-9f00-00000000715e"
	code, resp := k.call(t, "POST", "/import/v1/imageimport", map[string]any{"name": "tiny", "location": loc, "id": id,
		"checksum": sha1hex(vmdk), "os_type": "Red Hat Enterprise Linux 7"})
	if code != 201 || resp["import_id"] == nil {
		t.Fatalf("import: %d %v", code, resp)
	}
	st := k.waitStatus(t, "/import/v1/imageimport/"+resp["import_id"].(string)+"/status", "import_status")
	if st["import_status"] != "succeeded" {
		t.Fatalf("import: %v", st)
	}
	return id
}

// qemuPids lists the QEMU processes whose command line holds s.
func qemuPids(s string) []int { return qemutest.Pids(s) }

// startQEMUNode starts stratus with the QEMU driver; whatever QEMU the
// test leaves (it names the node's data dir) is killed at the end.
func startQEMUNode(t testing.TB, env ...string) *Node {
	t.Helper()
	testutil.RequireTool(t, "qemu-system-x86_64")
	n := StartNode(t, append([]string{"STRATUS_COMPUTE_DRIVER=qemu",
		"STRATUS_HYPERVISOR_SETTINGS=shutdown_timeout=1s,reboot_timeout=1s"}, env...)...)
	t.Cleanup(func() {
		for _, pid := range qemuPids(n.DataDir) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		// The driver's socket directory, outside the data dir when the
		// data dir's path is too long for unix sockets.
		abs, _ := filepath.Abs(filepath.Join(n.DataDir, "instances"))
		h := sha256.Sum256([]byte(abs))
		os.RemoveAll(filepath.Join(os.TempDir(), "stratus-qemu-"+hex.EncodeToString(h[:6])))
	})
	return n
}

func (n *Node) serverJSON(t testing.TB, name string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(n.MustOpenStack(t, "server", "show", name, "-f", "json")), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (n *Node) waitServer(t testing.TB, name, status string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for {
		m := n.serverJSON(t, name)
		if m["status"] == status {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not reach %s: %v", name, status, m)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// consoleLines waits until the console of server holds want lines of the
// tiny guest and returns the log.
func (n *Node) consoleLines(t *testing.T, server string, want int) string {
	t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for {
		out := n.MustOpenStack(t, "console", "log", "show", server)
		if strings.Count(out, tinyLine) >= want {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("console of %s has %d of %d lines:\n%s", server, strings.Count(out, tinyLine), want, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestQEMUTinyGuestCLI boots a guest the test assembles (a VMDK imported
// through the K5 import API) with Debian's openstack CLI, on QEMU (TCG where there is no hardware
// virtualisation): console output, power actions, a live snapshot booted
// as a second server, a VNC console, a crash, a restart of stratus, and
// no QEMU left behind.
func TestQEMUTinyGuestCLI(t *testing.T) {
	n := startQEMUNode(t)
	imageID := k5ImportTiny(t, n)
	vm := cmpJSON(t, n.MustOpenStack(t, "server", "create", "--image", imageID, "--flavor", "m1.tiny", "--wait", "tiny1", "-f", "json"))
	id := vm["id"].(string)
	if vm["status"] != "ACTIVE" {
		t.Fatalf("create: %v", vm)
	}
	n.consoleLines(t, "tiny1", 1)
	if p := qemuPids(id); len(p) != 1 {
		t.Fatalf("%d QEMUs for the server", len(p))
	}
	// The metadata shows the SSH forward; length is honoured.
	if md, _ := n.serverJSON(t, "tiny1")["properties"].(map[string]any); !strings.HasPrefix(fmt.Sprint(md["stratus:ssh"]), "127.0.0.1:") {
		t.Fatalf("no SSH forward in the server's metadata: %v", md)
	}
	// The hypervisor details say QEMU, and whether guests run under KVM or TCG.
	// (The CLI's `hypervisor show` also wants os-aggregates and uptime,
	// which are not served.)
	if code, _, hv := n.Do(t, "GET", "/compute/v2.1/os-hypervisors/detail", n.AdminToken(t), nil); code != 200 ||
		!strings.Contains(string(hv), `"hypervisor_type":"QEMU"`) || !strings.Contains(string(hv), `\"accel\":\"tcg\"`) &&
		!strings.Contains(string(hv), `\"accel\":\"kvm\"`) {
		t.Fatalf("os-hypervisors/detail: %d %s", code, hv)
	}
	if out := n.MustOpenStack(t, "console", "log", "show", "--lines", "1", "tiny1"); strings.Count(out, "\n") > 2 {
		t.Fatalf("--lines 1 gave %q", out)
	}

	for i, step := range []struct {
		args   []string
		status string
		boots  int
	}{
		{[]string{"server", "stop", "tiny1"}, "SHUTOFF", 1},
		{[]string{"server", "start", "tiny1"}, "ACTIVE", 2},
		{[]string{"server", "reboot", "tiny1"}, "ACTIVE", 3}, // soft: the guest ignores ACPI, so it is reset
		{[]string{"server", "reboot", "--hard", "tiny1"}, "ACTIVE", 4},
		{[]string{"server", "pause", "tiny1"}, "PAUSED", 4},
		{[]string{"server", "unpause", "tiny1"}, "ACTIVE", 4},
		{[]string{"server", "suspend", "tiny1"}, "SUSPENDED", 4},
		{[]string{"server", "resume", "tiny1"}, "ACTIVE", 4},
	} {
		n.MustOpenStack(t, step.args...)
		n.waitServer(t, "tiny1", step.status)
		if step.status == "ACTIVE" {
			n.consoleLines(t, "tiny1", step.boots)
		}
		want := 1 // a stopped or suspended server has no process
		if step.status == "SHUTOFF" || step.status == "SUSPENDED" {
			want = 0
		}
		if running := len(qemuPids(id)); running != want {
			t.Fatalf("step %d (%v): %d QEMUs", i, step.args, running)
		}
	}

	// A live snapshot of the running server boots as a second server
	// that prints the same line.
	snap := cmpJSON(t, n.MustOpenStack(t, "server", "image", "create", "--name", "tiny-snap", "--wait", "tiny1", "-f", "json"))
	if snap["status"] != "active" {
		t.Fatalf("snapshot: %v", snap)
	}
	if st := n.serverJSON(t, "tiny1"); st["status"] != "ACTIVE" || len(qemuPids(id)) != 1 {
		t.Fatalf("the server did not keep running through its snapshot: %v", st["status"])
	}
	vm2 := cmpJSON(t, n.MustOpenStack(t, "server", "create", "--image", "tiny-snap", "--flavor", "m1.tiny", "--wait", "tiny2", "-f", "json"))
	id2 := vm2["id"].(string)
	n.consoleLines(t, "tiny2", 1)

	// The VNC console: a one-time noVNC URL whose websocket reaches the
	// server's VNC display.
	u := strings.TrimSpace(n.MustOpenStack(t, "console", "url", "show", "--novnc", "tiny1", "-f", "value", "-c", "url"))
	checkVNC(t, n, u)

	// A QEMU that dies leaves its server SHUTOFF with a fault.
	for _, pid := range qemuPids(id2) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	crashed := n.waitServer(t, "tiny2", "SHUTOFF")
	if f := fmt.Sprint(crashed["fault"]); !strings.Contains(f, "ended unexpectedly") {
		t.Fatalf("crashed server's fault: %v", crashed)
	}
	n.MustOpenStack(t, "server", "start", "tiny2")
	n.waitServer(t, "tiny2", "ACTIVE")
	n.consoleLines(t, "tiny2", 2)

	// stratus restarts: the servers keep running and are found again.
	pids := qemuPids(id)
	n.Restart()
	if st := n.serverJSON(t, "tiny1"); st["status"] != "ACTIVE" || fmt.Sprint(qemuPids(id)) != fmt.Sprint(pids) {
		t.Fatalf("after a restart: %v, pids %v then %v", st["status"], pids, qemuPids(id))
	}
	n.MustOpenStack(t, "server", "reboot", "--hard", "tiny1")
	n.waitServer(t, "tiny1", "ACTIVE")
	n.consoleLines(t, "tiny1", 5)

	n.MustOpenStack(t, "server", "delete", "--wait", "tiny1", "tiny2")
	if p := qemuPids(n.DataDir); len(p) != 0 {
		t.Fatalf("QEMUs left after delete: %v", p)
	}
}

// checkVNC opens the websocket of a noVNC console URL and reads the RFB
// greeting of QEMU's VNC server through it; the token works once.
func checkVNC(t *testing.T, n *Node, consoleURL string) {
	t.Helper()
	u, err := url.Parse(consoleURL)
	if err != nil || !strings.HasPrefix(consoleURL, n.URL+"/novnc/vnc_lite.html?") {
		t.Fatalf("console URL %q", consoleURL)
	}
	if resp, err := http.Get(consoleURL); err != nil || resp.StatusCode != 200 {
		t.Fatalf("console page: %v %v", resp, err)
	}
	path := "/" + u.Query().Get("path")
	dial := func() (int, *bufio.Reader, net.Conn) {
		c, err := net.Dial("tcp", n.Addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"+
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: binary\r\nOrigin: %s\r\n\r\n", path, n.Addr, n.URL)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, br, c
	}
	code, br, c := dial()
	defer c.Close()
	if code != 101 {
		t.Fatalf("websocket: %d", code)
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	var h [2]byte
	if _, err := br.Read(h[:1]); err != nil {
		t.Fatal(err)
	}
	br.Read(h[1:])
	p := make([]byte, h[1]&0x7f)
	if _, err := io.ReadFull(br, p); err != nil || !strings.HasPrefix(string(p), "RFB 003.008") {
		t.Fatalf("VNC greeting through the proxy: %q %v", p, err)
	}
	if code, _, c2 := dial(); code != 401 {
		c2.Close()
		t.Fatalf("the console token worked twice: %d", code)
	}
}
