package compute

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/volume"
)

// Volumes is what compute needs of block storage (internal/volume's Go
// API): volumes to create, attach and detach, and their files for the
// driver.
type Volumes interface {
	Volume(ctx context.Context, p *policy.Principal, id string) (*volume.Volume, error)
	CreateVolume(ctx context.Context, p *policy.Principal, o volume.CreateOpts) (*volume.Volume, error)
	WaitVolume(ctx context.Context, p *policy.Principal, id string) (*volume.Volume, error)
	Reserve(ctx context.Context, p *policy.Principal, id string) error
	Unreserve(ctx context.Context, p *policy.Principal, id string) error
	Attach(ctx context.Context, p *policy.Principal, id string, o volume.AttachOpts) (*volume.Attachment, error)
	BeginDetaching(ctx context.Context, p *policy.Principal, id string) error
	RollDetaching(ctx context.Context, p *policy.Principal, id string) error
	Detach(ctx context.Context, p *policy.Principal, id, attachmentID string) error
	DeleteVolume(ctx context.Context, p *policy.Principal, id string, force, cascade bool) error
	VolumePath(ctx context.Context, p *policy.Principal, id string) (string, error)
	AttachmentsOfServers(ctx context.Context, serverIDs []string) (map[string][]*volume.Attachment, error)
	SetDeleteOnTermination(ctx context.Context, p *policy.Principal, id, serverID string, v bool) error
}

// AttachedVolume is a volume attached to a server, for its views.
type AttachedVolume struct {
	VolumeID            string
	Device              string
	DeleteOnTermination bool
}

// attachStates are the vm states Nova attaches and detaches volumes in
// (shelved ones from 2.20). A shelved-offloaded server has no VM: only the
// records change, and unshelve attaches the files.
var attachStates = []string{vmActive, vmPaused, vmStopped, vmResized, vmSoftDeleted, vmShelved, vmShelvedOffloaded}

// deviceRE is Nova's block_device.match_device.
var deviceRE = regexp.MustCompile(`^(/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$`)

func noBlockStorage() *fault.Error {
	return fault.NotImplementedf("Volume attachments need block storage, which is not configured.")
}

// volumeDriver is the driver's volume support, or a 409 when it has none.
func (s *Service) volumeDriver() (hypervisor.Volumes, error) {
	vd, ok := s.driver.(hypervisor.Volumes)
	if !ok {
		return nil, fault.Conflictf("The hypervisor driver %s does not support volumes.", s.driver.Name())
	}
	return vd, nil
}

// attached lists a server's attached volumes (attachment status attached
// or detaching), as the block-storage service records them.
func (s *Service) attached(ctx context.Context, serverIDs ...string) (map[string][]AttachedVolume, error) {
	out := map[string][]AttachedVolume{}
	if s.vols == nil || len(serverIDs) == 0 {
		return out, nil
	}
	atts, err := s.vols.AttachmentsOfServers(ctx, serverIDs)
	if err != nil {
		return nil, err
	}
	for id, list := range atts {
		for _, a := range list {
			if a.Status == volume.Attached || a.Status == volume.Detaching {
				out[id] = append(out[id], AttachedVolume{VolumeID: a.VolumeID, Device: a.Mountpoint, DeleteOnTermination: a.DeleteOnTermination})
			}
		}
	}
	return out, nil
}

// loadVolumes fills the Volumes of servers for their views.
func (s *Service) loadVolumes(ctx context.Context, svs []*Server) error {
	ids := make([]string, 0, len(svs))
	for _, sv := range svs {
		ids = append(ids, sv.ID)
	}
	att, err := s.attached(ctx, ids...)
	if err != nil {
		return err
	}
	for _, sv := range svs {
		sv.Volumes = att[sv.ID]
	}
	return nil
}

// nextDevice is the first free /dev/vdX after the root disk.
func nextDevice(used []AttachedVolume) string {
	for c := 'b'; c <= 'z'; c++ {
		dev := "/dev/vd" + string(c)
		if !slices.ContainsFunc(used, func(a AttachedVolume) bool { return a.Device == dev }) {
			return dev
		}
	}
	return ""
}

// AttachVolume attaches a volume to a server (POST os-volume_attachments):
// the volume is reserved at once and the driver attaches its file on the
// server's worker, after which the volume is in-use. It returns the
// attachment with its device.
func (s *Service) AttachVolume(ctx context.Context, p *policy.Principal, serverID, volumeID, device string, dot bool, requestID string) (*AttachedVolume, error) {
	if s.vols == nil {
		return nil, noBlockStorage()
	}
	vd, err := s.volumeDriver()
	if err != nil {
		return nil, err
	}
	if device != "" && !deviceRE.MatchString(device) {
		return nil, fault.Invalidf("The supplied device path (%s) is invalid.", device)
	}
	sv, err := s.Server(ctx, p, serverID)
	if err != nil {
		return nil, err
	}
	if err := sv.checkLock(p.IsAdmin()); err != nil {
		return nil, err
	}
	if err := sv.checkState("attach_volume", attachStates, nil, false); err != nil {
		return nil, err
	}
	if _, err := s.vols.Volume(ctx, p, volumeID); err != nil {
		return nil, err
	}
	att, err := s.attached(ctx, serverID)
	if err != nil {
		return nil, err
	}
	for _, a := range att[serverID] {
		if a.VolumeID == volumeID {
			return nil, fault.Invalidf("Invalid volume: volume %s already attached", volumeID)
		}
		if a.Device == device {
			return nil, fault.Conflictf("The supplied device path (%s) is in use.", device)
		}
	}
	if device == "" || device == "/dev/vda" {
		if device = nextDevice(att[serverID]); device == "" {
			return nil, fault.Forbiddenf("The maximum allowed number of disk devices (26) to attach to a single instance has been exceeded.")
		}
	}
	if err := s.vols.Reserve(ctx, p, volumeID); err != nil {
		return nil, err
	}
	s.recordAction(ctx, nil, p, serverID, requestID, "attach_volume")
	host := ""
	if sv.Host != nil {
		host = *sv.Host
	}
	owner := ownerOf(sv)
	s.work.run(serverID, func(wctx context.Context) {
		start := time.Now()
		var err error
		if cur, _ := getServerRow(wctx, s.r, serverID); cur != nil && cur.VMState == vmShelvedOffloaded {
			_, err = s.vols.Attach(context.WithoutCancel(wctx), owner, volumeID, volume.AttachOpts{ServerID: serverID,
				Mountpoint: device, DeleteOnTermination: dot})
			s.pc.forget(serverID)
		} else {
			err = s.attachNow(wctx, vd, owner, serverID, host, volumeID, device, dot)
		}
		if err != nil {
			s.log.Warn("volume not attached", "server", serverID, "volume", volumeID, "err", err)
			s.vols.Unreserve(context.WithoutCancel(wctx), owner, volumeID)
		}
		s.event(wctx, serverID, requestID, "compute_attach_volume", start, err)
	})
	return &AttachedVolume{VolumeID: volumeID, Device: device, DeleteOnTermination: dot}, nil
}

// attachNow is the worker half of an attach: the driver opens the file,
// then the volume records the attachment (in-use).
func (s *Service) attachNow(ctx context.Context, vd hypervisor.Volumes, owner *policy.Principal, serverID, host, volumeID, device string, dot bool) error {
	path, err := s.vols.VolumePath(ctx, owner, volumeID)
	if err != nil {
		return err
	}
	if err := vd.AttachVolume(ctx, serverID, hypervisor.VolumeDisk{VolumeID: volumeID, Device: device, Path: path}); err != nil {
		return err
	}
	defer s.pc.forget(serverID)
	_, err = s.vols.Attach(context.WithoutCancel(ctx), owner, volumeID, volume.AttachOpts{ServerID: serverID, HostName: host,
		Mountpoint: device, DeleteOnTermination: dot})
	if err != nil {
		vd.DetachVolume(context.WithoutCancel(ctx), serverID, device)
	}
	return err
}

// serverVolume is a volume attached to a server, 404 in Nova's words when
// it is not.
func (s *Service) serverVolume(ctx context.Context, serverID, volumeID string) (*AttachedVolume, error) {
	att, err := s.attached(ctx, serverID)
	if err != nil {
		return nil, err
	}
	for _, a := range att[serverID] {
		if a.VolumeID == volumeID {
			return &a, nil
		}
	}
	return nil, fault.NotFoundf("Instance %s is not attached to volume %s", serverID, volumeID)
}

// VolumeAttachments are the volumes attached to a server the caller sees.
func (s *Service) VolumeAttachments(ctx context.Context, p *policy.Principal, serverID string) ([]AttachedVolume, error) {
	if _, err := s.Server(ctx, p, serverID); err != nil {
		return nil, err
	}
	att, err := s.attached(ctx, serverID)
	if err != nil {
		return nil, err
	}
	return att[serverID], nil
}

// VolumeAttachment is one volume attached to a server the caller sees.
func (s *Service) VolumeAttachment(ctx context.Context, p *policy.Principal, serverID, volumeID string) (*AttachedVolume, error) {
	if _, err := s.Server(ctx, p, serverID); err != nil {
		return nil, err
	}
	return s.serverVolume(ctx, serverID, volumeID)
}

// SwapVolume is the admin's swap of a server's volume oldID for newID,
// which stratus does not implement: Nova's errors for the server, the old
// volume (404) and the new one (400) come first, then a 501.
func (s *Service) SwapVolume(ctx context.Context, p *policy.Principal, serverID, oldID, newID string) error {
	if !p.IsAdmin() {
		return fault.Forbiddenf("Policy doesn't allow os_compute_api:os-volumes-attachments:swap to be performed.")
	}
	if s.vols != nil {
		if _, err := s.Server(ctx, p, serverID); err != nil {
			return err
		}
		if _, err := s.vols.Volume(ctx, p, oldID); err != nil {
			return err
		}
		if _, err := s.vols.Volume(ctx, p, newID); err != nil {
			if fault.KindOf(err) == fault.NotFound {
				return fault.Invalidf("Volume %s could not be found.", newID)
			}
			return err
		}
	}
	return fault.NotImplementedf("Swapping volumes is not implemented in stratus.")
}

// SetAttachmentDeleteOnTermination changes whether a server's volume is
// deleted with it (2.85).
func (s *Service) SetAttachmentDeleteOnTermination(ctx context.Context, p *policy.Principal, serverID, volumeID string, dot bool) error {
	if s.vols == nil {
		return noBlockStorage()
	}
	return s.vols.SetDeleteOnTermination(ctx, p, volumeID, serverID, dot)
}

// DetachVolume detaches a volume from a server (DELETE
// os-volume_attachments/{volume_id}); a root volume cannot be detached
// (K5 appendix C 11, Nova's "Cannot detach a root device volume").
func (s *Service) DetachVolume(ctx context.Context, p *policy.Principal, serverID, volumeID, requestID string) error {
	if s.vols == nil {
		return noBlockStorage()
	}
	vd, err := s.volumeDriver()
	if err != nil {
		return err
	}
	sv, err := s.Server(ctx, p, serverID)
	if err != nil {
		return err
	}
	if _, err := s.vols.Volume(ctx, p, volumeID); err != nil {
		return err
	}
	a, err := s.serverVolume(ctx, serverID, volumeID)
	if err != nil {
		return err
	}
	if sv.RootDevice != nil && a.Device == *sv.RootDevice {
		return fault.Invalidf("Cannot detach a root device volume")
	}
	if err := sv.checkLock(p.IsAdmin()); err != nil {
		return err
	}
	if err := sv.checkState("detach_volume", attachStates, nil, false); err != nil {
		return err
	}
	s.pc.forget(serverID)
	if err := s.vols.BeginDetaching(ctx, p, volumeID); err != nil {
		return err
	}
	s.recordAction(ctx, nil, p, serverID, requestID, "detach_volume")
	owner := ownerOf(sv)
	s.work.run(serverID, func(wctx context.Context) {
		start := time.Now()
		var err error
		if cur, _ := getServerRow(wctx, s.r, serverID); cur == nil || cur.VMState != vmShelvedOffloaded {
			err = vd.DetachVolume(wctx, serverID, a.Device)
		}
		if errors.Is(err, hypervisor.ErrNotFound) {
			err = nil // not on the guest (any more): only the records are left
		}
		if err == nil {
			err = s.vols.Detach(context.WithoutCancel(wctx), owner, volumeID, "")
			s.pc.forget(serverID)
		} else {
			s.vols.RollDetaching(context.WithoutCancel(wctx), owner, volumeID)
		}
		if err != nil {
			s.log.Warn("volume not detached", "server", serverID, "volume", volumeID, "err", err)
		}
		s.event(wctx, serverID, requestID, "compute_detach_volume", start, err)
	})
	return nil
}

// releaseVolumes detaches every volume of a server being deleted, and
// deletes those marked delete_on_termination (Nova's
// _cleanup_volumes). Errors are logged: the server goes anyway.
func (s *Service) releaseVolumes(ctx context.Context, sv *Server) {
	if s.vols == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	att, err := s.attached(ctx, sv.ID)
	if err != nil {
		s.log.Warn("volumes of a deleted server not read", "server", sv.ID, "err", err)
		return
	}
	owner := ownerOf(sv)
	for _, a := range att[sv.ID] {
		err := s.vols.Detach(ctx, owner, a.VolumeID, "")
		if err == nil && a.DeleteOnTermination {
			err = s.vols.DeleteVolume(ctx, owner, a.VolumeID, false, false)
		}
		if err != nil {
			s.log.Warn("volume of a deleted server not released", "server", sv.ID, "volume", a.VolumeID, "err", err)
		}
	}
}

func volumeAttachmentView(serverID string, a AttachedVolume, withDOT bool) map[string]any {
	v := map[string]any{"id": a.VolumeID, "volumeId": a.VolumeID, "serverId": serverID, "device": a.Device}
	if withDOT {
		v["delete_on_termination"] = a.DeleteOnTermination
	}
	return v
}

// reattachVolumes gives a server spawned again (unshelve) the files of the
// data volumes its records hold.
func (s *Service) reattachVolumes(ctx context.Context, sv *Server) error {
	if s.vols == nil {
		return nil
	}
	att, err := s.attached(ctx, sv.ID)
	if err != nil || len(att[sv.ID]) == 0 {
		return err
	}
	vd, err := s.volumeDriver()
	if err != nil {
		return err
	}
	owner := ownerOf(sv)
	for _, a := range att[sv.ID] {
		if sv.RootDevice != nil && a.Device == *sv.RootDevice {
			continue
		}
		path, err := s.vols.VolumePath(ctx, owner, a.VolumeID)
		if err != nil {
			return err
		}
		if err := vd.AttachVolume(ctx, sv.ID, hypervisor.VolumeDisk{VolumeID: a.VolumeID, Device: a.Device, Path: path}); err != nil {
			return err
		}
	}
	return nil
}
