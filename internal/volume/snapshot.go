package volume

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// SnapshotOpts describe a new snapshot.
type SnapshotOpts struct {
	VolumeID    string
	Name        *string
	Description *string
	Force       bool // snapshot an in-use volume too
	Metadata    map[string]string
}

// Snapshot returns a snapshot p may see.
func (s *Service) Snapshot(ctx context.Context, p *policy.Principal, id string) (*Snapshot, error) {
	sn, err := getSnapshot(ctx, s.r, scope(p), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, snapshotNotFound(id)
	}
	return sn, err
}

// CreateSnapshot records a snapshot in status creating and submits the
// job that copies the volume (a reflink clone where the filesystem allows).
func (s *Service) CreateSnapshot(ctx context.Context, p *policy.Principal, o SnapshotOpts) (*Snapshot, error) {
	if err := checkMetadata(o.Metadata); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	sn := &Snapshot{ID: newID(), ProjectID: p.ProjectID, UserID: p.UserID, VolumeID: o.VolumeID, Name: o.Name,
		Description: o.Description, Status: SnapCreating, Metadata: o.Metadata, CreatedAt: now, UpdatedAt: now}
	sn.StoreKey = snapshotKey(sn.ID)
	if sn.Metadata == nil {
		sn.Metadata = map[string]string{}
	}
	err := s.submitTx(ctx, func(tx *sql.Tx) error {
		v, err := getVolume(ctx, tx, scope(p), o.VolumeID)
		if errors.Is(err, store.ErrNotFound) {
			return volumeNotFound(o.VolumeID)
		}
		if err != nil {
			return err
		}
		switch {
		case v.Status == StatusMaintenance:
			return invalidVolume("The snapshot cannot be created when the volume is in maintenance mode.")
		case v.Status == StatusError:
			return invalidVolume("The snapshot cannot be created when the volume is in error status.")
		}
		valid := []string{StatusAvailable}
		if o.Force {
			valid = append(valid, StatusInUse)
		}
		if !contains(valid, v.Status) {
			return invalidVolume("Volume %s status must be %s, but current status is: %s.", v.ID, joinComma(valid), v.Status)
		}
		typeName, err := typeNameOf(ctx, tx, v.TypeID)
		if err != nil {
			return err
		}
		if err := checkQuota(ctx, tx, p.ProjectID, typeName, 0, 1, v.Size, 0); err != nil {
			return err
		}
		sn.Size, sn.AvailabilityZone = v.Size, v.AvailabilityZone
		if err := insertSnapshot(ctx, tx, sn); err != nil {
			return err
		}
		_, err = s.jobs.Submit(ctx, tx, job.Spec{Kind: kindSnapshot, Project: sn.ProjectID, User: p.UserID,
			ResourceType: "snapshot", ResourceID: sn.ID, Input: snapshotInput{SnapshotID: sn.ID, VolumeKey: v.StoreKey}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return sn, nil
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

// SnapshotUpdate are the fields a PUT (or a metadata call) changes.
type SnapshotUpdate struct {
	Name, Description *string
	Metadata          map[string]string // nil leaves it
}

// UpdateSnapshot changes a snapshot's name, description or metadata.
func (s *Service) UpdateSnapshot(ctx context.Context, p *policy.Principal, id string, u SnapshotUpdate) (*Snapshot, error) {
	if err := checkMetadata(u.Metadata); err != nil {
		return nil, err
	}
	var sn *Snapshot
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if sn, err = getSnapshot(ctx, tx, scope(p), id); err != nil {
			return err
		}
		if u.Name != nil {
			sn.Name = u.Name
		}
		if u.Description != nil {
			sn.Description = u.Description
		}
		if u.Metadata != nil {
			sn.Metadata = u.Metadata
		}
		sn.UpdatedAt = time.Now().UTC()
		return updateSnapshot(ctx, tx, sn)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, snapshotNotFound(id)
	}
	return sn, err
}

// DeleteSnapshot deletes a snapshot and its bytes; force (admin) ignores
// its status.
func (s *Service) DeleteSnapshot(ctx context.Context, p *policy.Principal, id string, force bool) error {
	var sn *Snapshot
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if sn, err = getSnapshot(ctx, tx, scope(p), id); err != nil {
			return err
		}
		var from []string
		if !force {
			from = []string{SnapAvailable, SnapError}
		}
		err = setSnapshotStatus(ctx, tx, id, from, SnapDeleting)
		if errors.Is(err, store.ErrConflict) {
			return fault.Invalidf("Invalid snapshot: Snapshot status must be %s and must not be part of a group.", orStr(from...))
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return snapshotNotFound(id)
	}
	if err != nil {
		return err
	}
	return s.finishSnapshotDelete(context.WithoutCancel(ctx), sn)
}

func (s *Service) finishSnapshotDelete(ctx context.Context, sn *Snapshot) error {
	if err := s.store.Delete(ctx, sn.StoreKey); err != nil {
		s.db.Tx(ctx, func(tx *sql.Tx) error { return setSnapshotStatus(ctx, tx, sn.ID, nil, SnapErrorDel) })
		return fmt.Errorf("deleting the bytes of snapshot %s: %w", sn.ID, err)
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error { return deleteSnapshotRow(ctx, tx, sn.ID) })
}

// RestoreSnapshot is K5's fcx-restore: the snapshot's source volume gets
// the snapshot's bytes back, in place. The volume must be available (not
// attached); it is "reverting" and the snapshot "restoring" while the
// bytes are copied, as in Cinder's revert-to-snapshot. A volume extended
// since the snapshot keeps its size, the part past the snapshot reading
// as zeros.
func (s *Service) RestoreSnapshot(ctx context.Context, p *policy.Principal, id string) error {
	return s.submitTx(ctx, func(tx *sql.Tx) error {
		sn, err := getSnapshot(ctx, tx, scope(p), id)
		if errors.Is(err, store.ErrNotFound) {
			return snapshotNotFound(id)
		}
		if err != nil {
			return err
		}
		if sn.Status != SnapAvailable {
			return fault.Invalidf("Invalid snapshot: Snapshot %s status must be available, but current status is: %s.", sn.ID, sn.Status)
		}
		v, err := getVolume(ctx, tx, "", sn.VolumeID)
		if errors.Is(err, store.ErrNotFound) {
			return volumeNotFound(sn.VolumeID)
		}
		if err != nil {
			return err
		}
		if v.Status != StatusAvailable || v.attached() {
			return invalidVolume("Volume %s status must be available to restore snapshot %s, but current status is: %s.", v.ID, sn.ID, v.Status)
		}
		if err := setVolumeStatus(ctx, tx, v.ID, []string{StatusAvailable}, StatusReverting); err != nil {
			return err
		}
		if err := setSnapshotStatus(ctx, tx, sn.ID, []string{SnapAvailable}, SnapRestoring); err != nil {
			return err
		}
		_, err = s.jobs.Submit(ctx, tx, job.Spec{Kind: kindRestore, Project: v.ProjectID, User: p.UserID,
			ResourceType: "volume", ResourceID: v.ID,
			Input: restoreInput{VolumeID: v.ID, SnapshotID: sn.ID, SnapshotKey: sn.StoreKey, VolumeKey: v.StoreKey, Size: v.Size}})
		return err
	})
}

// UpdateSnapshotStatus is os-update_snapshot_status, by which a snapshot's
// maker reports its progress: from creating to creating, available or
// error, from deleting to deleting or error_deleting. progress is "N%".
func (s *Service) UpdateSnapshotStatus(ctx context.Context, p *policy.Principal, id, status, progress string) error {
	allowed := map[string][]string{SnapCreating: {SnapCreating, SnapAvailable, SnapError}, SnapDeleting: {SnapDeleting, SnapErrorDel}}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		sn, err := getSnapshot(ctx, tx, scope(p), id)
		if err != nil {
			return err
		}
		next, ok := allowed[sn.Status]
		if !ok {
			return fault.Invalidf("Snapshot status %s not allowed for update_snapshot_status", sn.Status)
		}
		if !contains(next, status) {
			return fault.Invalidf("Provided snapshot status %s not allowed for snapshot with status %s.", status, sn.Status)
		}
		sn.Status, sn.UpdatedAt = status, time.Now().UTC()
		if n, err := strconv.Atoi(strings.TrimSuffix(progress, "%")); err == nil && n >= 0 && n <= 100 {
			sn.Progress = n
		} else if progress != "" {
			return fault.Invalidf("progress must be an integer percentage")
		}
		return updateSnapshot(ctx, tx, sn)
	})
	if errors.Is(err, store.ErrNotFound) {
		return snapshotNotFound(id)
	}
	return err
}

// ResetSnapshotStatus is the admin os-reset_status of a snapshot.
func (s *Service) ResetSnapshotStatus(ctx context.Context, p *policy.Principal, id, status string) error {
	if !contains(snapshotStatuses, status) {
		return fault.Invalidf("Snapshot status: %s is invalid, valid statuses are: %s.", status, joinComma(snapshotStatuses))
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := getSnapshot(ctx, tx, "", id); err != nil {
			return err
		}
		return setSnapshotStatus(ctx, tx, id, nil, status)
	})
	if errors.Is(err, store.ErrNotFound) {
		return snapshotNotFound(id)
	}
	return err
}
