// Package qemu is the hypervisor driver that runs each server as a
// qemu-system-x86_64 process ("qemu"; --compute-driver qemu): KVM where
// the host has hardware virtualisation, QEMU's TCG emulator elsewhere.
//
// A server is a directory under the driver's (servers/ID) holding its
// state (server.json), what the guest learns about itself
// (instance.json), its root disk (a qcow2 overlay on a raw copy of its
// image kept once per image under base/), its console log and QEMU's own
// log; its QMP and metadata sockets live in a short runtime directory
// (unix socket paths are limited to 108 bytes). QEMU is supervised
// through QMP: started, stopped, paused, suspended to a file, resumed,
// reset, snapshotted (blockdev-backup) and quit; found again when stratus
// restarts (or recorded as shut off); and never left running after a
// delete. The guest reaches the metadata service at 169.254.169.254
// through a slirp guestfwd whose helper connects to that server's own
// socket, so a guest can only ever read its own metadata.
package qemu

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/hypervisor/vncproxy"
)

func init() { hypervisor.Register("qemu", New) }

// Driver is the QEMU driver.
type Driver struct {
	dir, runDir string
	host        string
	log         *slog.Logger
	events      func(hypervisor.Event)
	publicURL   string

	bin          string
	accel, why   string
	version      int // Nova-encoded QEMU version
	helper       []string
	maxShutdown  time.Duration
	softShutdown time.Duration

	meta  *metaServer
	vnc   *vncproxy.Proxy
	bases *baseCache

	stop      chan struct{}
	closeOnce sync.Once

	mu      sync.Mutex
	servers map[string]*server
	claims  map[string]claim
}

// Settings (Options.Settings):
//
//	binary            QEMU to run (default qemu-system-x86_64 from PATH)
//	accel             auto (default), kvm or tcg
//	shutdown_timeout  longest wait for a guest to power off when asked
//	                  (caps what the compute service asks; default 60s)
//	reboot_timeout    how long a soft reboot waits for the guest before
//	                  resetting it (default 60s)
//	metadata_helper   command slirp runs per metadata connection, the
//	                  socket path appended (default: this binary's
//	                  "metadata-pipe")
//	novnc_dir         noVNC's files (default /usr/share/novnc)
//	console_ttl       lifetime of a VNC console URL (default 10m)
func New(opts hypervisor.Options) (hypervisor.Driver, error) {
	d := &Driver{dir: opts.Dir, host: opts.Host, log: opts.Log, events: opts.Events, publicURL: strings.TrimRight(opts.PublicURL, "/"),
		bin: "qemu-system-x86_64", maxShutdown: 60 * time.Second, softShutdown: 60 * time.Second, servers: map[string]*server{},
		claims: map[string]claim{}}
	if d.log == nil {
		d.log = slog.Default()
	}
	accel, novncDir, ttl := "auto", "/usr/share/novnc", 10*time.Minute
	for k, v := range opts.Settings {
		var err error
		switch k {
		case "binary":
			d.bin = v
		case "accel":
			accel = v
			if v != "auto" && v != "kvm" && v != "tcg" {
				err = fmt.Errorf("want auto, kvm or tcg")
			}
		case "shutdown_timeout":
			d.maxShutdown, err = time.ParseDuration(v)
		case "reboot_timeout":
			d.softShutdown, err = time.ParseDuration(v)
		case "metadata_helper":
			d.helper = strings.Fields(v)
		case "novnc_dir":
			novncDir = v
		case "console_ttl":
			ttl, err = time.ParseDuration(v)
		default:
			err = fmt.Errorf("unknown setting")
		}
		if err != nil {
			return nil, fmt.Errorf("qemu driver: setting %s=%q: %v", k, v, err)
		}
	}
	path, err := exec.LookPath(d.bin)
	if err != nil {
		return nil, fmt.Errorf("qemu driver: %w (install qemu-system-x86)", err)
	}
	d.bin = path
	if d.version, err = qemuVersion(path); err != nil {
		return nil, err
	}
	switch accel {
	case "auto":
		d.accel, d.why = DetectAccel()
	case "kvm":
		if a, why := DetectAccel(); a != "kvm" {
			return nil, fmt.Errorf("qemu driver: accel=kvm but %s", why)
		}
		d.accel, d.why = "kvm", "configured"
	default:
		d.accel, d.why = "tcg", "configured"
	}
	if d.helper == nil {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		d.helper = []string{exe, PipeCommand}
	}
	for _, sub := range []string{"servers", "base"} {
		if err := os.MkdirAll(filepath.Join(d.dir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	if d.runDir, err = runtimeDir(d.dir); err != nil {
		return nil, err
	}
	d.bases = &baseCache{dir: filepath.Join(d.dir, "base"), busy: map[string]*sync.Mutex{}}
	d.meta = newMetaServer(d)
	d.vnc = vncproxy.New(vncproxy.Options{TTL: ttl, StaticDir: novncDir, Log: d.log})
	d.log.Info("qemu driver", "binary", d.bin, "version", d.version, "accel", d.accel, "why", d.why, "dir", d.dir)
	if err := d.restore(context.Background()); err != nil {
		d.meta.close()
		return nil, err
	}
	d.stop = make(chan struct{})
	go d.rotateConsoles(30 * time.Second)
	return d, nil
}

// rotateConsoles keeps every console log under its bound whether or not
// anyone reads it (a chatty guest would fill the disk otherwise).
func (d *Driver) rotateConsoles(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
		}
		d.mu.Lock()
		ids := make([]string, 0, len(d.servers))
		for id := range d.servers {
			ids = append(ids, id)
		}
		d.mu.Unlock()
		for _, id := range ids {
			if err := rotateConsole(d.paths(id).Console, consoleLimit); err != nil {
				d.log.Warn("qemu driver: console rotation", "server", id, "err", err)
			}
		}
	}
}

// qemuVersion runs QEMU --version: "QEMU emulator version 7.2.22 (...)".
func qemuVersion(bin string) (int, error) {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("qemu driver: %s --version: %w", bin, err)
	}
	var a, b, c int
	f := strings.Fields(string(out))
	for i, w := range f {
		if w == "version" && i+1 < len(f) {
			fmt.Sscanf(f[i+1], "%d.%d.%d", &a, &b, &c)
		}
	}
	if a == 0 {
		return 0, fmt.Errorf("qemu driver: cannot read the version of %s from %q", bin, out)
	}
	return a*1000000 + b*1000 + c, nil
}

// runtimeDir is where the sockets go: DIR/run when its paths fit a unix
// socket address, else a private directory under /tmp named after DIR.
func runtimeDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	run := filepath.Join(abs, "run")
	if len(run)+len("/12345678-1234-1234-1234-123456789012.meta") > 100 {
		h := sha256.Sum256([]byte(abs))
		run = filepath.Join(os.TempDir(), "stratus-qemu-"+hex.EncodeToString(h[:6]))
	}
	if err := os.MkdirAll(run, 0o700); err != nil {
		return "", err
	}
	// Refuse a directory someone else made for us (in /tmp).
	st, err := os.Lstat(run)
	if err != nil {
		return "", err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !st.IsDir() || !ok || int(sys.Uid) != os.Getuid() || st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("qemu driver: %s is not a private directory of this user", run)
	}
	return run, nil
}

func (d *Driver) Name() string { return "qemu" }

func (d *Driver) sdir(id string) string { return filepath.Join(d.dir, "servers", id) }

func (d *Driver) paths(id string) Paths {
	return Paths{QMP: filepath.Join(d.runDir, id+".qmp"), Console: filepath.Join(d.sdir(id), "console.log"),
		PID: filepath.Join(d.sdir(id), "qemu.pid")}
}

// DiskPath is the server's root disk: a qcow2 overlay whose backing file
// is the raw copy of its image. Read a server's disk with SnapshotSource.
func (d *Driver) DiskPath(id string) string { return filepath.Join(d.sdir(id), "disk.qcow2") }

func (d *Driver) get(id string) (*server, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.servers[id]
	if s == nil {
		return nil, hypervisor.ErrNotFound
	}
	return s, nil
}

// HostInfo implements hypervisor.Describer.
func (d *Driver) HostInfo(ctx context.Context) (hypervisor.HostInfo, error) {
	hi := hypervisor.HostInfo{Type: "QEMU", Version: d.version, Accel: d.accel, VCPUs: runtime.NumCPU()}
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) == nil {
		hi.MemoryMB = int64(si.Totalram) * int64(si.Unit) >> 20
	}
	var fs syscall.Statfs_t
	if syscall.Statfs(d.dir, &fs) == nil {
		hi.DiskGB = int64(fs.Blocks) * fs.Bsize >> 30
	}
	return hi, nil
}

// Access implements hypervisor.Accessor.
func (d *Driver) Access(ctx context.Context, id string) (hypervisor.Access, error) {
	s, err := d.get(id)
	if err != nil {
		return hypervisor.Access{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := hypervisor.Access{VNC: fmt.Sprintf("127.0.0.1:%d", 5900+s.st.Machine.VNCDisplay)}
	if s.st.Machine.SSHPort > 0 {
		a.SSH = fmt.Sprintf("127.0.0.1:%d", s.st.Machine.SSHPort)
	}
	return a, nil
}

// HTTPHandler implements hypervisor.HTTPServer: noVNC and its websocket
// proxy under /novnc/.
func (d *Driver) HTTPHandler() (string, http.Handler) { return vncproxy.Prefix, d.vnc }

// Close stops serving metadata and consoles; the servers keep running
// and are found again by the next driver on this directory.
func (d *Driver) Close() error {
	d.closeOnce.Do(func() { close(d.stop) })
	d.meta.close()
	d.vnc.Close()
	defer os.Remove(d.runDir) // only when empty: running servers keep their QMP sockets there
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range d.servers {
		s.mu.Lock()
		if s.proc != nil && s.proc.qmp != nil {
			s.proc.detached.Store(true)
			s.proc.qmp.Close()
		}
		s.mu.Unlock()
	}
	return nil
}

func (d *Driver) Instances(ctx context.Context) (map[string]hypervisor.PowerState, error) {
	d.mu.Lock()
	all := make([]*server, 0, len(d.servers))
	for _, s := range d.servers {
		all = append(all, s)
	}
	d.mu.Unlock()
	out := make(map[string]hypervisor.PowerState, len(all))
	for _, s := range all {
		out[s.id] = s.powerState()
	}
	return out, nil
}

func (d *Driver) State(ctx context.Context, id string) (hypervisor.PowerState, error) {
	s, err := d.get(id)
	if err != nil {
		return hypervisor.NoState, err
	}
	return s.powerState(), nil
}

// ConsoleOutput is the tail of the serial console (at most 100 KiB, as
// Nova's libvirt driver), lines as Nova's _tail_log counts them.
func (d *Driver) ConsoleOutput(ctx context.Context, id string, lines int) (string, error) {
	if _, err := d.get(id); err != nil {
		return "", err
	}
	p := d.paths(id).Console
	rotateConsole(p, consoleLimit)
	b, err := readTail(consoleMaxRead, p+".0", p)
	if err != nil {
		return "", err
	}
	return string(tailLines(b, lines)), nil
}

// ConsoleURL hands out a one-time noVNC URL for the server's VNC display.
func (d *Driver) ConsoleURL(ctx context.Context, id, kind string) (string, error) {
	s, err := d.get(id)
	if err != nil {
		return "", err
	}
	if kind != "novnc" {
		return "", fmt.Errorf("%w: console type %s", hypervisor.ErrUnsupported, kind)
	}
	s.mu.Lock()
	target := fmt.Sprintf("127.0.0.1:%d", 5900+s.st.Machine.VNCDisplay)
	s.mu.Unlock()
	tok := d.vnc.Issue(id, target)
	return d.vnc.URL(d.publicURL, tok), nil
}
