package hypervisor

import (
	"context"
	"fmt"
	"os"
	"strings"
)

var _ Volumes = (*fake)(nil)

// AttachVolume gives the server a volume: the fake opens the file (it
// must exist and be readable, as a real guest's block device would),
// reads its first sector, and logs the disk as the guest kernel would.
func (f *fake) AttachVolume(ctx context.Context, id string, v VolumeDisk) error {
	file, err := os.Open(v.Path)
	if err != nil {
		return fmt.Errorf("volume %s: %w", v.VolumeID, err)
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return err
	}
	sector := make([]byte, 512)
	if _, err := file.ReadAt(sector, 0); err != nil && st.Size() >= 512 {
		return fmt.Errorf("volume %s: reading its first sector: %w", v.VolumeID, err)
	}
	dev := strings.TrimPrefix(v.Device, "/dev/")
	return f.change(ctx, id, nil, func(s *fakeServer) error {
		if _, taken := s.Volumes[v.Device]; taken {
			return fmt.Errorf("%w: device %s is in use", ErrInvalidState, v.Device)
		}
		if s.Volumes == nil {
			s.Volumes = map[string]VolumeDisk{}
		}
		s.Volumes[v.Device] = v
		mode := "rw"
		if v.ReadOnly {
			mode = "ro"
		}
		f.console(id, fmt.Sprintf("virtio_blk virtio%d: [%s] %d 512-byte logical blocks (%s, %s, volume %s)",
			len(s.Volumes)+1, dev, st.Size()/512, humanBytes(st.Size()), mode, v.VolumeID))
		return nil
	})
}

// DetachVolume removes the volume at device.
func (f *fake) DetachVolume(ctx context.Context, id, device string) error {
	return f.change(ctx, id, nil, func(s *fakeServer) error {
		v, ok := s.Volumes[device]
		if !ok {
			return fmt.Errorf("%w: no volume at %s", ErrNotFound, device)
		}
		delete(s.Volumes, device)
		f.console(id, fmt.Sprintf("virtio_blk: [%s] removed (volume %s)", strings.TrimPrefix(device, "/dev/"), v.VolumeID))
		return nil
	})
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d B", n)
}
