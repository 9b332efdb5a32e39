package qemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/hypervisor/metadata"
)

// Power states a server is recorded in (server.json).
const (
	powerRunning   = "running"
	powerPaused    = "paused"
	powerSuspended = "suspended" // memory saved to memory.state, no process
	powerShutdown  = "shutdown"
	powerCrashed   = "crashed" // the process ended unexpectedly
)

// state is what server.json keeps.
type state struct {
	Machine   Machine `json:"machine"`
	Power     string  `json:"power"`
	Fault     string  `json:"fault,omitempty"`
	ImageID   string  `json:"image_id"`
	Base      string  `json:"base"` // the raw copy of the image the overlay reads through to
	RootBytes int64   `json:"root_bytes"`
	// Set while a resize can be reverted: the machine and disk before it.
	Prev          *Machine `json:"prev_machine,omitempty"`
	PrevRootBytes int64    `json:"prev_root_bytes,omitempty"`
}

type server struct {
	id string
	d  *Driver

	mu   sync.Mutex
	st   state
	inst atomic.Pointer[metadata.Instance] // read by the metadata service without mu
	proc *process                          // nil when no QEMU runs
}

func (s *server) dir() string { return s.d.sdir(s.id) }

// save writes server.json atomically; s.mu held.
func (s *server) save() error {
	return writeJSON(filepath.Join(s.dir(), "server.json"), s.st)
}

func writeJSON(p string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return writeFileSync(p, b)
}

func (s *server) powerState() hypervisor.PowerState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return powerOf(s.st.Power)
}

func powerOf(p string) hypervisor.PowerState {
	switch p {
	case powerRunning:
		return hypervisor.Running
	case powerPaused:
		return hypervisor.Paused
	case powerSuspended:
		return hypervisor.Suspended
	case powerCrashed:
		return hypervisor.Crashed
	}
	return hypervisor.Shutdown
}

// start runs QEMU for the server with extra arguments (-S, -incoming);
// s.mu held. Ports taken meanwhile by something else are replaced.
func (s *server) start(ctx context.Context, extra ...string) error {
	if s.proc != nil && s.proc.alive() {
		return nil
	}
	d := s.d
	m := &s.st.Machine
	if err := d.meta.listen(s.id); err != nil {
		return err
	}
	m.MetadataCmd = append(append([]string{}, d.helper...), d.meta.socket(s.id))
	// A port found free can be taken by another process before QEMU binds
	// it (other stratus nodes, other test binaries): QEMU then exits at
	// once, and another port is tried, a bounded number of times.
	for attempt := 1; ; attempt++ {
		if err := d.allocate(s.id, m, len(m.NICs) > 0 && m.NICs[0].IP != ""); err != nil {
			return err
		}
		args, err := m.Args(d.paths(s.id))
		if err != nil {
			return err
		}
		pr, err := startProcess(ctx, d.bin, append(args, extra...), s.id, d.paths(s.id), filepath.Join(s.dir(), "qemu.log"))
		if err != nil {
			if attempt < 5 && portTaken(err) {
				d.log.Info("qemu driver: a port was taken meanwhile; trying others", "server", s.id, "err", err)
				continue
			}
			return err
		}
		s.proc = pr
		go s.watchExit(pr)
		return nil
	}
}

// portTaken says whether QEMU failed to start because a port it was given
// was bound meanwhile.
func portTaken(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Address already in use") || strings.Contains(msg, "Failed to find an available port")
}

// stop ends the QEMU process (QMP quit, then kill); s.mu held.
func (s *server) stop(ctx context.Context) {
	if s.proc != nil {
		s.proc.quit(ctx)
		s.proc = nil
	}
}

// watchExit records an end of QEMU that stratus did not ask for: the
// guest powered off (shutdown) or QEMU died (crashed, with a fault).
func (s *server) watchExit(pr *process) {
	<-pr.exited
	if pr.stopping.Load() || pr.detached.Load() {
		return
	}
	s.mu.Lock()
	if s.proc != pr {
		s.mu.Unlock()
		return
	}
	s.proc = nil
	ev := hypervisor.Event{ServerID: s.id, State: hypervisor.Shutdown}
	if pr.guestShutdown.Load() {
		s.st.Power, s.st.Fault = powerShutdown, ""
	} else {
		msg := "The QEMU process of the server ended unexpectedly (" + pr.exitStatus() + ")"
		if l := lastLine(filepath.Join(s.dir(), "qemu.log")); l != "" && !isStartLine(l) {
			msg += ": " + l
		}
		s.st.Power, s.st.Fault = powerCrashed, msg
		ev.State, ev.Fault = hypervisor.Crashed, msg
	}
	if err := s.save(); err != nil {
		s.d.log.Warn("qemu driver: saving server state", "server", s.id, "err", err)
	}
	s.mu.Unlock()
	s.d.log.Info("qemu driver: server stopped on its own", "server", s.id, "fault", ev.Fault)
	if s.d.events != nil {
		s.d.events(ev)
	}
}

// isStartLine says whether l is the line startProcess logs itself.
func isStartLine(l string) bool { return strings.Contains(l, " starting: ") }

// restore loads every server of the directory and re-attaches to the
// QEMU processes still running; a server that should run but whose QEMU
// is gone is recorded as shut off. A directory without server.json is a
// spawn that never finished and is removed.
func (d *Driver) restore(ctx context.Context) error {
	ents, err := os.ReadDir(filepath.Join(d.dir, "servers"))
	if err != nil {
		return err
	}
	for _, e := range ents {
		id := e.Name()
		s := &server{id: id, d: d}
		b, err := os.ReadFile(filepath.Join(s.dir(), "server.json"))
		if errors.Is(err, os.ErrNotExist) {
			d.log.Info("qemu driver: removing an unfinished spawn", "server", id)
			os.RemoveAll(s.dir())
			continue
		}
		if err == nil {
			err = json.Unmarshal(b, &s.st)
		}
		if err == nil {
			var in *metadata.Instance
			if in, err = loadInstance(s.dir()); err == nil {
				s.inst.Store(in)
			}
		}
		if err != nil {
			return fmt.Errorf("qemu driver: server %s: %w", id, err)
		}
		d.servers[id] = s
		d.claims[id] = claim{vnc: s.st.Machine.VNCDisplay, ssh: s.st.Machine.SSHPort, image: s.st.ImageID}
		if s.st.Power != powerRunning && s.st.Power != powerPaused {
			continue
		}
		pr, err := attachProcess(ctx, id, d.paths(id))
		if err != nil {
			d.log.Warn("qemu driver: cannot re-attach", "server", id, "err", err)
		}
		if pr == nil {
			s.st.Power, s.st.Fault = powerShutdown, ""
			d.log.Info("qemu driver: server's QEMU is gone; now shut off", "server", id)
			s.save()
			continue
		}
		s.proc = pr
		var st struct {
			Status string `json:"status"`
		}
		if pr.qmp.Execute(ctx, "query-status", nil, &st) == nil {
			if st.Status == "paused" {
				s.st.Power = powerPaused
			} else {
				s.st.Power = powerRunning
			}
		}
		if err := d.meta.listen(id); err != nil {
			d.log.Warn("qemu driver: metadata socket", "server", id, "err", err)
		}
		go s.watchExit(pr)
		d.log.Info("qemu driver: re-attached", "server", id, "pid", pr.pid)
	}
	return nil
}

// setInstance keeps in as what the guest learns about itself; s.mu held.
func (s *server) setInstance(in *metadata.Instance) error {
	if err := writeJSON(filepath.Join(s.dir(), "instance.json"), in); err != nil {
		return err
	}
	s.inst.Store(in)
	return nil
}

func loadInstance(dir string) (*metadata.Instance, error) {
	b, err := os.ReadFile(filepath.Join(dir, "instance.json"))
	if err != nil {
		return nil, err
	}
	var in metadata.Instance
	return &in, json.Unmarshal(b, &in)
}
