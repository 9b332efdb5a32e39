package volume

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// UploadOpts describe os-volume_upload_image.
type UploadOpts struct {
	ImageName       string
	DiskFormat      string // raw (default), qcow2, vmdk
	ContainerFormat string // bare (default)
	Force           bool   // upload an in-use volume too
	Visibility      *string
	Protected       *bool
}

// Upload is what os-volume_upload_image answers.
type Upload struct {
	Volume *Volume
	Image  *image.Image
}

// uploadFormats are the disk formats the disk-image engine writes.
var uploadFormats = []string{"raw", "qcow2", "vmdk"}

type uploadInput struct {
	VolumeID   string `json:"volume_id"`
	ImageID    string `json:"image_id"`
	DiskFormat string `json:"disk_format"`
}

// imageDeleter is the image service's delete, used to take back an image
// created for an upload that could not start.
type imageDeleter interface {
	DeleteImage(ctx context.Context, p *policy.Principal, id string) error
}

// UploadToImage creates a queued image and submits the job that writes the
// volume's bytes into it (converted to o.DiskFormat); the volume is
// "uploading" until the image is active, then back to its status.
func (s *Service) UploadToImage(ctx context.Context, p *policy.Principal, id string, o UploadOpts) (*Upload, error) {
	if o.DiskFormat == "" {
		o.DiskFormat = "raw"
	}
	if o.ContainerFormat == "" {
		o.ContainerFormat = "bare"
	}
	if !contains(uploadFormats, o.DiskFormat) {
		return nil, fault.Invalidf("Invalid input received: disk_format %s is not supported for upload to image; use one of %s.",
			o.DiskFormat, joinComma(uploadFormats))
	}
	v, err := s.Volume(ctx, p, id)
	if err != nil {
		return nil, err
	}
	valid := []string{StatusAvailable}
	if o.Force {
		valid = append(valid, StatusInUse)
	}
	if !contains(valid, v.Status) {
		return nil, invalidVolume("Volume %s status must be %s", v.ID, orStr(valid...))
	}
	minDisk := v.Size
	f := image.Fields{Name: &o.ImageName, DiskFormat: &o.DiskFormat, ContainerFormat: &o.ContainerFormat,
		Visibility: o.Visibility, Protected: o.Protected, MinDisk: &minDisk, Properties: map[string]string{}}
	for k, val := range v.ImageMetadata {
		switch k {
		case "image_id", "image_name", "checksum", "container_format", "disk_format", "min_disk", "size":
		case "min_ram":
			if n, ok := atoi64(val); ok {
				f.MinRAM = &n
			}
		default:
			f.Properties[k] = val
		}
	}
	im, err := s.images.CreateImage(ctx, p, f)
	if err != nil {
		return nil, err
	}
	err = s.submitTx(ctx, func(tx *sql.Tx) error {
		v, err = getVolume(ctx, tx, scope(p), id)
		if err != nil {
			return err
		}
		if !contains(valid, v.Status) {
			return invalidVolume("Volume %s status must be %s", v.ID, orStr(valid...))
		}
		v.PreviousStatus, v.Status, v.UpdatedAt = v.Status, StatusUploading, time.Now().UTC()
		if err := updateVolume(ctx, tx, v); err != nil {
			return err
		}
		_, err = s.jobs.Submit(ctx, tx, job.Spec{Kind: kindUpload, Project: v.ProjectID, User: p.UserID,
			ResourceType: "volume", ResourceID: v.ID, Input: uploadInput{VolumeID: v.ID, ImageID: im.ID, DiskFormat: o.DiskFormat}})
		return err
	})
	if err != nil {
		if d, ok := s.images.(imageDeleter); ok {
			d.DeleteImage(context.WithoutCancel(ctx), p, im.ID)
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, volumeNotFound(id)
		}
		return nil, err
	}
	return &Upload{Volume: v, Image: im}, s.loadTypes(ctx, []*Volume{v})
}

func atoi64(s string) (int64, bool) {
	var n int64
	if s == "" {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// runUpload writes the volume into the image's blob through the
// disk-image engine (holes stay holes in raw output; md5 and sha512 of the
// output are computed as it is written), commits (fsyncs) it, and only
// then makes the image active.
func (s *Service) runUpload(ctx context.Context, r *job.Run) error {
	var in uploadInput
	if err := r.Input(&in); err != nil {
		return err
	}
	v, err := getVolume(ctx, s.r, "", in.VolumeID)
	if err != nil {
		return err
	}
	err = s.writeImage(ctx, r, v, in)
	if err != nil && !errors.Is(err, context.Canceled) {
		// Glance's view of a failed upload; the volume's status comes back in OnFail.
		s.images.SetStatus(context.WithoutCancel(ctx), in.ImageID, image.StatusQueued, image.StatusKilled)
		return err
	}
	if err != nil {
		return err
	}
	return r.Finish(ctx, nil, func(tx *sql.Tx) error { return restorePrevious(ctx, tx, v.ID) })
}

func (s *Service) writeImage(ctx context.Context, r *job.Run, v *Volume, in uploadInput) error {
	src, err := s.store.Open(ctx, v.StoreKey)
	if err != nil {
		return err
	}
	defer src.Close()
	var rnd [6]byte
	rand.Read(rnd[:])
	key := image.DataKey(in.ImageID) + "." + hex.EncodeToString(rnd[:])
	// Raw and qcow2 output is written at offsets: a staged writer (on S3,
	// a local file uploaded at Commit); vmdk output is a stream.
	var w blob.Writer
	if in.DiskFormat == "vmdk" {
		w, err = s.blobs.Create(ctx, key)
	} else {
		w, err = s.blobs.Stage(ctx, key)
	}
	if err != nil {
		return err
	}
	opts := convert.Options{SrcFormat: "raw", DstFormat: in.DiskFormat, OutHashes: []string{"md5", "sha512"},
		Progress: r.Progress, SkipInspect: true, // a volume is a raw disk, whatever its content looks like
		Sync: true} // fdatasync as it goes (the staged file's descriptor permitting): Commit's fsync finds little left
	// The file itself, when there is one, so that the engine skips holes.
	var ra io.ReaderAt = src
	if f := src.File(); f != nil {
		ra = f
	}
	res, err := convert.Convert(ctx, convert.Source{ReaderAt: ra, Size: src.Size()}, w, opts)
	if err != nil {
		w.Abort()
		return err
	}
	if err := w.Commit(); err != nil {
		return err
	}
	vsize := src.Size()
	err = s.images.PublishData(ctx, in.ImageID, key, image.Data{Size: res.OutBytes, MD5: res.OutSums["md5"],
		SHA512: res.OutSums["sha512"], VirtualSize: &vsize})
	if fe := fault.As(err); fe != nil && fe.Kind == fault.Conflict {
		// Already active: an earlier attempt published it and stopped
		// before finishing the job. These bytes are not needed.
		s.blobs.Delete(context.WithoutCancel(ctx), key)
		return nil
	}
	return err
}

func restorePrevious(ctx context.Context, tx *sql.Tx, id string) error {
	v, err := getVolume(ctx, tx, "", id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || v.Status != StatusUploading {
		return err
	}
	v.Status = v.PreviousStatus
	if v.Status == "" {
		v.Status = StatusAvailable
	}
	v.PreviousStatus, v.UpdatedAt = "", time.Now().UTC()
	return updateVolume(ctx, tx, v)
}

func (s *Service) uploadFailed(ctx context.Context, tx *sql.Tx, j *job.Job) error {
	return restorePrevious(ctx, tx, j.ResourceID)
}
