package imports

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// exportDeadline is K5's limit: an export still running 7 days after it
// started fails with "Export process takes too long time."
const exportDeadline = 7 * 24 * time.Hour

// exportRequest is a validated image-export request. The image is written
// as a streamOptimized VMDK named {image_id}.vmdk in the container.
type exportRequest struct {
	ImageID          string    `json:"image_id"`
	StorageContainer string    `json:"storage_container"`
	Target           objectRef `json:"target"`
	ImageName        string    `json:"image_name"`
}

// parseExportRequest validates an export body (40001–40004, 40007, 40008).
func parseExportRequest(raw []byte) (*exportRequest, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, errNoBody
	}
	b, ok := decodeBody(raw)
	if !ok {
		return nil, errExportNotJSON
	}
	req := &exportRequest{}
	if !b.has("image_id") {
		return nil, errNoImageID
	}
	if req.ImageID, ok = b.str("image_id"); !ok || !uuidRe.MatchString(req.ImageID) {
		return nil, errBadImageID
	}
	req.ImageID = strings.ToLower(req.ImageID)
	if !b.has("storage_container") {
		return nil, errNoContainer
	}
	if req.StorageContainer, ok = b.str("storage_container"); !ok {
		return nil, errBadContainer
	}
	if req.Target, ok = parseLocation(req.StorageContainer, true); !ok {
		return nil, errBadContainer
	}
	req.Target.Object = req.ImageID + ".vmdk"
	return req, nil
}

// StartExport checks the image and the destination and submits the
// export job; it returns the export id.
func (s *Service) StartExport(ctx context.Context, p *policy.Principal, req *exportRequest) (string, error) {
	if p == nil || p.ProjectID == "" {
		return "", errNoProjectExport
	}
	if !canRun(p) {
		return "", errForbidden
	}
	im, err := s.images.Image(ctx, p, req.ImageID)
	switch {
	case fault.KindOf(err) == fault.NotFound:
		return "", errGlanceAccess
	case err != nil:
		return "", internalErr("50002", err)
	case im.Status != image.StatusActive && (im.Size == nil || im.Status == image.StatusQueued):
		return "", errNoImageData
	case im.Size != nil && *im.Size > s.exportCap, im.VirtualSize != nil && *im.VirtualSize > s.exportCap:
		return "", errExportTooLarge
	}
	if im.Name != nil {
		req.ImageName = *im.Name
	}
	// The container must exist and be writable by the caller (40004);
	// the file must not exist yet (40016).
	t := req.Target
	ci, err := s.objects.HeadContainer(ctx, p, t.Account, t.Container)
	switch fault.KindOf(err) {
	case fault.NotFound, fault.Forbidden, fault.Unauthorized:
		return "", errBadContainer
	}
	if err != nil {
		return "", internalErr("50002", err)
	}
	if !ci.Writable {
		return "", errBadContainer
	}
	_, err = s.objects.HeadObject(ctx, p, t.Account, t.Container, t.Object)
	switch fault.KindOf(err) {
	case fault.NotFound:
	case fault.Forbidden, fault.Unauthorized:
		return "", errBadContainer
	default:
		if err == nil {
			return "", errExportExists
		}
		return "", internalErr("50002", err)
	}
	var id string
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		n, err := s.jobs.CountActive(ctx, tx, p.ProjectID, KindK5Export)
		if err != nil {
			return internalErr("50001", err)
		}
		if n >= s.maxActive {
			return errTooMany
		}
		same, err := s.sameExport(ctx, p.ProjectID, req)
		if err != nil {
			return internalErr("50001", err)
		}
		if same {
			return errSameRequest
		}
		id, err = s.jobs.Submit(ctx, tx, job.Spec{Kind: KindK5Export, Project: p.ProjectID, User: p.UserID,
			ResourceType: "image", ResourceID: req.ImageID, Input: req})
		if err != nil {
			return internalErr("50003", err)
		}
		return nil
	})
	return id, err
}

// sameExport reports whether an export of the same image to the same
// container is queued or running (40015).
func (s *Service) sameExport(ctx context.Context, project string, req *exportRequest) (bool, error) {
	jobs, err := s.jobs.List(ctx, job.Filter{Project: project, Kinds: []string{KindK5Export}, ResourceID: req.ImageID,
		States: []job.State{job.Queued, job.Running, job.Cancelling}})
	if err != nil {
		return false, err
	}
	for _, j := range jobs {
		var other exportRequest
		if j.DecodeInput(&other) == nil && other.Target.Account == req.Target.Account && other.Target.Container == req.Target.Container {
			return true, nil
		}
	}
	return false, nil
}

// Export is a K5 export's status.
type Export struct {
	Job *job.Job
	Req exportRequest
}

// ExportStatus returns export id of p's project.
func (s *Service) ExportStatus(ctx context.Context, p *policy.Principal, id string) (*Export, error) {
	if !canRun(p) || p.ProjectID == "" {
		return nil, errForbidden
	}
	j, err := s.jobs.Get(ctx, p.ProjectID, id)
	if errors.Is(err, job.ErrNotFound) || (err == nil && j.Kind != KindK5Export) {
		return nil, errNoExport
	}
	if err != nil {
		return nil, internalErr("50001", err)
	}
	ex := &Export{Job: j}
	if err := j.DecodeInput(&ex.Req); err != nil {
		return nil, internalErr("50002", err)
	}
	return ex, nil
}

// ListExports returns p's project's exports, newest first, from index
// start, at most limit (capped at 200).
func (s *Service) ListExports(ctx context.Context, p *policy.Principal, start, limit int) ([]*Export, error) {
	if !canRun(p) || p.ProjectID == "" {
		return nil, errForbidden
	}
	if limit == 0 {
		return nil, nil
	}
	jobs, err := s.jobs.List(ctx, job.Filter{Project: p.ProjectID, Kinds: []string{KindK5Export}, Offset: start, Limit: min(limit, 200)})
	if err != nil {
		return nil, internalErr("50001", err)
	}
	out := make([]*Export, 0, len(jobs))
	for _, j := range jobs {
		ex := &Export{Job: j}
		j.DecodeInput(&ex.Req)
		out = append(out, ex)
	}
	return out, nil
}

// CancelExport cancels export id: 40401 unknown, 40402 finished, 40010
// already cancelling.
func (s *Service) CancelExport(ctx context.Context, p *policy.Principal, id string) error {
	if _, err := s.ExportStatus(ctx, p, id); err != nil {
		return err
	}
	err := s.jobs.Cancel(ctx, p.ProjectID, id)
	switch {
	case errors.Is(err, job.ErrNotFound):
		return errNoExport
	case errors.Is(err, job.ErrFinished):
		return errExportFinished
	case errors.Is(err, job.ErrAlreadyCancelling):
		return errAlreadyCancelling
	case err != nil:
		return internalErr("50001", err)
	}
	return nil
}

// errUploadEnded stops the converter when the upload has ended first.
var errUploadEnded = errors.New("imports: the upload ended")

// runK5Export is the image.export job: the image's bytes are converted to
// a streamOptimized VMDK and streamed into the container, in segments
// joined by an SLO manifest written last (k5export_slo.go), or as one
// object when no segment container can be used. The file becomes visible
// only when complete and checked: a cancelled or failed export leaves no
// object and removes its segments; a resumed one removes those its
// interrupted attempt recorded.
func (s *Service) runK5Export(ctx context.Context, r *job.Run) error {
	var in exportRequest
	if err := r.Input(&in); err != nil {
		return err
	}
	p, err := s.ident.PrincipalFor(ctx, r.Job().User, r.Job().Project)
	if err != nil {
		return fault.Forbiddenf("VMexport process is failed (the exporting user can no longer act on the project)").WithCause(err)
	}
	t := in.Target
	if err := s.dropInterrupted(ctx, r, p, t); err != nil {
		return fault.Internalf(msgExportUpload).WithCause(err)
	}
	im, rd, err := s.images.OpenData(ctx, p, in.ImageID)
	switch fault.KindOf(err) {
	case fault.NotFound:
		return fault.Invalidf(msgExportNotFound).WithCause(err)
	case fault.Conflict:
		return fault.Invalidf(msgExportNotValid).WithCause(err)
	}
	if err != nil {
		return fault.Internalf(msgExportDownload).WithCause(err)
	}
	defer rd.Close()
	format := ""
	if im.DiskFormat != nil {
		format = *im.DiskFormat
	}
	pr, pw := io.Pipe()
	convErr := make(chan error, 1)
	go func() {
		res, err := convert.Convert(ctx, convert.Source{ReaderAt: rd, Size: rd.Size()}, pw, convert.Options{
			SrcFormat: format, DstFormat: "vmdk", SrcHashes: []string{"md5"}, Progress: r.Progress})
		if err == nil && im.Checksum != nil && res.SrcSums["md5"] != *im.Checksum {
			err = errors.New("image bytes do not match their recorded checksum")
		}
		pw.CloseWithError(err) // the file is committed only on a clean EOF
		convErr <- err
	}()
	var cp exportCheckpoint
	var putErr error
	if segC, ok := s.segmentContainer(ctx, p, t); ok {
		putErr = s.uploadSegmented(ctx, r, p, t, segC, pr, &cp)
	} else {
		_, putErr = s.objects.PutObject(ctx, p, t.Account, t.Container, t.Object, pr, -1)
	}
	pr.CloseWithError(errUploadEnded)
	cerr := <-convErr
	if putErr == nil && cerr == nil {
		return r.SetResult(map[string]string{"object": t.Path()}) // success wins over a late cancel
	}
	if !cp.empty() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dropTimeout)
		if err := s.dropExport(dctx, p, t, cp); err != nil {
			s.log.Warn("removing the segments of a failed export failed", "job_id", r.ID(), "err", err)
		} else {
			r.Checkpoint(exportCheckpoint{}) // nothing left to remove (a cancelling job may checkpoint)
		}
		cancel()
	}
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case cerr != nil && !errors.Is(cerr, errUploadEnded):
		if imageFault(cerr) != cerr {
			return fault.Invalidf(msgExportNotValid).WithCause(cerr)
		}
		return fault.Internalf(msgExportDownload).WithCause(cerr)
	}
	return fault.Internalf(msgExportUpload).WithCause(putErr)
}
