package qemu

import (
	"context"
	"fmt"
	"os"

	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/hypervisor/metadata"
)

// Rebuild stops the server, gives it a fresh disk from spec.Image (and new
// metadata and config drive) and starts it; its NICs, ports and console
// log stay.
func (d *Driver) Rebuild(ctx context.Context, spec hypervisor.Spec) error {
	return d.change(ctx, spec.ID, nil, func(s *server) error {
		if s.st.Machine.RootFormat == "raw" {
			return fmt.Errorf("%w: rebuilding a server booted from a volume", hypervisor.ErrUnsupported)
		}
		old := s.st.ImageID
		s.stop(ctx)
		os.Remove(s.memoryFile())
		d.claimImage(s.id, spec.Image.ID)
		if err := s.makeDisk(ctx, spec); err != nil {
			d.claimImage(s.id, old)
			return err
		}
		// The NICs stay as they are.
		if err := s.writeInstance(spec, append([]metadata.NIC{}, s.inst.Load().NICs...)); err != nil {
			return err
		}
		s.st.Machine.Hostname = spec.Hostname
		if old != spec.Image.ID {
			d.bases.release(old, d.baseInUse)
		}
		if err := s.start(ctx); err != nil {
			s.st.Power = powerShutdown
			return err
		}
		s.st.Power, s.st.Fault = powerRunning, ""
		return nil
	})
}

func (s *server) prevDisk() string { return s.d.DiskPath(s.id) + ".prev" }

// Resize restarts the server with spec's vCPUs and memory and grows its
// root disk (QMP block_resize before the guest runs), keeping a copy of
// the disk and the old machine until ConfirmResize or RevertResize.
func (d *Driver) Resize(ctx context.Context, spec hypervisor.Spec) error {
	return d.change(ctx, spec.ID, nil, func(s *server) error {
		size := int64(spec.RootGB) << 30
		volume := s.st.Machine.RootFormat == "raw" // booted from a volume: its disk is not the flavor's
		if volume {
			size = 0
		}
		if size > 0 && size < s.st.RootBytes {
			return fmt.Errorf("%w: the root disk cannot shrink (%d to %d bytes)", hypervisor.ErrInvalidState, s.st.RootBytes, size)
		}
		s.stop(ctx)
		os.Remove(s.memoryFile())
		if !volume {
			if err := hypervisor.CopyDisk(ctx, d.DiskPath(s.id), s.prevDisk()); err != nil {
				return err
			}
		}
		prev := s.st.Machine
		s.st.Prev, s.st.PrevRootBytes = &prev, s.st.RootBytes
		s.st.Machine.VCPUs, s.st.Machine.MemoryMB = max(spec.VCPUs, 1), spec.MemoryMB
		if err := s.start(ctx, "-S"); err != nil {
			return err
		}
		if size > s.st.RootBytes {
			if err := s.qmp(ctx, "block_resize", map[string]any{"device": "root", "size": size}, nil); err != nil {
				return err
			}
			s.st.RootBytes = size
		}
		if err := s.qmp(ctx, "cont", nil, nil); err != nil {
			return err
		}
		s.st.Power, s.st.Fault = powerRunning, ""
		return nil
	})
}

func (d *Driver) ConfirmResize(ctx context.Context, id string) error {
	return d.change(ctx, id, nil, func(s *server) error {
		os.Remove(s.prevDisk())
		s.st.Prev = nil
		return nil
	})
}

// RevertResize puts back the disk and machine from before the resize.
func (d *Driver) RevertResize(ctx context.Context, id string) error {
	return d.change(ctx, id, nil, func(s *server) error {
		if s.st.Prev == nil {
			return fmt.Errorf("%w: no resize to revert", hypervisor.ErrInvalidState)
		}
		s.stop(ctx)
		if s.st.Machine.RootFormat != "raw" {
			if err := os.Rename(s.prevDisk(), d.DiskPath(s.id)); err != nil {
				return err
			}
		}
		m := *s.st.Prev
		m.VNCDisplay, m.SSHPort, m.Volumes, m.NICs = s.st.Machine.VNCDisplay, s.st.Machine.SSHPort, s.st.Machine.Volumes, s.st.Machine.NICs
		s.st.Machine, s.st.RootBytes, s.st.Prev = m, s.st.PrevRootBytes, nil
		if err := s.start(ctx); err != nil {
			s.st.Power = powerShutdown
			return err
		}
		s.st.Power, s.st.Fault = powerRunning, ""
		return nil
	})
}

// PlugNIC adds an interface, hot-plugged (QMP netdev_add, device_add)
// when QEMU runs.
func (d *Driver) PlugNIC(ctx context.Context, id string, nic hypervisor.NIC) error {
	return d.change(ctx, id, nil, func(s *server) error {
		for _, n := range s.st.Machine.NICs {
			if n.MAC == nic.MAC {
				return fmt.Errorf("%w: an interface with MAC %s exists", hypervisor.ErrInvalidState, nic.MAC)
			}
		}
		mn := machineNICs([]hypervisor.NIC{nic})[0]
		i := len(s.st.Machine.NICs)
		if s.proc != nil && s.proc.alive() {
			opts, err := s.st.Machine.netdevOpts(i, mn)
			if err != nil {
				return err
			}
			args := map[string]any{"type": "user"}
			for _, o := range opts {
				args[o[0]] = o[1]
			}
			args["ipv6"] = false
			if err := s.qmp(ctx, "netdev_add", args, nil); err != nil {
				return err
			}
			nd, dev := nicIDs(mn.MAC)
			err = s.qmp(ctx, "device_add", map[string]any{"driver": "virtio-net-pci", "netdev": nd, "id": dev, "mac": mn.MAC, "romfile": ""}, nil)
			if err != nil {
				s.qmp(ctx, "netdev_del", map[string]any{"id": nd}, nil)
				return err
			}
		}
		s.st.Machine.NICs = append(s.st.Machine.NICs, mn)
		in := *s.inst.Load()
		in.NICs = append(append([]metadata.NIC{}, in.NICs...), instanceOf(hypervisor.Spec{NICs: []hypervisor.NIC{nic}}).NICs...)
		return s.setInstance(&in)
	})
}

// UnplugNIC removes the interface of portID (QMP device_del, netdev_del
// when QEMU runs).
func (d *Driver) UnplugNIC(ctx context.Context, id string, portID string) error {
	return d.change(ctx, id, nil, func(s *server) error {
		k := -1
		in := *s.inst.Load()
		for i, n := range in.NICs {
			if n.PortID == portID {
				k = i
			}
		}
		if k < 0 || k >= len(s.st.Machine.NICs) {
			return fmt.Errorf("%w: no interface for port %s", hypervisor.ErrNotFound, portID)
		}
		mac := s.st.Machine.NICs[k].MAC
		if s.proc != nil && s.proc.alive() {
			nd, dev := nicIDs(mac)
			if err := s.qmp(ctx, "device_del", map[string]any{"id": dev}, nil); err != nil {
				return err
			}
			s.qmp(ctx, "netdev_del", map[string]any{"id": nd}, nil)
		}
		s.st.Machine.NICs = append(s.st.Machine.NICs[:k:k], s.st.Machine.NICs[k+1:]...)
		in.NICs = append(in.NICs[:k:k], in.NICs[k+1:]...)
		return s.setInstance(&in)
	})
}
