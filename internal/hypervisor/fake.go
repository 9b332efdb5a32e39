package hypervisor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/stratus-iaas/stratus/internal/hypervisor/vncproxy"
)

func init() { Register("fake", newFake) }

// fake runs no guest: each server is a directory holding a real root disk
// (disk), a console log (console.log) and its state (state.json), so that
// a restarted process finds its servers where it left them.
type fake struct {
	dir         string
	host        string
	log         *slog.Logger
	spawnDelay  time.Duration
	actionDelay time.Duration
	vncBase     string // a fixed console URL base (vnc_base); "" serves the fake display
	publicURL   string
	vnc         *vncproxy.Proxy
	display     fakeDisplay

	mu      sync.Mutex
	servers map[string]*fakeServer
}

type fakeServer struct {
	PowerState PowerState `json:"power_state"`
	Hostname   string     `json:"hostname"`
	VCPUs      int        `json:"vcpus"`
	MemoryMB   int        `json:"memory_mb"`
	RootBytes  int64      `json:"root_bytes"`
	PrevBytes  int64      `json:"prev_root_bytes,omitempty"` // set while a resize can be reverted
	PrevVCPUs  int        `json:"prev_vcpus,omitempty"`
	PrevMemory int        `json:"prev_memory_mb,omitempty"`
	NICs       []NIC      `json:"nics"`
	Token      string     `json:"vnc_token"`
	Boots      int        `json:"boots"`
	// RootVolume is the volume file the root disk links to (boot from
	// volume); Volumes are the attached volumes by device.
	RootVolume string                `json:"root_volume,omitempty"`
	Volumes    map[string]VolumeDisk `json:"volumes,omitempty"`
}

// Settings of the fake driver: spawn_delay and action_delay (Go
// durations, default 0) are how long Spawn and every other operation
// take; vnc_base, when set, is the console URL before "?path=..." (by
// default consoles lead to the fake's own display through noVNC at
// PublicURL/novnc, novnc_dir holding noVNC's files, default
// /usr/share/novnc).
func newFake(opts Options) (Driver, error) {
	f := &fake{dir: opts.Dir, host: opts.Host, log: opts.Log, servers: map[string]*fakeServer{},
		publicURL: strings.TrimRight(opts.PublicURL, "/")}
	novncDir := "/usr/share/novnc"
	for k, v := range opts.Settings {
		switch k {
		case "spawn_delay", "action_delay":
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("fake driver: %s: want a duration, got %q", k, v)
			}
			if k == "spawn_delay" {
				f.spawnDelay = d
			} else {
				f.actionDelay = d
			}
		case "vnc_base":
			f.vncBase = v
		case "novnc_dir":
			novncDir = v
		default:
			return nil, fmt.Errorf("fake driver: unknown setting %q", k)
		}
	}
	f.vnc = vncproxy.New(vncproxy.Options{StaticDir: novncDir, Log: opts.Log})
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(f.dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(f.dir, e.Name(), "state.json"))
		if err != nil {
			continue // a server whose spawn never finished: no state, not a server
		}
		var s fakeServer
		if json.Unmarshal(b, &s) == nil {
			f.servers[e.Name()] = &s
		}
	}
	return f, nil
}

func (f *fake) Name() string { return "fake" }

func (f *fake) sdir(id string) string { return filepath.Join(f.dir, id) }

func (f *fake) DiskPath(id string) string { return filepath.Join(f.sdir(id), "disk") }

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fake) get(id string) (*fakeServer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.servers[id]
	if s == nil {
		return nil, ErrNotFound
	}
	return s, nil
}

// save writes the server's state file atomically, under f.mu.
func (f *fake) save(id string, s *fakeServer) error {
	b, _ := json.Marshal(s)
	p := filepath.Join(f.sdir(id), "state.json")
	if err := os.WriteFile(p+".tmp", b, 0o600); err != nil {
		return err
	}
	return os.Rename(p+".tmp", p)
}

// change runs fn on the server's state after the action delay, if the
// server is in one of states (any when none given), and saves the result.
func (f *fake) change(ctx context.Context, id string, states []PowerState, fn func(s *fakeServer) error) error {
	if err := sleep(ctx, f.actionDelay); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.servers[id]
	if s == nil {
		return ErrNotFound
	}
	if len(states) > 0 {
		ok := false
		for _, st := range states {
			ok = ok || s.PowerState == st
		}
		if !ok {
			return fmt.Errorf("%w: power state %d", ErrInvalidState, s.PowerState)
		}
	}
	next := *s
	next.NICs = append([]NIC(nil), s.NICs...)
	if err := fn(&next); err != nil {
		return err
	}
	if err := f.save(id, &next); err != nil {
		return err
	}
	*s = next
	return nil
}

func newToken() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (f *fake) Spawn(ctx context.Context, spec Spec) (err error) {
	dir := f.sdir(spec.ID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	if err := sleep(ctx, f.spawnDelay); err != nil {
		return err
	}
	if spec.RootVolume != "" {
		// The volume is the disk: the server's disk links to it.
		if err := os.Symlink(spec.RootVolume, f.DiskPath(spec.ID)); err != nil {
			return err
		}
	} else if err := MakeRootDisk(ctx, spec.Image, f.DiskPath(spec.ID), int64(spec.RootGB)<<30); err != nil {
		return err
	}
	st, err := os.Stat(f.DiskPath(spec.ID))
	if err != nil {
		return err
	}
	s := &fakeServer{PowerState: Running, Hostname: spec.Hostname, VCPUs: spec.VCPUs, MemoryMB: spec.MemoryMB,
		RootBytes: st.Size(), NICs: spec.NICs, Token: newToken(), RootVolume: spec.RootVolume}
	f.bootLog(spec.ID, s, spec.UserData, spec.KeyData)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.save(spec.ID, s); err != nil {
		return err
	}
	f.servers[spec.ID] = s
	return nil
}

func (f *fake) Destroy(ctx context.Context, id string) error {
	f.vnc.Revoke(id)
	f.mu.Lock()
	delete(f.servers, id)
	f.mu.Unlock()
	err := os.RemoveAll(f.sdir(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

func (f *fake) PowerOn(ctx context.Context, id string) error {
	return f.change(ctx, id, []PowerState{Shutdown, Crashed}, func(s *fakeServer) error {
		s.PowerState = Running
		f.bootLog(id, s, nil, "")
		return nil
	})
}

func (f *fake) PowerOff(ctx context.Context, id string, timeout time.Duration) error {
	return f.change(ctx, id, nil, func(s *fakeServer) error {
		if s.PowerState == Running {
			f.console(id, "[  OK  ] Reached target Power-Off.", "reboot: Power down")
		}
		s.PowerState = Shutdown
		return nil
	})
}

func (f *fake) Reboot(ctx context.Context, id string, hard bool) error {
	return f.change(ctx, id, nil, func(s *fakeServer) error {
		if hard {
			f.console(id, "reboot: hard reset")
		} else {
			f.console(id, "[  OK  ] Reached target Reboot.", "reboot: Restarting system")
		}
		s.PowerState = Running
		f.bootLog(id, s, nil, "")
		return nil
	})
}

func (f *fake) Pause(ctx context.Context, id string) error {
	return f.change(ctx, id, []PowerState{Running}, func(s *fakeServer) error { s.PowerState = Paused; return nil })
}

func (f *fake) Unpause(ctx context.Context, id string) error {
	return f.change(ctx, id, []PowerState{Paused}, func(s *fakeServer) error { s.PowerState = Running; return nil })
}

func (f *fake) Suspend(ctx context.Context, id string) error {
	return f.change(ctx, id, []PowerState{Running, Paused}, func(s *fakeServer) error {
		s.PowerState = Suspended
		return nil
	})
}

func (f *fake) Resume(ctx context.Context, id string) error {
	return f.change(ctx, id, []PowerState{Suspended}, func(s *fakeServer) error { s.PowerState = Running; return nil })
}

func (f *fake) State(ctx context.Context, id string) (PowerState, error) {
	s, err := f.get(id)
	if err != nil {
		return NoState, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return s.PowerState, nil
}

func (f *fake) Instances(ctx context.Context) (map[string]PowerState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]PowerState, len(f.servers))
	for id, s := range f.servers {
		out[id] = s.PowerState
	}
	return out, nil
}

func (f *fake) ConsoleURL(ctx context.Context, id, kind string) (string, error) {
	s, err := f.get(id)
	if err != nil {
		return "", err
	}
	switch kind {
	case "novnc", "xvpvnc":
	default:
		return "", fmt.Errorf("%w: console type %s", ErrUnsupported, kind)
	}
	if f.vncBase == "" && kind == "novnc" {
		addr, err := f.display.addr()
		if err != nil {
			return "", err
		}
		return f.vnc.URL(f.publicURL, f.vnc.Issue(id, addr)), nil
	}
	base := f.vncBase
	if base == "" {
		base = "http://127.0.0.1:6080/vnc_auto.html"
	}
	f.mu.Lock()
	tok := s.Token
	f.mu.Unlock()
	return base + "?path=" + url.QueryEscape("?token="+tok), nil
}

func (f *fake) SnapshotSource(ctx context.Context, id string) (*Snapshot, error) {
	if _, err := f.get(id); err != nil {
		return nil, err
	}
	// The fake's guest never writes, so the disk itself is the snapshot.
	return &Snapshot{Path: f.DiskPath(id), Format: "raw", Release: func() error { return nil }}, nil
}

func (f *fake) PlugNIC(ctx context.Context, id string, nic NIC) error {
	return f.change(ctx, id, nil, func(s *fakeServer) error {
		s.NICs = append(s.NICs, nic)
		f.console(id, fmt.Sprintf("virtio_net: %s: link up (%s)", ifname(len(s.NICs)-1), nic.MAC))
		return nil
	})
}

func (f *fake) UnplugNIC(ctx context.Context, id string, portID string) error {
	return f.change(ctx, id, nil, func(s *fakeServer) error {
		for i, n := range s.NICs {
			if n.PortID == portID {
				s.NICs = append(s.NICs[:i], s.NICs[i+1:]...)
				f.console(id, fmt.Sprintf("virtio_net: %s removed (%s)", ifname(i), n.MAC))
				return nil
			}
		}
		return fmt.Errorf("%w: no interface for port %s", ErrNotFound, portID)
	})
}

func ifname(i int) string { return fmt.Sprintf("eth%d", i) }
