package qemu

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/hypervisor/qemu/qmp"
)

var _ hypervisor.Volumes = (*Driver)(nil)

// detachWait is how long a detach waits for the guest to let go of the
// disk (PCI hot-unplug needs the guest's cooperation).
var detachWait = 30 * time.Second

// AttachVolume gives the server a volume file as a virtio disk: hot-plugged
// (QMP blockdev-add, device_add) while QEMU runs, and on its command line
// from then on.
func (d *Driver) AttachVolume(ctx context.Context, id string, v hypervisor.VolumeDisk) error {
	if !volDeviceRE.MatchString(v.Device) {
		return fmt.Errorf("qemu driver: volume device %q", v.Device)
	}
	if _, err := os.Stat(v.Path); err != nil {
		return fmt.Errorf("volume %s: %w", v.VolumeID, err)
	}
	return d.change(ctx, id, nil, func(s *server) error {
		for _, have := range s.st.Machine.Volumes {
			if have.Device == v.Device {
				return fmt.Errorf("%w: device %s is in use", hypervisor.ErrInvalidState, v.Device)
			}
		}
		mv := MachineVolume{ID: v.VolumeID, Device: v.Device, Path: v.Path, ReadOnly: v.ReadOnly}
		if s.proc != nil && s.proc.alive() {
			bd, dev := volumeArgs(mv)
			if err := s.qmp(ctx, "blockdev-add", bd, nil); err != nil {
				return err
			}
			if err := s.qmp(ctx, "device_add", dev, nil); err != nil {
				s.qmp(context.WithoutCancel(ctx), "blockdev-del", map[string]any{"node-name": bd["node-name"]}, nil)
				return err
			}
		}
		s.st.Machine.Volumes = append(s.st.Machine.Volumes, mv)
		return nil
	})
}

// DetachVolume removes the volume at device. While QEMU runs the guest
// must release the disk (PCI hot-unplug); a guest that does not within
// detachWait keeps it, and the detach fails.
func (d *Driver) DetachVolume(ctx context.Context, id, device string) error {
	return d.change(ctx, id, nil, func(s *server) error {
		k := -1
		for i, v := range s.st.Machine.Volumes {
			if v.Device == device {
				k = i
			}
		}
		if k < 0 {
			return fmt.Errorf("%w: no volume at %s", hypervisor.ErrNotFound, device)
		}
		if s.proc != nil && s.proc.alive() {
			if err := s.unplugDisk(ctx, device); err != nil {
				return err
			}
		}
		vs := s.st.Machine.Volumes
		s.st.Machine.Volumes = append(vs[:k:k], vs[k+1:]...)
		return nil
	})
}

// unplugDisk asks the guest to release a disk and removes its node; s.mu
// held.
func (s *server) unplugDisk(ctx context.Context, device string) error {
	node, dev := volumeIDs(device)
	sub := s.proc.qmp.Subscribe("DEVICE_DELETED")
	defer sub.Cancel()
	if err := s.qmp(ctx, "device_del", map[string]any{"id": dev}, nil); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, detachWait)
	defer cancel()
	_, err := sub.Wait(wctx, func(ev qmp.Event) bool {
		var d struct {
			Device string `json:"device"`
		}
		return json.Unmarshal(ev.Data, &d) == nil && d.Device == dev
	})
	if err != nil {
		return fmt.Errorf("qemu driver: the guest did not release %s within %v", device, detachWait)
	}
	return s.qmp(ctx, "blockdev-del", map[string]any{"node-name": node}, nil)
}
