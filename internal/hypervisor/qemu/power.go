package qemu

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func (d *Driver) PowerOn(ctx context.Context, id string) error {
	return d.change(ctx, id, []string{powerShutdown, powerCrashed}, func(s *server) error {
		if err := s.start(ctx); err != nil {
			return err
		}
		s.st.Power, s.st.Fault = powerRunning, ""
		return nil
	})
}

// PowerOff asks the guest to power off (ACPI, QMP system_powerdown) and
// waits up to timeout (capped by shutdown_timeout), then quits QEMU. A
// suspended server's saved memory is dropped.
func (d *Driver) PowerOff(ctx context.Context, id string, timeout time.Duration) error {
	return d.change(ctx, id, nil, func(s *server) error {
		if s.proc != nil && s.st.Power == powerRunning && timeout > 0 {
			s.shutdownGuest(ctx, min(timeout, d.maxShutdown))
		}
		s.stop(ctx)
		os.Remove(s.memoryFile())
		s.st.Power, s.st.Fault = powerShutdown, ""
		return nil
	})
}

// shutdownGuest presses the ACPI power button and waits up to timeout for
// QEMU to end (it does when the guest powers off); s.mu held.
func (s *server) shutdownGuest(ctx context.Context, timeout time.Duration) bool {
	pr := s.proc
	pr.stopping.Store(true)
	if err := pr.qmp.Execute(ctx, "system_powerdown", nil, nil); err != nil {
		return false
	}
	return pr.wait(ctx, timeout)
}

// Reboot: soft asks the guest to power off (up to reboot_timeout) and
// starts it again, resetting it when it does not go; hard resets the
// machine at once (starting it when it is not running).
func (d *Driver) Reboot(ctx context.Context, id string, hard bool) error {
	return d.change(ctx, id, nil, func(s *server) error {
		alive := s.proc != nil && s.proc.alive()
		if !hard && alive && s.st.Power == powerRunning {
			if s.shutdownGuest(ctx, d.softShutdown) {
				s.proc = nil
			} else {
				// The guest did not go: reset it as a hard reboot does.
				s.proc.stopping.Store(false)
				hard = true
			}
		}
		if s.proc != nil && s.proc.alive() {
			if err := s.proc.qmp.Execute(ctx, "system_reset", nil, nil); err != nil {
				return err
			}
			if s.st.Power == powerPaused {
				if err := s.proc.qmp.Execute(ctx, "cont", nil, nil); err != nil {
					return err
				}
			}
		} else {
			s.proc = nil
			os.Remove(s.memoryFile())
			if err := s.start(ctx); err != nil {
				return err
			}
		}
		s.st.Power, s.st.Fault = powerRunning, ""
		return nil
	})
}

func (d *Driver) Pause(ctx context.Context, id string) error {
	return d.change(ctx, id, []string{powerRunning}, func(s *server) error {
		if err := s.qmp(ctx, "stop", nil, nil); err != nil {
			return err
		}
		s.st.Power = powerPaused
		return nil
	})
}

func (d *Driver) Unpause(ctx context.Context, id string) error {
	return d.change(ctx, id, []string{powerPaused}, func(s *server) error {
		if err := s.qmp(ctx, "cont", nil, nil); err != nil {
			return err
		}
		s.st.Power = powerRunning
		return nil
	})
}

// qmp runs a command on the server's QEMU; s.mu held.
func (s *server) qmp(ctx context.Context, cmd string, args, out any) error {
	if s.proc == nil || !s.proc.alive() {
		return fmt.Errorf("%w: %v", errNotRunning, s.id)
	}
	return s.proc.qmp.Execute(ctx, cmd, args, out)
}

func (s *server) memoryFile() string { return filepath.Join(s.dir(), "memory.state") }

// Suspend saves the guest's memory and devices to memory.state (QEMU's
// migration to a file, as libvirt's managed save) and ends QEMU; Resume
// starts QEMU from it.
func (d *Driver) Suspend(ctx context.Context, id string) error {
	return d.change(ctx, id, []string{powerRunning, powerPaused}, func(s *server) error {
		if err := s.qmp(ctx, "stop", nil, nil); err != nil {
			return err
		}
		tmp := s.memoryFile() + ".part"
		os.Remove(tmp)
		uri := "exec:cat > " + shellJoin([]string{tmp})
		if err := s.qmp(ctx, "migrate", map[string]any{"uri": uri}, nil); err != nil {
			return err
		}
		if err := s.waitMigration(ctx); err != nil {
			os.Remove(tmp)
			if s.st.Power == powerRunning {
				s.qmp(ctx, "cont", nil, nil)
			}
			return err
		}
		if err := syncFile(tmp); err != nil {
			return err
		}
		if err := os.Rename(tmp, s.memoryFile()); err != nil {
			return err
		}
		s.stop(ctx)
		s.st.Power = powerSuspended
		return nil
	})
}

func syncFile(p string) error {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// waitMigration polls query-migrate until the migration has completed.
func (s *server) waitMigration(ctx context.Context) error {
	for {
		var st struct {
			Status    string `json:"status"`
			ErrorDesc string `json:"error-desc"`
		}
		if err := s.qmp(ctx, "query-migrate", nil, &st); err != nil {
			return err
		}
		switch st.Status {
		case "completed":
			return nil
		case "failed", "cancelled":
			return fmt.Errorf("qemu driver: saving the memory of %s: %s %s", s.id, st.Status, st.ErrorDesc)
		}
		select {
		case <-ctx.Done():
			s.qmp(context.WithoutCancel(ctx), "migrate_cancel", nil, nil)
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (d *Driver) Resume(ctx context.Context, id string) error {
	return d.change(ctx, id, []string{powerSuspended}, func(s *server) error {
		mem := s.memoryFile()
		if _, err := os.Stat(mem); err != nil {
			return fmt.Errorf("qemu driver: no saved memory for %s: %w", id, err)
		}
		if err := s.start(ctx, "-incoming", "exec:cat "+shellJoin([]string{mem})); err != nil {
			return err
		}
		// QEMU runs the guest as soon as the memory is loaded.
		for {
			var st struct {
				Status string `json:"status"`
			}
			if err := s.qmp(ctx, "query-status", nil, &st); err != nil {
				return err
			}
			if st.Status == "running" {
				break
			}
			if st.Status == "paused" {
				// Loaded: a guest saved while stopped comes back stopped.
				if err := s.qmp(ctx, "cont", nil, nil); err != nil {
					return err
				}
				continue
			}
			if st.Status != "inmigrate" && st.Status != "prelaunch" && st.Status != "restore-vm" {
				return fmt.Errorf("qemu driver: resuming %s: status %s", id, st.Status)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
		os.Remove(mem)
		s.st.Power = powerRunning
		return nil
	})
}
