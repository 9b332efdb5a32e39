package compute

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/volume"
)

// bdmVolume is a block device mapping to a volume (destination_type
// volume, the only destination K5 allows: appendix C 1): an existing
// volume, or one the build makes from an image, a snapshot or nothing.
type bdmVolume struct {
	Source    string `json:"source"` // volume, image, snapshot, blank
	UUID      string `json:"uuid,omitempty"`
	Size      int64  `json:"size,omitempty"` // GiB; needed for image and blank
	BootIndex int    `json:"boot_index"`     // 0 is the root disk; -1 none
	Device    string `json:"device,omitempty"`
	DOT       bool   `json:"delete_on_termination"`
}

// bdmKey holds a server's volume mappings (JSON) in its system metadata
// from the request to the build, which attaches them.
const bdmKey = "stratus_volume_mappings"

func invalidBDM(format string, args ...any) *fault.Error {
	return fault.Invalidf("Block Device Mapping is Invalid: "+format, args...)
}

// parseVolumeBDM reads a v2 mapping whose destination is a volume.
func parseVolumeBDM(b map[string]any, src string) (bdmVolume, error) {
	m := bdmVolume{Source: src, BootIndex: -1}
	var err error
	if m.UUID, _, err = str(b, "uuid"); err != nil {
		return m, err
	}
	switch {
	case src == "blank" && m.UUID != "":
		return m, invalidBDM("Invalid device UUID.")
	case src != "blank" && m.UUID == "":
		return m, invalidBDM("Missing device UUID.")
	}
	if v, ok := b["volume_size"]; ok && v != nil {
		n, perr := strconv.ParseInt(intText(v), 10, 64)
		if perr != nil || n < 1 {
			return m, schemaErr("volume_size", v, pyRepr(v)+" is not valid under any of the given schemas")
		}
		m.Size = n
	}
	if v, ok := b["boot_index"]; ok && v != nil {
		n, perr := strconv.Atoi(intText(v))
		if perr != nil {
			return m, invalidBDM("Boot index is invalid.")
		}
		m.BootIndex = n
	}
	if v, ok := b["delete_on_termination"]; ok {
		if m.DOT, err = boolValue("delete_on_termination", v); err != nil {
			return m, err
		}
	}
	if m.Device, _, err = str(b, "device_name"); err != nil {
		return m, err
	}
	if m.Device != "" && m.Device[0] != '/' {
		m.Device = "/dev/" + m.Device
	}
	if m.Device != "" && !deviceRE.MatchString(m.Device) {
		return m, fault.Invalidf("The supplied device path (%s) is invalid.", m.Device)
	}
	if (src == "image" || src == "blank") && m.Size == 0 {
		if src == "image" {
			return m, fault.Invalidf("Images with destination_type 'volume' need to have a non-zero size specified")
		}
		return m, fault.Invalidf("Blank volumes (source: 'blank', dest: 'volume') need to have non-zero size")
	}
	return m, nil
}

// intText is an integer or a string of one, as text.
func intText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyRepr(v)
}

// bootVolume is the mapping of the root disk, nil when the server boots
// from an image onto a local disk.
func (c *createRequest) bootVolume() *bdmVolume {
	for i := range c.Volumes {
		if c.Volumes[i].BootIndex == 0 {
			return &c.Volumes[i]
		}
	}
	return nil
}

// checkVolumeBDMs checks a create's volume mappings as Nova's
// _validate_bdm does, and returns the boot image of a volume made from
// one (its properties go to the server's system metadata, as Nova records
// a volume-backed server's image metadata).
func (s *Service) checkVolumeBDMs(ctx context.Context, p *policy.Principal, c *createRequest) (*image.Image, error) {
	if len(c.Volumes) == 0 {
		return nil, nil
	}
	if s.vols == nil {
		return nil, noVolumes()
	}
	if _, err := s.volumeDriver(); err != nil {
		return nil, err
	}
	var bootImage *image.Image
	for i := range c.Volumes {
		m := &c.Volumes[i]
		switch m.Source {
		case "image":
			im, err := s.images.Image(ctx, p, m.UUID)
			if err != nil || im.Status != image.StatusActive {
				return nil, invalidBDM("failed to get image %s.", m.UUID)
			}
			if im.MinDisk > m.Size {
				return nil, fault.Invalidf("Volume is smaller than the minimum size specified in image metadata. Volume size is %d bytes, minimum size is %d bytes.",
					m.Size<<30, im.MinDisk<<30)
			}
			if m.BootIndex == 0 {
				bootImage = im
			}
		case "volume":
			v, err := s.vols.Volume(ctx, p, m.UUID)
			if err != nil {
				return nil, invalidBDM("failed to get volume %s.", m.UUID)
			}
			if v.Status != volume.StatusAvailable {
				return nil, fault.Invalidf("Invalid volume: volume '%s' status must be 'available'. Currently in '%s'", v.ID, v.Status)
			}
			if m.BootIndex == 0 && !v.Bootable {
				return nil, fault.Invalidf("Block Device %s is not bootable.", v.ID)
			}
		}
	}
	return bootImage, nil
}

func (s *Service) saveVolumeBDMs(sv *Server, c *createRequest) {
	if len(c.Volumes) == 0 {
		return
	}
	b, _ := json.Marshal(c.Volumes)
	sv.SystemMetadata[bdmKey] = string(b)
	if c.bootVolume() != nil {
		sv.ImageID = "" // a volume-backed server shows image "" as Nova
	}
}

// buildVolumes is the build's half of the mappings: it makes the volumes
// that come from an image, a snapshot or nothing, waits until each is
// available, and attaches the boot volume (returned as the driver's root
// disk file); the others are returned to attach once the server runs.
func (s *Service) buildVolumes(ctx context.Context, sv *Server) (root string, data []bdmVolume, err error) {
	raw := sv.SystemMetadata[bdmKey]
	if raw == "" {
		return "", nil, nil
	}
	var maps []bdmVolume
	if err := json.Unmarshal([]byte(raw), &maps); err != nil {
		return "", nil, err
	}
	owner := ownerOf(sv)
	used := []AttachedVolume{{Device: "/dev/vda"}}
	for _, m := range maps {
		id := m.UUID
		if m.Source != "volume" {
			o := volume.CreateOpts{Size: m.Size}
			switch m.Source {
			case "image":
				o.ImageRef = m.UUID
			case "snapshot":
				o.SnapshotID = m.UUID
			}
			v, err := s.vols.CreateVolume(ctx, owner, o)
			if err != nil {
				return "", nil, err
			}
			id = v.ID
		}
		v, err := s.vols.WaitVolume(ctx, owner, id)
		if err != nil {
			return "", nil, err
		}
		if v.Status != volume.StatusAvailable {
			return "", nil, fmt.Errorf("volume %s is %s", v.ID, v.Status)
		}
		m.UUID, m.Source = v.ID, "volume"
		if m.BootIndex != 0 {
			if m.Device == "" || m.Device == "/dev/vda" {
				m.Device = nextDevice(used)
			}
			used = append(used, AttachedVolume{Device: m.Device})
			data = append(data, m)
			continue
		}
		s.pc.forget(sv.ID)
		_, err = s.vols.Attach(ctx, owner, v.ID, volume.AttachOpts{ServerID: sv.ID, Mountpoint: "/dev/vda", DeleteOnTermination: m.DOT,
			HostName: deref(sv.Host)})
		if err != nil {
			return "", nil, err
		}
		if root, err = s.vols.VolumePath(ctx, owner, v.ID); err != nil {
			return "", nil, err
		}
	}
	return root, data, nil
}

// attachBuilt attaches a new server's data volumes.
func (s *Service) attachBuilt(ctx context.Context, sv *Server, data []bdmVolume) error {
	if len(data) == 0 {
		return nil
	}
	vd, err := s.volumeDriver()
	if err != nil {
		return err
	}
	for _, m := range data {
		if err := s.vols.Reserve(ctx, ownerOf(sv), m.UUID); err != nil {
			return err
		}
		if err := s.attachNow(ctx, vd, ownerOf(sv), sv.ID, deref(sv.Host), m.UUID, m.Device, m.DOT); err != nil {
			s.vols.Unreserve(context.WithoutCancel(ctx), ownerOf(sv), m.UUID)
			return err
		}
	}
	return nil
}
