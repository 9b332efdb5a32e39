package volume

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// change runs fn on a volume p may see, in one transaction, and writes it
// back; fn returns the error to give the client.
func (s *Service) change(ctx context.Context, p *policy.Principal, id string, fn func(tx *sql.Tx, v *Volume) error) (*Volume, error) {
	var v *Volume
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if v, err = getVolume(ctx, tx, scope(p), id); err != nil {
			return err
		}
		if err := fn(tx, v); err != nil {
			return err
		}
		v.UpdatedAt = time.Now().UTC()
		return updateVolume(ctx, tx, v)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, volumeNotFound(id)
	}
	return v, err
}

// ExtendVolume grows a volume (and its file) to newSize GiB. Shrinking is
// refused; the volume must be available.
func (s *Service) ExtendVolume(ctx context.Context, p *policy.Principal, id string, newSize int64) error {
	var prev string
	v, err := s.change(ctx, p, id, func(tx *sql.Tx, v *Volume) error {
		if newSize <= v.Size {
			return invalidInput("New size for extend must be greater than current size. (current: %d, extended: %d).", v.Size, newSize)
		}
		if v.Status != StatusAvailable {
			return invalidVolume("Volume %s status must be '{'status': 'available'}' to extend, currently %s.", v.ID, v.Status)
		}
		if newSize > MaxSizeGB {
			return quotaError("Requested volume size %dG is larger than maximum allowed limit %dG.", newSize, int64(MaxSizeGB))
		}
		typeName, err := typeNameOf(ctx, tx, v.TypeID)
		if err != nil {
			return err
		}
		if err := checkQuota(ctx, tx, v.ProjectID, typeName, 0, 0, newSize-v.Size, newSize); err != nil {
			return err
		}
		prev, v.PreviousStatus, v.Status = v.Status, v.Status, StatusExtending
		return nil
	})
	if err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	if err := s.store.Resize(ctx, v.StoreKey, newSize*GiB); err != nil {
		s.db.Tx(ctx, func(tx *sql.Tx) error {
			return setVolumeStatus(ctx, tx, v.ID, []string{StatusExtending}, StatusErrorExtending)
		})
		return fmt.Errorf("extending volume %s: %w", v.ID, err)
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE volumes SET size=$2, status=$3, previous_status=NULL, updated_at=$4 WHERE id=$1 AND status=$5",
			v.ID, newSize, prev, store.Now(), StatusExtending)
		return affectedOne(res, err)
	})
}

// Reserve marks an available volume as being attached (os-reserve).
func (s *Service) Reserve(ctx context.Context, p *policy.Principal, id string) error {
	_, err := s.change(ctx, p, id, func(tx *sql.Tx, v *Volume) error {
		if v.Status != StatusAvailable {
			return invalidVolume("Volume status must be available to reserve, but the status is %s.", v.Status)
		}
		v.Status = StatusAttaching
		return nil
	})
	return err
}

// Unreserve undoes Reserve; a volume not attaching is left alone.
func (s *Service) Unreserve(ctx context.Context, p *policy.Principal, id string) error {
	_, err := s.change(ctx, p, id, func(tx *sql.Tx, v *Volume) error {
		if v.Status == StatusAttaching {
			v.Status = StatusAvailable
			if v.attached() {
				v.Status = StatusInUse
			}
		}
		return nil
	})
	return err
}

// AttachOpts describe an attachment.
type AttachOpts struct {
	ServerID   string
	HostName   string
	Mountpoint string
	Mode       string // rw (default) or ro
	// DeleteOnTermination marks the volume to go with its server.
	DeleteOnTermination bool
}

// Attach records an attachment and makes the volume in-use (os-attach).
// The volume must be available or reserved (attaching); volumes attach to
// one server at a time.
func (s *Service) Attach(ctx context.Context, p *policy.Principal, id string, o AttachOpts) (*Attachment, error) {
	if o.Mode == "" {
		o.Mode = "rw"
	}
	if o.Mode != "rw" && o.Mode != "ro" {
		return nil, fault.Invalidf("Invalid attaching mode '%s' for volume %s.", o.Mode, id)
	}
	if o.ServerID != "" && !isUUID(o.ServerID) {
		return nil, fault.Invalidf("Expected a UUID but received %s.", o.ServerID)
	}
	a := &Attachment{ID: newID(), VolumeID: id, ServerID: o.ServerID, HostName: o.HostName, Mountpoint: o.Mountpoint,
		Mode: o.Mode, Status: Attached, AttachedAt: time.Now().UTC(), CreatedAt: time.Now().UTC(),
		DeleteOnTermination: o.DeleteOnTermination}
	_, err := s.change(ctx, p, id, func(tx *sql.Tx, v *Volume) error {
		switch {
		case v.Status == StatusMaintenance:
			return invalidVolume("The volume cannot be attached in maintenance mode.")
		case v.Status == StatusInUse:
			return invalidVolume("volume is already attached and multiple attachments are not enabled")
		case v.Status != StatusAvailable && v.Status != StatusAttaching:
			return invalidVolume("Volume %s status must be available or attaching to attach, but the status is %s.", v.ID, v.Status)
		}
		if v.AdminMetadata == nil {
			v.AdminMetadata = map[string]string{}
		}
		if _, ok := v.AdminMetadata["readonly"]; !ok {
			v.AdminMetadata["readonly"] = "False"
		}
		if v.AdminMetadata["readonly"] == "True" && o.Mode != "ro" {
			return fault.Invalidf("Invalid attaching mode '%s' for volume %s.", o.Mode, v.ID)
		}
		v.AdminMetadata["attached_mode"] = o.Mode
		v.Status, v.AttachStatus = StatusInUse, Attached
		return insertAttachment(ctx, tx, a)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// BeginDetaching marks an in-use volume as detaching (os-begin_detaching).
func (s *Service) BeginDetaching(ctx context.Context, p *policy.Principal, id string) error {
	_, err := s.change(ctx, p, id, func(tx *sql.Tx, v *Volume) error {
		if v.Status != StatusInUse || v.AttachStatus != Attached {
			return invalidVolume("Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.")
		}
		v.Status = StatusDetaching
		return nil
	})
	return err
}

// RollDetaching undoes BeginDetaching (os-roll_detaching).
func (s *Service) RollDetaching(ctx context.Context, p *policy.Principal, id string) error {
	_, err := s.change(ctx, p, id, func(tx *sql.Tx, v *Volume) error {
		if v.Status == StatusDetaching {
			v.Status = StatusInUse
		}
		return nil
	})
	return err
}

// Detach removes an attachment (attachmentID "" for the only one) and
// makes the volume available when none is left (os-detach).
func (s *Service) Detach(ctx context.Context, p *policy.Principal, id, attachmentID string) error {
	_, err := s.change(ctx, p, id, func(tx *sql.Tx, v *Volume) error {
		if v.Status == StatusMaintenance {
			return invalidVolume("The volume cannot be detached in maintenance mode.")
		}
		var a *Attachment
		switch {
		case attachmentID != "":
			for _, x := range v.Attachments {
				if x.ID == attachmentID {
					a = x
				}
			}
			if a == nil {
				return fault.NotFoundf("Volume attachment could not be found with filter: attachment_id = %s.", attachmentID)
			}
		case len(v.Attachments) > 1:
			return invalidVolume("Detach volume failed: More than one attachment, but no attachment_id provided.")
		case len(v.Attachments) == 1:
			a = v.Attachments[0]
		}
		if a != nil {
			if err := deleteAttachment(ctx, tx, a.ID); err != nil {
				return err
			}
		}
		if len(v.Attachments) <= 1 {
			v.Status, v.AttachStatus = StatusAvailable, Detached
			delete(v.AdminMetadata, "attached_mode")
		}
		return nil
	})
	return err
}

// ResetStatus is the admin os-reset_status: any of status, attach_status
// and migration_status, without checks.
func (s *Service) ResetStatus(ctx context.Context, p *policy.Principal, id, status, attachStatus, migration string) error {
	if status == "" && attachStatus == "" && migration == "" {
		return fault.Invalidf("Must specify 'status', 'attach_status' or 'migration_status' for update.")
	}
	if status != "" && !contains(volumeStatuses, status) {
		return fault.Invalidf("Volume status: %s is invalid, valid statuses are: %s.", status, joinComma(volumeStatuses))
	}
	if attachStatus != "" && attachStatus != Attached && attachStatus != Detached {
		return fault.Invalidf("Volume attach status: %s is invalid, valid statuses are: attached, detached.", attachStatus)
	}
	_, err := s.change(ctx, p, id, func(tx *sql.Tx, v *Volume) error {
		if status != "" {
			v.Status = status
		}
		if attachStatus != "" {
			v.AttachStatus = attachStatus
			if attachStatus == Detached {
				for _, a := range v.Attachments {
					if err := deleteAttachment(ctx, tx, a.ID); err != nil {
						return err
					}
				}
				delete(v.AdminMetadata, "attached_mode")
			}
		}
		if migration != "" {
			v.MigrationStatus = migration
			if migration == "none" {
				v.MigrationStatus = ""
			}
		}
		return nil
	})
	return err
}

// SetBootable sets the bootable flag (os-set_bootable).
func (s *Service) SetBootable(ctx context.Context, p *policy.Principal, id string, bootable bool) error {
	_, err := s.change(ctx, p, id, func(tx *sql.Tx, v *Volume) error {
		if v.Status == StatusMaintenance {
			return invalidVolume("The volume cannot be updated during maintenance.")
		}
		v.Bootable = bootable
		return nil
	})
	return err
}

// SetReadonly sets the readonly flag (os-update_readonly_flag).
func (s *Service) SetReadonly(ctx context.Context, p *policy.Principal, id string, readonly bool) error {
	_, err := s.change(ctx, p, id, func(tx *sql.Tx, v *Volume) error {
		if v.Status != StatusAvailable && v.Status != StatusInUse {
			return invalidVolume("Volume %s status must be available or in-use, but current status is: %s.", v.ID, v.Status)
		}
		if v.AdminMetadata == nil {
			v.AdminMetadata = map[string]string{}
		}
		v.AdminMetadata["readonly"] = map[bool]string{true: "True", false: "False"}[readonly]
		return nil
	})
	return err
}

// Retype changes a volume's type (os-retype). Every type lives on the one
// volume store, so no migration is ever needed and migration_policy does
// not matter; per-type quotas apply.
func (s *Service) Retype(ctx context.Context, p *policy.Principal, id, newType string) error {
	_, err := s.change(ctx, p, id, func(tx *sql.Tx, v *Volume) error {
		t, err := s.typeByNameOrID(ctx, tx, p, newType)
		if err != nil {
			if fault.KindOf(err) == fault.NotFound {
				return invalidInput("Invalid volume_type passed: %s.", newType)
			}
			return err
		}
		if (v.Status != StatusAvailable && v.Status != StatusInUse) || v.MigrationStatus != "" || t.ID == v.TypeID {
			return invalidVolume("Retype needs volume to be in available or in-use state, not be part of an active migration " +
				"or a consistency group, requested type has to be different that the one from the volume, and for in-use volumes " +
				"front-end qos specs cannot change.")
		}
		// Only the new type's own quotas change: the volume already counts.
		if err := lockProject(ctx, tx, v.ProjectID); err != nil {
			return err
		}
		lim, err := projectLimits(ctx, tx, v.ProjectID)
		if err != nil {
			return err
		}
		u, err := projectUsage(ctx, tx, v.ProjectID)
		if err != nil {
			return err
		}
		if l := lim["volumes_"+t.Name]; l >= 0 && u["volumes_"+t.Name]+1 > l {
			return quotaError("Maximum number of volumes allowed (%d) exceeded for quota 'volumes_%s'.", l, t.Name)
		}
		if l := lim["gigabytes_"+t.Name]; l >= 0 && u["gigabytes_"+t.Name]+v.Size > l {
			return quotaError("Requested volume or snapshot exceeds allowed gigabytes_%s quota. Requested %dG, quota is %dG and %dG has been consumed.",
				t.Name, v.Size, l, u["gigabytes_"+t.Name])
		}
		v.TypeID = t.ID
		return nil
	})
	return err
}

// VolumePath is the local raw file of a volume, for a hypervisor driver;
// a volume whose bytes are in the blob store has none (409).
func (s *Service) VolumePath(ctx context.Context, p *policy.Principal, id string) (string, error) {
	v, err := s.Volume(ctx, p, id)
	if err != nil {
		return "", err
	}
	if v.Node != s.node {
		return "", fault.Conflictf("Volume %s is stored on node %s, not on this node.", v.ID, v.Node)
	}
	path := s.store.Path(v.StoreKey)
	if path == "" {
		return "", fault.Conflictf("Volume %s has no local file: its store (%s) keeps none.", v.ID, s.store.Kind())
	}
	return path, nil
}

// AttachmentsOfServers maps the attachments of servers' volumes by
// server, for the compute service's views (which checked the servers).
func (s *Service) AttachmentsOfServers(ctx context.Context, serverIDs []string) (map[string][]*Attachment, error) {
	all, err := attachmentsOfServers(ctx, s.r, serverIDs)
	if err != nil {
		return nil, err
	}
	out := map[string][]*Attachment{}
	for _, a := range all {
		out[a.ServerID] = append(out[a.ServerID], a)
	}
	return out, nil
}

// SetDeleteOnTermination changes whether a volume goes with the server it
// is attached to (Nova's volume attachment update, 2.85).
func (s *Service) SetDeleteOnTermination(ctx context.Context, p *policy.Principal, id, serverID string, v bool) error {
	_, err := s.change(ctx, p, id, func(tx *sql.Tx, vol *Volume) error {
		for _, a := range vol.Attachments {
			if a.ServerID == serverID {
				return setDeleteOnTermination(ctx, tx, a.ID, v)
			}
		}
		return fault.NotFoundf("Volume attachment could not be found with filter: instance_uuid = %s, volume_id = %s.", serverID, id)
	})
	return err
}
