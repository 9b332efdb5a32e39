package qemu

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/hypervisor/qemu/qemutest"
	"github.com/stratus-iaas/stratus/internal/testutil"
)

func TestMain(m *testing.M) {
	// The driver runs this binary as its metadata helper.
	if len(os.Args) > 1 && os.Args[1] == PipeCommand {
		os.Exit(RunMetadataPipe(os.Args[2:]))
	}
	os.Exit(m.Run())
}

type eventLog struct {
	mu  sync.Mutex
	evs []hypervisor.Event
}

func (l *eventLog) add(e hypervisor.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, e)
}

func (l *eventLog) all() []hypervisor.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]hypervisor.Event{}, l.evs...)
}

func newDriver(t testing.TB, dir string, events *eventLog) *Driver {
	t.Helper()
	testutil.RequireTool(t, "qemu-system-x86_64")
	opts := hypervisor.Options{Dir: dir, Host: "h1", PublicURL: "http://127.0.0.1:5000",
		Settings: map[string]string{"reboot_timeout": "300ms", "shutdown_timeout": "300ms"}}
	if events != nil {
		opts.Events = events.add
	}
	d, err := hypervisor.New("qemu", opts)
	if err != nil {
		t.Fatal(err)
	}
	// Whatever a failed test left running is killed: every QEMU of this
	// test names its directory on its command line.
	t.Cleanup(func() {
		for _, pid := range qemuProcesses(dir) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return d.(*Driver)
}

func tinySpec(id, img string) hypervisor.Spec {
	return hypervisor.Spec{ID: id, Name: "tiny", Hostname: "tiny", VCPUs: 1, MemoryMB: 64, RootGB: 1,
		Image:    hypervisor.Image{ID: "img-tiny", Format: "raw", Path: img},
		UserData: []byte("#cloud-config\n"), KeyName: "k1", KeyData: "ssh-ed25519 AAAA k1", ProjectID: "p1",
		NICs: []hypervisor.NIC{{PortID: "port-1", NetworkID: "net-1", MAC: "fa:16:3e:00:00:0a", IPs: []string{"10.1.0.5"},
			CIDR: "10.1.0.0/24", Gateway: "10.1.0.1", DNS: []string{"10.1.0.2"}}}}
}

// qemuProcesses lists the pids of QEMUs whose command line holds s.
func qemuProcesses(s string) []int { return qemutest.Pids(s) }

func consoleCount(t *testing.T, d *Driver, id string) int {
	out, err := d.ConsoleOutput(context.Background(), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(out, TinyLine)
}

func waitConsole(t *testing.T, d *Driver, id string, n int) {
	t.Helper()
	waitFor(t, 60*time.Second, "console line "+strconv.Itoa(n), func() bool { return consoleCount(t, d, id) >= n })
}

func status(t *testing.T, d *Driver, id string) string {
	t.Helper()
	s, _ := d.get(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	var st struct {
		Status string `json:"status"`
	}
	if err := s.qmp(context.Background(), "query-status", nil, &st); err != nil {
		return "not running"
	}
	return st.Status
}

func TestDriverLifecycle(t *testing.T) {
	ctx := context.Background()
	img := tinyDisk(t, 1<<20)
	dir := t.TempDir()
	d := newDriver(t, dir, nil)
	defer d.Close()
	id := "6f1e7d3c-0000-4000-8000-00000000000a"
	defer d.Destroy(ctx, id)
	if err := d.Spawn(ctx, tinySpec(id, img)); err != nil {
		t.Fatal(err)
	}
	waitConsole(t, d, id, 1)
	if st, _ := d.State(ctx, id); st != hypervisor.Running {
		t.Fatalf("state %v", st)
	}
	if n := len(qemuProcesses(id)); n != 1 {
		t.Fatalf("%d QEMUs for the server", n)
	}
	acc, err := d.Access(ctx, id)
	if err != nil || !strings.HasPrefix(acc.SSH, "127.0.0.1:") || !strings.HasPrefix(acc.VNC, "127.0.0.1:") {
		t.Fatalf("access %+v %v", acc, err)
	}
	if out, _ := d.ConsoleOutput(ctx, id, 1); out != "" && strings.Count(out, "\n") > 0 {
		t.Fatalf("last line: %q", out)
	}

	// Pause and unpause.
	if err := d.Pause(ctx, id); err != nil || status(t, d, id) != "paused" {
		t.Fatalf("pause: %v %s", err, status(t, d, id))
	}
	if err := d.Unpause(ctx, id); err != nil || status(t, d, id) != "running" {
		t.Fatalf("unpause: %v", err)
	}
	if err := d.Unpause(ctx, id); !errors.Is(err, hypervisor.ErrInvalidState) {
		t.Fatalf("unpause of a running server: %v", err)
	}
	// Suspend saves the memory and ends QEMU; resume brings it back
	// where it was (no second boot).
	if err := d.Suspend(ctx, id); err != nil {
		t.Fatal(err)
	}
	if st, _ := d.State(ctx, id); st != hypervisor.Suspended || len(qemuProcesses(id)) != 0 {
		t.Fatalf("suspended: state %v, %d processes", st, len(qemuProcesses(id)))
	}
	if err := d.Resume(ctx, id); err != nil {
		t.Fatal(err)
	}
	if status(t, d, id) != "running" || consoleCount(t, d, id) != 1 {
		t.Fatalf("resumed: %s, %d boots", status(t, d, id), consoleCount(t, d, id))
	}
	// A hard reboot resets; a soft one asks the guest (which has no ACPI)
	// and resets when it does not go.
	if err := d.Reboot(ctx, id, true); err != nil {
		t.Fatal(err)
	}
	waitConsole(t, d, id, 2)
	if err := d.Reboot(ctx, id, false); err != nil {
		t.Fatal(err)
	}
	waitConsole(t, d, id, 3)
	// Stop and start: a new process boots from the same disk.
	pids := qemuProcesses(id)
	if err := d.PowerOff(ctx, id, time.Second); err != nil {
		t.Fatal(err)
	}
	if st, _ := d.State(ctx, id); st != hypervisor.Shutdown || len(qemuProcesses(id)) != 0 {
		t.Fatalf("stopped: %v %v", st, qemuProcesses(id))
	}
	for _, pid := range pids {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			t.Fatalf("pid %d still exists", pid)
		}
	}
	if err := d.PowerOn(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitConsole(t, d, id, 4)

	// Destroy leaves nothing: no process, no files, no base copy.
	if err := d.Destroy(ctx, id); err != nil {
		t.Fatal(err)
	}
	if n := len(qemuProcesses(id)); n != 0 {
		t.Fatalf("%d QEMUs left", n)
	}
	if _, err := os.Stat(d.sdir(id)); !os.IsNotExist(err) {
		t.Fatal("server directory left")
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "base")); len(ents) != 0 {
		t.Fatalf("base copies left: %v", ents)
	}
	if _, err := d.State(ctx, id); !errors.Is(err, hypervisor.ErrNotFound) {
		t.Fatalf("state after destroy: %v", err)
	}
}

func TestDriverSnapshotLiveAndStopped(t *testing.T) {
	ctx := context.Background()
	img := tinyDisk(t, 1<<20)
	d := newDriver(t, t.TempDir(), nil)
	defer d.Close()
	id := "snap-1"
	defer d.Destroy(ctx, id)
	spec := tinySpec(id, img)
	if err := d.Spawn(ctx, spec); err != nil {
		t.Fatal(err)
	}
	waitConsole(t, d, id, 1)
	want, _ := os.ReadFile(img)
	written := false // whether the guest wrote 0x5a at 1 MiB
	check := func(label string) {
		snap, err := d.SnapshotSource(ctx, id)
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		defer snap.Release()
		st, err := os.Stat(snap.Path)
		if err != nil {
			t.Fatal(err)
		}
		if snap.Format != "qcow2" || st.Size() > 4<<20 {
			t.Fatalf("%s: snapshot is %s of %d bytes", label, snap.Format, st.Size())
		}
		// The disk-image engine (which refuses backing files) reads it.
		flat := filepath.Join(t.TempDir(), "flat.raw")
		if _, err := convert.ConvertFile(ctx, snap.Path, flat, convert.Options{SrcFormat: "qcow2", DstFormat: "raw"}); err != nil {
			t.Fatalf("%s: converting the snapshot: %v", label, err)
		}
		f, err := os.Open(flat)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		got := make([]byte, len(want))
		f.ReadAt(got, 0)
		var fst syscall.Stat_t
		syscall.Fstat(int(f.Fd()), &fst)
		// The rest of the disk is zeros: the raw copy holds no more data
		// than the image (the engine leaves zeros as holes).
		if fst.Size != 1<<30 || !bytes.Equal(got, want) || fst.Blocks*512 > int64(len(want))+(1<<20) {
			t.Fatalf("%s: snapshot of %d bytes (%d allocated) is not the disk", label, fst.Size, fst.Blocks*512)
		}
		w := make([]byte, 4096)
		f.ReadAt(w, 1<<20)
		if written != bytes.Equal(w, bytes.Repeat([]byte{0x5a}, 4096)) {
			t.Fatalf("%s: the guest's write is %v in the snapshot, want %v", label, !written, written)
		}
	}
	check("running")
	if status(t, d, id) != "running" {
		t.Fatal("guest not running after a live snapshot")
	}
	// What the running guest writes (to its overlay) is in the next one.
	s, _ := d.get(id)
	s.mu.Lock()
	err := s.qmp(ctx, "human-monitor-command", map[string]any{"command-line": `qemu-io root "write -P 0x5a 1M 4k"`}, nil)
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	written = true
	check("running, after a write")
	if err := d.PowerOff(ctx, id, 0); err != nil {
		t.Fatal(err)
	}
	check("stopped")
	if n := len(qemuProcesses(id)); n != 0 {
		t.Fatalf("%d QEMUs left after a stopped snapshot", n)
	}
	if ents, _ := filepath.Glob(filepath.Join(d.sdir(id), "snapshot-*")); len(ents) != 0 {
		t.Fatalf("released snapshots left: %v", ents)
	}
}

func TestDriverCrashRestartAndReattach(t *testing.T) {
	ctx := context.Background()
	img := tinyDisk(t, 1<<20)
	dir := t.TempDir()
	var events eventLog
	d := newDriver(t, dir, &events)
	a, b := "crash-a", "keep-b"
	for _, id := range []string{a, b} {
		if err := d.Spawn(ctx, tinySpec(id, img)); err != nil {
			t.Fatal(err)
		}
		waitConsole(t, d, id, 1)
	}
	// QEMU dying is a crash, with a fault message, reported as an event.
	for _, pid := range qemuProcesses(a) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	waitFor(t, 10*time.Second, "the crash event", func() bool { return len(events.all()) > 0 })
	ev := events.all()[0]
	if ev.ServerID != a || ev.State != hypervisor.Crashed || !strings.Contains(ev.Fault, "killed by signal") {
		t.Fatalf("event %+v", ev)
	}
	if st, _ := d.State(ctx, a); st != hypervisor.Crashed {
		t.Fatalf("state after crash %v", st)
	}
	// stratus restarts: the running server is found again, the crashed
	// one stays crashed.
	d.Close()
	d2 := newDriver(t, dir, nil)
	defer d2.Close()
	defer d2.Destroy(ctx, a)
	defer d2.Destroy(ctx, b)
	got, _ := d2.Instances(ctx)
	if got[a] != hypervisor.Crashed || got[b] != hypervisor.Running {
		t.Fatalf("instances after restart: %v", got)
	}
	if status(t, d2, b) != "running" {
		t.Fatal("re-attached server does not answer QMP")
	}
	if err := d2.PowerOn(ctx, a); err != nil {
		t.Fatal(err)
	}
	waitConsole(t, d2, a, 2)
	// The metadata service answers through the helper QEMU would run,
	// for the server whose socket it is.
	out := pipeRequest(t, d2, b, "GET /openstack/latest/meta_data.json HTTP/1.0\r\nHost: 169.254.169.254\r\n\r\n")
	if !strings.Contains(out, "200 OK") || !strings.Contains(out, `"uuid":"`+b+`"`) || !strings.Contains(out, `"k1":"ssh-ed25519 AAAA k1"`) {
		t.Fatalf("metadata through the pipe:\n%s", out)
	}
	// A server whose QEMU is gone when stratus starts is shut off.
	d2.Close()
	for _, id := range []string{a, b} {
		for _, pid := range qemuProcesses(id) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	waitFor(t, 10*time.Second, "the QEMUs to go", func() bool { return len(qemuProcesses(a))+len(qemuProcesses(b)) == 0 })
	d3 := newDriver(t, dir, nil)
	defer d3.Close()
	got, _ = d3.Instances(ctx)
	if got[a] != hypervisor.Shutdown || got[b] != hypervisor.Shutdown {
		t.Fatalf("instances with their QEMUs gone: %v", got)
	}
	for _, id := range []string{a, b} {
		if err := d3.Destroy(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
}

// pipeRequest runs the metadata helper as slirp would, with req on its
// stdin, and returns what it writes.
func pipeRequest(t *testing.T, d *Driver, id, req string) string {
	t.Helper()
	cmd := exec.Command(d.helper[0], append(d.helper[1:], d.meta.socket(id))...)
	cmd.Stdin = strings.NewReader(req)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	return out.String()
}

func TestDriverVMDKImageAndConfigDrive(t *testing.T) {
	isoinfo := testutil.RequireTool(t, "isoinfo")
	ctx := context.Background()
	img := tinyDisk(t, 1<<20)
	vmdk := filepath.Join(t.TempDir(), "tiny.vmdk")
	if _, err := convert.ConvertFile(ctx, img, vmdk, convert.Options{SrcFormat: "raw", DstFormat: "vmdk"}); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, t.TempDir(), nil)
	defer d.Close()
	id := "vmdk-1"
	spec := tinySpec(id, vmdk)
	spec.Image.Format, spec.ConfigDrive = "vmdk", true
	defer d.Destroy(ctx, id)
	if err := d.Spawn(ctx, spec); err != nil {
		t.Fatal(err)
	}
	waitConsole(t, d, id, 1)
	iso := filepath.Join(d.sdir(id), "config.iso")
	out, err := exec.Command(isoinfo, "-i", iso, "-J", "-x", "/openstack/latest/meta_data.json").Output()
	if err != nil || !strings.Contains(string(out), `"uuid":"`+id+`"`) {
		t.Fatalf("config drive: %v %s", err, out)
	}
	// The guest sees the drive: QEMU was given it.
	b, _ := os.ReadFile(filepath.Join(d.sdir(id), "qemu.log"))
	if !bytes.Contains(b, []byte("config.iso,format=raw")) {
		t.Fatal("QEMU was not given the config drive")
	}
}

func TestPipeNeedsSocket(t *testing.T) {
	exe, _ := os.Executable()
	cmd := exec.Command(exe, PipeCommand, filepath.Join(t.TempDir(), "none.meta"))
	cmd.Stdin = strings.NewReader("GET / HTTP/1.0\r\n\r\n")
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err == nil || out.Len() != 0 {
		t.Fatalf("helper without a socket: %v %q", err, out.String())
	}
}

// blockSize is the size QEMU gives the root disk.
func blockSize(t *testing.T, d *Driver, id string) int64 {
	t.Helper()
	s, _ := d.get(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	var blocks []struct {
		Device   string `json:"device"`
		Inserted struct {
			Image struct {
				VirtualSize int64 `json:"virtual-size"`
			} `json:"image"`
		} `json:"inserted"`
	}
	if err := s.qmp(context.Background(), "query-block", nil, &blocks); err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if b.Device == "root" {
			return b.Inserted.Image.VirtualSize
		}
	}
	t.Fatal("no root disk")
	return 0
}

func TestDriverResizeRevertAndNICs(t *testing.T) {
	ctx := context.Background()
	img := tinyDisk(t, 1<<20)
	d := newDriver(t, t.TempDir(), nil)
	defer d.Close()
	id := "resize-1"
	defer d.Destroy(ctx, id)
	spec := tinySpec(id, img)
	if err := d.Spawn(ctx, spec); err != nil {
		t.Fatal(err)
	}
	waitConsole(t, d, id, 1)
	if got := blockSize(t, d, id); got != 1<<30 {
		t.Fatalf("root disk %d", got)
	}
	bigger := spec
	bigger.RootGB, bigger.VCPUs, bigger.MemoryMB = 2, 2, 96
	if err := d.Resize(ctx, bigger); err != nil {
		t.Fatal(err)
	}
	waitConsole(t, d, id, 2)
	if got := blockSize(t, d, id); got != 2<<30 {
		t.Fatalf("root disk after resize %d", got)
	}
	if b, _ := os.ReadFile("/proc/" + strconv.Itoa(qemuProcesses(id)[0]) + "/cmdline"); !bytes.Contains(b, []byte("\x00-smp\x002\x00")) {
		t.Fatal("resized QEMU does not have 2 vCPUs")
	}
	if err := d.RevertResize(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitConsole(t, d, id, 3)
	if got := blockSize(t, d, id); got != 1<<30 {
		t.Fatalf("root disk after revert %d", got)
	}
	if err := d.RevertResize(ctx, id); !errors.Is(err, hypervisor.ErrInvalidState) {
		t.Fatalf("second revert: %v", err)
	}
	smaller := spec
	smaller.RootGB = 1
	if err := d.Resize(ctx, bigger); err != nil {
		t.Fatal(err)
	}
	waitConsole(t, d, id, 4)
	if err := d.ConfirmResize(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := d.Resize(ctx, smaller); !errors.Is(err, hypervisor.ErrInvalidState) {
		t.Fatalf("shrinking resize: %v", err)
	}

	// A NIC hot-plugged into the running guest, then one removed while
	// it is stopped; metadata follows.
	nic := hypervisor.NIC{PortID: "port-2", NetworkID: "net-2", MAC: "fa:16:3e:00:00:0b", IPs: []string{"10.2.0.5"}, CIDR: "10.2.0.0/24"}
	if err := d.PlugNIC(ctx, id, nic); err != nil {
		t.Fatal(err)
	}
	s, _ := d.get(id)
	s.mu.Lock()
	var out string
	err := s.qmp(ctx, "human-monitor-command", map[string]any{"command-line": "info network"}, &out)
	s.mu.Unlock()
	if err != nil || !strings.Contains(out, "fa:16:3e:00:00:0b") {
		t.Fatalf("info network after plug: %v %s", err, out)
	}
	if err := d.PlugNIC(ctx, id, nic); !errors.Is(err, hypervisor.ErrInvalidState) {
		t.Fatalf("plugging the same MAC twice: %v", err)
	}
	if got := len(s.inst.Load().NICs); got != 2 {
		t.Fatalf("metadata has %d NICs", got)
	}
	if err := d.PowerOff(ctx, id, 0); err != nil {
		t.Fatal(err)
	}
	if err := d.UnplugNIC(ctx, id, "port-1"); err != nil {
		t.Fatal(err)
	}
	if err := d.UnplugNIC(ctx, id, "port-1"); !errors.Is(err, hypervisor.ErrNotFound) {
		t.Fatalf("unplugging twice: %v", err)
	}
	if err := d.PowerOn(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitConsole(t, d, id, 5)
	if b, _ := os.ReadFile("/proc/" + strconv.Itoa(qemuProcesses(id)[0]) + "/cmdline"); bytes.Contains(b, []byte("fa:16:3e:00:00:0a")) ||
		!bytes.Contains(b, []byte("fa:16:3e:00:00:0b")) {
		t.Fatal("the restarted QEMU has the wrong NICs")
	}
}

func TestDriverVolumes(t *testing.T) {
	ctx := context.Background()
	volDir := t.TempDir()
	root := tinyDisk(t, 2<<20) // a volume holding the tiny guest
	data := filepath.Join(volDir, "data.raw")
	os.WriteFile(data, bytes.Repeat([]byte("v"), 1<<20), 0o600)
	d := newDriver(t, t.TempDir(), nil)
	defer d.Close()
	id := "vol-1"
	defer d.Destroy(ctx, id)
	spec := tinySpec(id, "")
	spec.Image, spec.RootVolume = hypervisor.Image{}, root
	if err := d.Spawn(ctx, spec); err != nil {
		t.Fatal(err)
	}
	waitConsole(t, d, id, 1)
	info := func() string {
		s, _ := d.get(id)
		s.mu.Lock()
		defer s.mu.Unlock()
		var out string
		if err := s.qmp(ctx, "human-monitor-command", map[string]any{"command-line": "info block"}, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if out := info(); !strings.Contains(out, root) {
		t.Fatalf("root volume not the root disk:\n%s", out)
	}
	vd := hypervisor.VolumeDisk{VolumeID: "2f1e0d9c-0000-4000-8000-0000000000d1", Device: "/dev/vdb", Path: data}
	if err := d.AttachVolume(ctx, id, vd); err != nil {
		t.Fatal(err)
	}
	if out := info(); !strings.Contains(out, "vol-vdb") || !strings.Contains(out, data) {
		t.Fatalf("hot-plugged volume missing:\n%s", out)
	}
	if err := d.AttachVolume(ctx, id, vd); !errors.Is(err, hypervisor.ErrInvalidState) {
		t.Fatalf("attaching at a used device: %v", err)
	}
	// The tiny guest has no ACPI: it never lets go of the disk, so a live
	// detach fails and the volume stays.
	detachWait = time.Second
	defer func() { detachWait = 30 * time.Second }()
	if err := d.DetachVolume(ctx, id, "/dev/vdb"); err == nil || !strings.Contains(err.Error(), "did not release") {
		t.Fatalf("live detach from a guest that ignores it: %v", err)
	}
	// A snapshot of a server booted from a volume reads the volume.
	snap, err := d.SnapshotSource(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	snap.Release()
	if err := d.PowerOff(ctx, id, 0); err != nil {
		t.Fatal(err)
	}
	if err := d.DetachVolume(ctx, id, "/dev/vdb"); err != nil {
		t.Fatal(err)
	}
	if err := d.DetachVolume(ctx, id, "/dev/vdb"); !errors.Is(err, hypervisor.ErrNotFound) {
		t.Fatalf("detaching twice: %v", err)
	}
	vd.Device = "/dev/vdc"
	if err := d.AttachVolume(ctx, id, vd); err != nil {
		t.Fatal(err)
	}
	if err := d.PowerOn(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitConsole(t, d, id, 2)
	if out := info(); !strings.Contains(out, "vol-vdc") || strings.Contains(out, "vol-vdb") {
		t.Fatalf("volumes after a restart:\n%s", out)
	}
	if err := d.Rebuild(ctx, tinySpec(id, root)); !errors.Is(err, hypervisor.ErrUnsupported) {
		t.Fatalf("rebuild of a volume-backed server: %v", err)
	}
	if err := d.Destroy(ctx, id); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{root, data} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("destroy removed a volume: %v", err)
		}
	}
}
