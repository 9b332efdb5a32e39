package hypervisor

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Rebuild replaces the root disk with a fresh one from spec.Image.
func (f *fake) Rebuild(ctx context.Context, spec Spec) error {
	s, err := f.get(spec.ID)
	if err != nil {
		return err
	}
	f.mu.Lock()
	onVolume := s.RootVolume != ""
	f.mu.Unlock()
	if onVolume {
		return fmt.Errorf("%w: rebuilding a server whose root disk is a volume", ErrUnsupported)
	}
	if err := sleep(ctx, f.spawnDelay); err != nil {
		return err
	}
	if err := MakeRootDisk(ctx, spec.Image, f.DiskPath(spec.ID), int64(spec.RootGB)<<30); err != nil {
		return err
	}
	st, err := os.Stat(f.DiskPath(spec.ID))
	if err != nil {
		return err
	}
	return f.change(ctx, spec.ID, nil, func(s *fakeServer) error {
		f.console(spec.ID, "reboot: rebuilding from image "+spec.Image.ID)
		s.RootBytes, s.PowerState, s.Hostname = st.Size(), Running, spec.Hostname
		f.bootLog(spec.ID, s, spec.UserData, spec.KeyData)
		return nil
	})
}

// Resize grows the root disk in place and records the old size, vCPUs and
// memory; RevertResize truncates back (the fake's guest never wrote past
// the old end), ConfirmResize forgets them.
func (f *fake) Resize(ctx context.Context, spec Spec) error {
	return f.change(ctx, spec.ID, nil, func(s *fakeServer) error {
		size := int64(spec.RootGB) << 30
		if size < s.RootBytes && spec.RootGB > 0 {
			return fmt.Errorf("%w: the root disk cannot shrink (%d to %d bytes)", ErrInvalidState, s.RootBytes, size)
		}
		s.PrevBytes, s.PrevVCPUs, s.PrevMemory = s.RootBytes, s.VCPUs, s.MemoryMB
		if size > s.RootBytes && s.RootVolume == "" { // a root volume keeps its size, as in Nova
			if err := os.Truncate(f.DiskPath(spec.ID), size); err != nil {
				return err
			}
			s.RootBytes = size
		}
		s.VCPUs, s.MemoryMB = spec.VCPUs, spec.MemoryMB
		f.console(spec.ID, fmt.Sprintf("resize: %d vCPUs, %d MiB, root disk %d bytes", s.VCPUs, s.MemoryMB, s.RootBytes))
		s.PowerState = Running
		f.bootLog(spec.ID, s, nil, "")
		return nil
	})
}

func (f *fake) ConfirmResize(ctx context.Context, id string) error {
	return f.change(ctx, id, nil, func(s *fakeServer) error {
		s.PrevBytes, s.PrevVCPUs, s.PrevMemory = 0, 0, 0
		return nil
	})
}

func (f *fake) RevertResize(ctx context.Context, id string) error {
	return f.change(ctx, id, nil, func(s *fakeServer) error {
		if s.PrevBytes == 0 {
			return fmt.Errorf("%w: no resize to revert", ErrInvalidState)
		}
		if s.PrevBytes < s.RootBytes {
			if err := os.Truncate(f.DiskPath(id), s.PrevBytes); err != nil {
				return err
			}
		}
		s.RootBytes, s.VCPUs, s.MemoryMB = s.PrevBytes, s.PrevVCPUs, s.PrevMemory
		s.PrevBytes, s.PrevVCPUs, s.PrevMemory = 0, 0, 0
		s.PowerState = Running
		f.bootLog(id, s, nil, "")
		return nil
	})
}

// maxConsole bounds the console log the fake keeps (as a serial log
// rotates): past it the oldest half is dropped.
const maxConsole = 1 << 20

func (f *fake) consolePath(id string) string { return filepath.Join(f.sdir(id), "console.log") }

// console appends lines to the server's console log.
func (f *fake) console(id string, lines ...string) {
	p := f.consolePath(id)
	if st, err := os.Stat(p); err == nil && st.Size() > maxConsole {
		if b, err := os.ReadFile(p); err == nil {
			b = b[len(b)/2:]
			if i := bytes.IndexByte(b, '\n'); i >= 0 {
				b = b[i+1:]
			}
			os.WriteFile(p, b, 0o600)
		}
	}
	fh, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		f.log.Warn("fake driver: console log", "server", id, "err", err)
		return
	}
	defer fh.Close()
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	fh.WriteString(b.String())
}

// bootLog writes what a Linux guest with cloud-init prints on its serial
// console while booting.
func (f *fake) bootLog(id string, s *fakeServer, userData []byte, key string) {
	s.Boots++
	t := time.Now().UTC().Format("Mon, 02 Jan 2006 15:04:05 +0000")
	lines := []string{
		"[    0.000000] Linux version 6.1.0-stratus (stratus fake hypervisor)",
		"[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1 ro console=ttyS0",
		fmt.Sprintf("[    0.000000] Memory: %dK available", s.MemoryMB*1024),
		fmt.Sprintf("[    0.012000] smpboot: Allowing %d CPUs, 0 hotplug CPUs", max(s.VCPUs, 1)),
		fmt.Sprintf("[    0.512000] virtio_blk virtio1: [vda] %d 512-byte logical blocks", s.RootBytes/512),
		"[    1.024000] EXT4-fs (vda1): mounted filesystem with ordered data mode",
		fmt.Sprintf("[    2.048000] cloud-init[301]: Cloud-init v. 22.4.2 running 'init' at %s. Up 2.05 seconds.", t),
	}
	for i, n := range s.NICs {
		lines = append(lines, fmt.Sprintf("[    2.100000] cloud-init[301]: ci-info: | %s | True | %s | %s |", ifname(i), strings.Join(n.IPs, ","), n.MAC))
	}
	if len(userData) > 0 {
		lines = append(lines, fmt.Sprintf("[    2.200000] cloud-init[301]: user-data: %d bytes", len(userData)))
	}
	if key != "" {
		lines = append(lines, "[    2.300000] cloud-init[301]: ci-info: authorized key installed for the default user")
	}
	lines = append(lines,
		fmt.Sprintf("[    3.000000] cloud-init[420]: Cloud-init v. 22.4.2 finished at %s. Up 3.00 seconds", t),
		"",
		s.Hostname+" login: ")
	f.console(id, lines...)
}

// ConsoleOutput returns the last lines of the console log.
func (f *fake) ConsoleOutput(ctx context.Context, id string, lines int) (string, error) {
	if _, err := f.get(id); err != nil {
		return "", err
	}
	b, err := os.ReadFile(f.consolePath(id))
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return lastLines(string(b), lines), nil
}

// lastLines keeps the last n lines of s (all of it when n <= 0), as
// nova's console-output tail does.
func lastLines(s string, n int) string {
	if n <= 0 {
		return s
	}
	all := strings.SplitAfter(s, "\n")
	if all[len(all)-1] == "" {
		all = all[:len(all)-1]
	}
	if len(all) > n {
		all = all[len(all)-n:]
	}
	return strings.Join(all, "")
}
