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
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// CreateOpts describe a new volume. Size 0 takes the source's size.
type CreateOpts struct {
	Size             int64 // GiB
	Name             *string
	Description      *string
	VolumeType       string // name or id; "" for the default type
	Metadata         map[string]string
	AvailabilityZone string
	SnapshotID       string
	SourceVolID      string
	ImageRef         string // image id, or a URL ending in one
}

// scope is the project p's queries are limited to ("" for an admin).
func scope(p *policy.Principal) string {
	if p.IsAdmin() {
		return ""
	}
	return p.ProjectID
}

// Volume returns a volume p may see, with its type and attachments.
func (s *Service) Volume(ctx context.Context, p *policy.Principal, id string) (*Volume, error) {
	v, err := getVolume(ctx, s.r, scope(p), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, volumeNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	return v, s.loadTypes(ctx, []*Volume{v})
}

func (s *Service) loadTypes(ctx context.Context, vs []*Volume) error {
	cache := map[string]*VolumeType{}
	for _, v := range vs {
		if v.TypeID == "" {
			continue
		}
		t, ok := cache[v.TypeID]
		if !ok {
			var err error
			t, err = getType(ctx, s.r, v.TypeID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			cache[v.TypeID] = t
		}
		v.Type = t
	}
	return nil
}

// createSource is what a create job copies from.
type createSource struct {
	Kind        string `json:"kind"` // blank, image, snapshot, volume
	Key         string `json:"key,omitempty"`
	ImageID     string `json:"image_id,omitempty"`
	ImageBlob   string `json:"image_blob,omitempty"`
	ImageFormat string `json:"image_format,omitempty"`
}

// CreateVolume creates a volume in status creating and submits the job
// that fills it; the volume becomes available when the job finishes.
func (s *Service) CreateVolume(ctx context.Context, p *policy.Principal, o CreateOpts) (*Volume, error) {
	if err := checkMetadata(o.Metadata); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	v := &Volume{ID: newID(), ProjectID: p.ProjectID, UserID: p.UserID, Name: o.Name, Description: o.Description,
		Size: o.Size, Status: StatusCreating, AttachStatus: Detached, AvailabilityZone: s.zone,
		Metadata: o.Metadata, Host: s.host, Node: s.node, CreatedAt: now, UpdatedAt: now}
	v.StoreKey = volumeKey(v.ID)
	if v.Metadata == nil {
		v.Metadata = map[string]string{}
	}
	src := createSource{Kind: "blank"}
	var srcZone string
	err := s.submitTx(ctx, func(tx *sql.Tx) error {
		var err error
		var typ *VolumeType
		if o.VolumeType != "" {
			typ, err = s.typeByNameOrID(ctx, tx, p, o.VolumeType)
		} else {
			typ, err = getTypeByName(ctx, tx, DefaultTypeName)
		}
		if err != nil {
			return err
		}
		v.TypeID, v.Type = typ.ID, typ
		switch {
		case o.SourceVolID != "":
			srcZone, err = s.fromVolume(ctx, tx, p, v, &src, o.SourceVolID)
		case o.SnapshotID != "":
			srcZone, err = s.fromSnapshot(ctx, tx, p, v, &src, o.SnapshotID)
		}
		if err != nil {
			return err
		}
		if err := s.checkSize(v.Size); err != nil {
			return err
		}
		if o.ImageRef != "" {
			if err := s.fromImage(ctx, p, v, &src, o.ImageRef); err != nil {
				return err
			}
		}
		if err := s.checkZone(o.AvailabilityZone, srcZone); err != nil {
			return err
		}
		if err := checkQuota(ctx, tx, v.ProjectID, typ.Name, 1, 0, v.Size, v.Size); err != nil {
			return err
		}
		if err := insertVolume(ctx, tx, v); err != nil {
			return err
		}
		_, err = s.jobs.Submit(ctx, tx, job.Spec{Kind: kindCreate, Project: v.ProjectID, User: p.UserID,
			ResourceType: "volume", ResourceID: v.ID, Input: createInput{VolumeID: v.ID, Source: src}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// checkSize applies Cinder's size rule and K5's 16 TB cap.
func (s *Service) checkSize(size int64) error {
	if size <= 0 {
		return invalidInput("Volume size 'None' must be an integer and greater than 0") // absent: sizes below 1 fail validation
	}
	if size > MaxSizeGB {
		return quotaError("Requested volume size %dG is larger than maximum allowed limit %dG.", size, int64(MaxSizeGB))
	}
	return nil
}

func (s *Service) checkZone(zone, srcZone string) error {
	if zone != "" && zone != s.zone {
		return fault.Invalidf("Availability zone '%s' is invalid.", zone)
	}
	return nil
}

func (s *Service) fromVolume(ctx context.Context, tx *sql.Tx, p *policy.Principal, v *Volume, src *createSource, id string) (string, error) {
	sv, err := getVolume(ctx, tx, scope(p), id)
	if errors.Is(err, store.ErrNotFound) {
		return "", volumeNotFound(id)
	}
	if err != nil {
		return "", err
	}
	if sv.Status != StatusAvailable && sv.Status != StatusInUse {
		return "", invalidVolume("Originating source volume status must be one of 'available, in-use' values")
	}
	if v.Size == 0 {
		v.Size = sv.Size
	} else if v.Size < sv.Size {
		return "", invalidInput("Volume size '%d'GB cannot be smaller than original volume size  %dGB. They must be >= original volume size.", v.Size, sv.Size)
	}
	v.SourceVolID, v.Bootable, v.ImageMetadata = sv.ID, sv.Bootable, sv.ImageMetadata
	*src = createSource{Kind: "volume", Key: sv.StoreKey}
	return sv.AvailabilityZone, nil
}

func (s *Service) fromSnapshot(ctx context.Context, tx *sql.Tx, p *policy.Principal, v *Volume, src *createSource, id string) (string, error) {
	sn, err := getSnapshot(ctx, tx, scope(p), id)
	if errors.Is(err, store.ErrNotFound) {
		return "", snapshotNotFound(id)
	}
	if err != nil {
		return "", err
	}
	if sn.Status != SnapAvailable {
		return "", fault.Invalidf("Invalid snapshot: Originating snapshot status must be one of 'available' values")
	}
	if v.Size == 0 {
		v.Size = sn.Size
	} else if v.Size < sn.Size {
		return "", invalidInput("Volume size '%d'GB cannot be smaller than the snapshot size %dGB. They must be >= original snapshot size.", v.Size, sn.Size)
	}
	v.SnapshotID = sn.ID
	if sv, err := getVolume(ctx, tx, "", sn.VolumeID); err == nil {
		v.Bootable, v.ImageMetadata = sv.Bootable, sv.ImageMetadata
	}
	*src = createSource{Kind: "snapshot", Key: sn.StoreKey}
	return sn.AvailabilityZone, nil
}

// fromImage checks the image as Cinder's check_image_metadata does and
// records what the job needs to read it.
func (s *Service) fromImage(ctx context.Context, p *policy.Principal, v *Volume, src *createSource, ref string) error {
	id := ref[strings.LastIndex(ref, "/")+1:]
	var im *image.Image
	var err error
	if isUUID(id) {
		im, err = s.images.Image(ctx, p, id)
	}
	if im == nil || err != nil {
		if err != nil && fault.KindOf(err) != fault.NotFound {
			return err
		}
		return fault.Invalidf("Invalid image identifier or unable to access requested image.")
	}
	if im.Status != image.StatusActive || im.BlobKey == "" {
		return invalidInput("Image %s is not active.", im.ID)
	}
	var size int64
	if im.Size != nil {
		size = *im.Size
	}
	if gb := (size + GiB - 1) / GiB; gb > v.Size {
		return invalidInput("Size of specified image %dGB is larger than volume size %dGB.", gb, v.Size)
	}
	if v.Size < im.MinDisk {
		return invalidInput("Volume size %dGB cannot be smaller than the image minDisk size %dGB.", v.Size, im.MinDisk)
	}
	if im.VirtualSize != nil {
		if gb := (*im.VirtualSize + GiB - 1) / GiB; gb > v.Size {
			return fault.Invalidf("Image %s is unacceptable: Image virtual size is %dGB and doesn't fit in a volume of size %dGB.", im.ID, gb, v.Size)
		}
	}
	format := "raw"
	if im.DiskFormat != nil {
		format = *im.DiskFormat
	}
	v.ImageID, v.Bootable, v.ImageMetadata = im.ID, true, imageMetadata(im)
	*src = createSource{Kind: "image", ImageID: im.ID, ImageBlob: im.BlobKey, ImageFormat: format}
	return nil
}

// imageMetadata is what Cinder copies into volume_image_metadata.
func imageMetadata(im *image.Image) map[string]string {
	m := map[string]string{"image_id": im.ID, "min_disk": strconv.FormatInt(im.MinDisk, 10),
		"min_ram": strconv.FormatInt(im.MinRAM, 10)}
	set := func(k string, v *string) {
		if v != nil {
			m[k] = *v
		}
	}
	set("image_name", im.Name)
	set("checksum", im.Checksum)
	set("container_format", im.ContainerFormat)
	set("disk_format", im.DiskFormat)
	if im.Size != nil {
		m["size"] = strconv.FormatInt(*im.Size, 10)
	}
	for k, v := range im.Properties {
		m[k] = v
	}
	return m
}

func checkMetadata(m map[string]string) error {
	for k, v := range m {
		if k == "" || len(k) > 255 {
			return fault.Invalidf("Invalid metadata: Metadata property key %s greater than 255 characters.", k)
		}
		if len(v) > 255 {
			return fault.Invalidf("Invalid metadata size: Metadata property key %s value greater than 255 characters.", k)
		}
	}
	return nil
}

// VolumeUpdate are the fields a PUT changes.
type VolumeUpdate struct {
	Name, Description *string
	Metadata          map[string]string // nil leaves it
}

// UpdateVolume changes a volume's name, description or metadata.
func (s *Service) UpdateVolume(ctx context.Context, p *policy.Principal, id string, u VolumeUpdate) (*Volume, error) {
	if err := checkMetadata(u.Metadata); err != nil {
		return nil, err
	}
	var v *Volume
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if v, err = getVolume(ctx, tx, scope(p), id); err != nil {
			return err
		}
		if v.Status == StatusMaintenance {
			return invalidVolume("The volume cannot be updated during maintenance.")
		}
		if u.Name != nil {
			v.Name = u.Name
		}
		if u.Description != nil {
			v.Description = u.Description
		}
		if u.Metadata != nil {
			v.Metadata = u.Metadata
		}
		v.UpdatedAt = time.Now().UTC()
		return updateVolume(ctx, tx, v)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, volumeNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	return v, s.loadTypes(ctx, []*Volume{v})
}

// deletableStatuses are those a volume may be deleted from without force.
var deletableStatuses = []string{StatusAvailable, StatusError, StatusErrorRestoring, StatusErrorExtending, "error_managing"}

// DeleteVolume deletes a volume and its bytes. force (admin) ignores the
// status; cascade deletes its snapshots too. The volume must not be
// attached.
func (s *Service) DeleteVolume(ctx context.Context, p *policy.Principal, id string, force, cascade bool) error {
	var v *Volume
	var snaps []*Snapshot
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if v, err = getVolume(ctx, tx, scope(p), id); err != nil {
			return err
		}
		if snaps, err = snapshotsOfVolume(ctx, tx, id); err != nil {
			return err
		}
		ok := force || contains(deletableStatuses, v.Status)
		ok = ok && !v.attached() && v.MigrationStatus == ""
		for _, sn := range snaps {
			ok = ok && cascade && (force || sn.Status == SnapAvailable || sn.Status == SnapError)
		}
		if !ok {
			status := ""
			if !force {
				status = "status must be " + orStr(deletableStatuses...) + " and "
			}
			return invalidVolume("Volume %smust not be migrating, attached, belong to a group, have snapshots, "+
				"awaiting a transfer, or be disassociated from snapshots after volume transfer.", status)
		}
		for _, sn := range snaps {
			if err := setSnapshotStatus(ctx, tx, sn.ID, nil, SnapDeleting); err != nil {
				return err
			}
		}
		return setVolumeStatus(ctx, tx, id, []string{v.Status}, StatusDeleting)
	})
	if errors.Is(err, store.ErrNotFound) {
		return volumeNotFound(id)
	}
	if err != nil {
		return err
	}
	return s.finishDelete(ctx, v, snaps)
}

// finishDelete removes the bytes, then the rows, of a volume (and its
// snapshots) already marked deleting; at start-up recovery finishes what a
// crash interrupted.
func (s *Service) finishDelete(ctx context.Context, v *Volume, snaps []*Snapshot) error {
	ctx = context.WithoutCancel(ctx)
	for _, sn := range snaps {
		if err := s.finishSnapshotDelete(ctx, sn); err != nil {
			return err
		}
	}
	if err := s.store.Delete(ctx, v.StoreKey); err != nil {
		s.db.Tx(ctx, func(tx *sql.Tx) error {
			return setVolumeStatus(ctx, tx, v.ID, []string{StatusDeleting}, StatusErrorDeleting)
		})
		return fmt.Errorf("deleting the bytes of volume %s: %w", v.ID, err)
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error { return deleteVolumeRow(ctx, tx, v.ID) })
}

// WaitVolume waits until a volume leaves creating (or another transient
// status) and returns it.
func (s *Service) WaitVolume(ctx context.Context, p *policy.Principal, id string) (*Volume, error) {
	for {
		v, err := s.Volume(ctx, p, id)
		if err != nil {
			return nil, err
		}
		switch v.Status {
		case StatusCreating, StatusExtending, StatusReverting, StatusUploading, StatusDeleting:
		default:
			return v, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
