package qemu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stratus-iaas/stratus/internal/hypervisor/qemu/qmp"
)

// process is one QEMU process: started by this stratus (and reaped by it)
// or found running after a restart (and watched through /proc and its QMP
// socket). QEMU runs in its own process group, which also holds the
// helpers slirp starts for guest connections; the group is killed when
// QEMU ends so that nothing of a server is left running.
type process struct {
	id  string
	pid int
	qmp *qmp.Client

	exited chan struct{} // closed when the process is gone
	mu     sync.Mutex
	status string // how it ended, once exited is closed

	stopping      atomic.Bool // stratus asked it to end
	guestShutdown atomic.Bool // the guest powered itself off
	detached      atomic.Bool // this stratus let go of it (Close): its end is not watched
}

// startProcess starts QEMU with args and connects to its QMP socket.
func startProcess(ctx context.Context, bin string, args []string, id string, p Paths, logPath string) (*process, error) {
	os.Remove(p.QMP)
	os.Remove(p.PID)
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "%s starting: %s %s\n", time.Now().UTC().Format(time.RFC3339), bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("qemu: start: %w", err)
	}
	pr := &process{id: id, pid: cmd.Process.Pid, exited: make(chan struct{})}
	go func() {
		// Wait for the exit without reaping, so that the pid (and the
		// group id) cannot be reused while the group is killed.
		var si unix.Siginfo
		for {
			err := unix.Waitid(unix.P_PID, pr.pid, &si, unix.WEXITED|unix.WNOWAIT, nil)
			if err != unix.EINTR {
				break
			}
		}
		syscall.Kill(-pr.pid, syscall.SIGKILL) // slirp helpers that outlived QEMU
		err := cmd.Wait()
		pr.finish(exitStatus(err, cmd.ProcessState))
	}()
	if err := pr.connect(ctx, p.QMP, logPath); err != nil {
		pr.kill()
		<-pr.exited
		return nil, err
	}
	return pr, nil
}

func exitStatus(err error, st *os.ProcessState) string {
	if st == nil {
		return fmt.Sprint(err)
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "killed by signal " + ws.Signal().String()
	}
	return "exit status " + strconv.Itoa(st.ExitCode())
}

// finish records how the process ended and wakes the waiters.
func (pr *process) finish(status string) {
	pr.mu.Lock()
	pr.status = status
	c := pr.qmp
	pr.mu.Unlock()
	if c != nil {
		c.Close()
	}
	close(pr.exited)
}

// connect waits for QEMU's QMP socket (QEMU creates it while starting)
// and negotiates, giving up when the process ends or ctx does.
func (pr *process) connect(ctx context.Context, path, logPath string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for delay := time.Millisecond; ; delay = min(delay*2, 20*time.Millisecond) {
		c, err := qmp.Dial(ctx, path)
		if err == nil {
			pr.watch(c)
			return nil
		}
		select {
		case <-pr.exited:
			return fmt.Errorf("qemu: exited while starting (%s): %s", pr.exitStatus(), lastLine(logPath))
		case <-ctx.Done():
			return fmt.Errorf("qemu: no QMP socket: %w", err)
		case <-time.After(delay):
		}
	}
}

// watch takes c as the process's QMP connection and notes a guest-made
// shutdown (QEMU then exits on its own).
func (pr *process) watch(c *qmp.Client) {
	pr.mu.Lock()
	pr.qmp = c
	pr.mu.Unlock()
	sub := c.Subscribe("SHUTDOWN")
	go func() {
		for {
			select {
			case ev := <-sub.Events():
				var d struct {
					Guest bool `json:"guest"`
				}
				if json.Unmarshal(ev.Data, &d) == nil && d.Guest {
					pr.guestShutdown.Store(true)
				}
			case <-sub.Closed():
				return
			}
		}
	}()
}

func (pr *process) exitStatus() string {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.status
}

func (pr *process) alive() bool {
	select {
	case <-pr.exited:
		return false
	default:
		return true
	}
}

// kill ends the whole process group at once.
func (pr *process) kill() {
	pr.stopping.Store(true)
	syscall.Kill(-pr.pid, syscall.SIGKILL)
	syscall.Kill(pr.pid, syscall.SIGKILL)
}

// quit stops QEMU through QMP (quit), and kills it when it does not end
// within a few seconds.
func (pr *process) quit(ctx context.Context) {
	pr.stopping.Store(true)
	if pr.alive() && pr.qmp != nil {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		pr.qmp.Execute(qctx, "quit", nil, nil)
		cancel()
	}
	if !pr.wait(ctx, 5*time.Second) {
		pr.kill()
		<-pr.exited
	}
}

// wait waits up to d for the process to end.
func (pr *process) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-pr.exited:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// attachProcess finds the QEMU of server id still running after a
// restart of stratus: the pid in its pidfile, whose command line names
// the server, and its QMP socket. It returns nil when there is none.
func attachProcess(ctx context.Context, id string, p Paths) (*process, error) {
	b, err := os.ReadFile(p.PID)
	if err != nil {
		return nil, nil
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 || !isOurQEMU(pid, id) {
		return nil, nil
	}
	pr := &process{id: id, pid: pid, exited: make(chan struct{})}
	c, err := qmp.Dial(ctx, p.QMP)
	if err != nil {
		return nil, fmt.Errorf("qemu: server %s runs as pid %d but its QMP socket does not answer: %w", id, pid, err)
	}
	pr.watch(c)
	go func() {
		// Not our child: its end shows as the QMP connection closing,
		// then the pid going away (or being reused by something else).
		// Its metadata helpers end with their guest connections.
		<-c.Done()
		for isOurQEMU(pid, id) {
			time.Sleep(20 * time.Millisecond)
		}
		pr.finish("exited (not a child of this stratus)")
	}()
	return pr, nil
}

// isOurQEMU says whether pid is alive and is the QEMU of server id.
func isOurQEMU(pid int, id string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	if st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		if i := bytes.LastIndexByte(st, ')'); i > 0 && len(st) > i+2 && st[i+2] == 'Z' {
			return false // a zombie is gone for our purposes
		}
	}
	for _, a := range bytes.Split(b, []byte{0}) {
		if string(a) == "guest="+id+",process=stratus-vm" {
			return true
		}
	}
	return false
}

// lastLine is the last non-empty line of a log file (QEMU's reason for
// failing, usually), at most 300 bytes.
func lastLine(path string) string {
	b, err := readTail(4096, path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	if len(l) > 300 {
		l = l[:300]
	}
	return l
}

var errNotRunning = errors.New("qemu: not running")
