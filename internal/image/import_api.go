package image

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// The Go API of imports: jobs that fill an image from elsewhere (K5
// vmimport, SCP import, Glance's own import, Nova createImage) run these in
// their own transactions, beside job.Submit and job.Run.Finish, so that an
// image and its job change together.
//
//	CreateImportingTx  a new image, status importing (K5 import: the image id is reserved at once)
//	StartImportTx      an existing image p may change: queued (or uploading) → importing
//	PublishDataTx      importing/queued → active with verified, committed bytes
//	AbandonImportTx    importing → queued with os_glance_failed_import, or the image deleted
//
// An image in importing has no data; it becomes active only in
// PublishDataTx, which checks it is still there and not active.

// Import statuses, besides queued and active.
const (
	// PropFailedImport names the stores an import failed for (Glance's
	// os_glance_failed_import, "" for stratus's one store is shown as the
	// reason instead).
	PropFailedImport = "os_glance_failed_import"
	// PropImportTask is the job id of the image's current import.
	PropImportTask = "os_glance_import_task"
	// PropFailedReason is why the last import failed (stratus; Glance keeps
	// it in the task's message).
	PropFailedReason = "stratus_import_failed_reason"
)

// CreateImportingTx creates an image owned by p's project in status
// importing, in tx. A duplicate id is a Conflict fault.
func (s *Service) CreateImportingTx(ctx context.Context, tx *sql.Tx, p *policy.Principal, f Fields) (*Image, error) {
	im, err := newImage(p, f)
	if err != nil {
		return nil, err
	}
	im.Status = StatusImporting
	if _, err := getImage(ctx, tx, im.ID); err == nil {
		return nil, fault.Conflictf("Image with identifier %s already exists!", im.ID)
	}
	if err := insertImage(ctx, tx, im); err != nil {
		if errors.Is(store.Map(err), store.ErrConflict) {
			return nil, fault.Conflictf("Image with identifier %s already exists!", im.ID)
		}
		return nil, err
	}
	return im, nil
}

// StartImportTx moves an image p may change from one of from (default
// queued) to importing and records task as its import job. NotFound,
// Forbidden and Conflict faults say why not.
func (s *Service) StartImportTx(ctx context.Context, tx *sql.Tx, p *policy.Principal, id, task string, from ...Status) (*Image, error) {
	im, err := s.visible(ctx, tx, p, id)
	if err != nil {
		return nil, err
	}
	if !canModify(p, im) {
		return nil, notAuthorized("import_image")
	}
	if len(from) == 0 {
		from = []Status{StatusQueued}
	}
	ok := false
	for _, st := range from {
		ok = ok || im.Status == st
	}
	if !ok {
		return nil, fault.Conflictf("Image status transition from %s to %s is not allowed", im.Status, StatusImporting)
	}
	im.Status = StatusImporting
	delete(im.Properties, PropFailedImport)
	delete(im.Properties, PropFailedReason)
	if task != "" {
		im.Properties[PropImportTask] = task
	}
	im.UpdatedAt = time.Now().UTC()
	return im, updateImage(ctx, tx, im, false)
}

// PublishDataTx attaches committed, verified bytes stored under key to
// image id and makes it active, in tx: the publishing rule's last step. It
// fails with a NotFound fault when the image was deleted meanwhile (the
// caller deletes the blob) and a Conflict fault when it is already active.
func (s *Service) PublishDataTx(ctx context.Context, tx *sql.Tx, id, key string, d Data) error {
	im, err := getImage(ctx, tx, id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(id)
	}
	if err != nil {
		return err
	}
	if im.Status == StatusActive || im.Status == StatusDeactivated || im.Status == StatusKilled {
		return fault.Conflictf("Image status transition from %s to %s is not allowed", im.Status, StatusActive)
	}
	size, algo, md5sum, sha := d.Size, "sha512", d.MD5, d.SHA512
	im.Size, im.Checksum, im.HashAlgo, im.HashValue = &size, &md5sum, &algo, &sha
	im.VirtualSize = d.VirtualSize
	im.BlobKey = key
	im.Status = StatusActive
	if d.DiskFormat != "" {
		im.DiskFormat = &d.DiskFormat
		if im.ContainerFormat == nil {
			bare := "bare"
			im.ContainerFormat = &bare
		}
	}
	im.UpdatedAt = time.Now().UTC()
	return updateImage(ctx, tx, im, false)
}

// AbandonImportTx ends a failed import of image id in tx: with del the
// image is deleted (K5: a failed import leaves no image), otherwise an
// importing image goes back to queued with os_glance_failed_import and
// the reason, as Glance does. A missing image is not an error.
func (s *Service) AbandonImportTx(ctx context.Context, tx *sql.Tx, id, reason string, del bool) error {
	im, err := getImage(ctx, tx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if im.Status != StatusImporting {
		return nil // published, or changed by someone else meanwhile
	}
	if del {
		return deleteImageRow(ctx, tx, id)
	}
	im.Status = StatusQueued
	im.Properties[PropFailedImport] = "local"
	if reason != "" {
		im.Properties[PropFailedReason] = clip(reason, 255)
	}
	im.UpdatedAt = time.Now().UTC()
	return updateImage(ctx, tx, im, false)
}

// OpenData opens the bytes of an active image p may see, for an export.
// A FailedPrecondition-like Conflict fault when it has none.
func (s *Service) OpenData(ctx context.Context, p *policy.Principal, id string) (*Image, blob.Reader, error) {
	im, err := s.visible(ctx, s.r, p, id)
	if err != nil {
		return nil, nil, err
	}
	if im.Status != StatusActive || !im.hasData() {
		return im, nil, fault.Conflictf("Image %s has no data to read (status %s).", id, im.Status)
	}
	r, err := s.blobs.Open(ctx, im.BlobKey)
	if errors.Is(err, blob.ErrNotFound) {
		return im, nil, fault.NotFoundf("Image data for %s could not be found", id)
	}
	return im, r, err
}

// Blobs is the store image bytes are written to, for jobs that write an
// image's bytes themselves (then PublishDataTx).
func (s *Service) Blobs() blob.Store { return s.blobs }

// NewDataKey is a fresh blob key for image id's bytes.
func NewDataKey(id string) string { return uploadKey(id) }
