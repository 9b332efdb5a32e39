package imports

import (
	"context"
	"crypto/sha1"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// canRun is K5's role rule for every import/export API: Administrator or
// System Owner (admin or member); reader and others get 403/40301.
func canRun(p *policy.Principal) bool {
	return p != nil && (p.HasRole(policy.RoleAdmin) || p.HasRole(policy.RoleMember) || p.IsAdmin())
}

// RegisterImport starts a K5 import: the image is created in status
// importing (reserving its id) and the job submitted in one transaction.
// It returns the import id.
func (s *Service) RegisterImport(ctx context.Context, p *policy.Principal, req *importRequest) (string, error) {
	if p == nil || p.ProjectID == "" {
		return "", errNoProjectImport
	}
	if !canRun(p) {
		return "", errForbidden
	}
	if req.Legacy {
		if err := s.checkCredentials(ctx, p, req); err != nil {
			return "", err
		}
	}
	// The size is checked now when the object can be seen; a missing or
	// unreadable object fails the job with a message instead.
	if info, err := s.objects.HeadObject(ctx, p, req.Source.Account, req.Source.Container, req.Source.Object); err == nil && info.Size > s.sizeCap {
		return "", errImportTooLarge
	}
	props := map[string]string{"os_type": req.OSType}
	for k, v := range req.Properties {
		props[k] = v
	}
	name, disk, cont := req.Name, req.DiskFormat, req.ContainerFormat
	minRAM, minDisk := req.MinRAM, req.MinDisk
	var id string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		n, err := s.jobs.CountActive(ctx, tx, p.ProjectID, KindK5Import)
		if err != nil {
			return internalErr("50001", err)
		}
		if n >= s.maxActive {
			return errTooMany
		}
		im, err := s.images.CreateImportingTx(ctx, tx, p, image.Fields{ID: req.ImageID, Name: &name, DiskFormat: &disk,
			ContainerFormat: &cont, MinRAM: &minRAM, MinDisk: &minDisk, Properties: props})
		switch fault.KindOf(err) {
		case fault.Conflict:
			return errBadID
		case fault.Invalid:
			return errBadProperty("property-*").WithCause(err)
		case fault.Forbidden:
			return errForbidden.WithCause(err)
		}
		if err != nil {
			return internalErr("50001", err)
		}
		req.ImageID = im.ID
		id, err = s.jobs.Submit(ctx, tx, job.Spec{Kind: KindK5Import, Project: p.ProjectID, User: p.UserID,
			ResourceType: "image", ResourceID: im.ID, Input: req})
		if err != nil {
			return internalErr("50003", err)
		}
		return nil
	})
	return id, err
}

// checkCredentials checks the older parameter set's user_name, Base64
// password and domain_name: they must be the caller's own (40010).
func (s *Service) checkCredentials(ctx context.Context, p *policy.Principal, req *importRequest) error {
	pw, err := base64.StdEncoding.DecodeString(req.password)
	if err != nil || len(pw) == 0 {
		return errBadCredentials
	}
	uid, err := s.ident.VerifyPassword(ctx, req.UserName, req.DomainName, string(pw))
	switch {
	case err == nil && uid == p.UserID:
		return nil
	case err == nil, fault.KindOf(err) == fault.Unauthorized, fault.KindOf(err) == fault.NotFound:
		return errBadCredentials
	}
	return internalErr("50002", err)
}

// Import is a K5 import's status.
type Import struct {
	Job *job.Job
	Req importRequest
}

// ImportStatus returns import id of p's project.
func (s *Service) ImportStatus(ctx context.Context, p *policy.Principal, id string) (*Import, error) {
	if !canRun(p) || p.ProjectID == "" {
		return nil, errForbidden
	}
	j, err := s.jobs.Get(ctx, p.ProjectID, id)
	if errors.Is(err, job.ErrNotFound) || (err == nil && j.Kind != KindK5Import) {
		return nil, errNoImport
	}
	if err != nil {
		return nil, internalErr("50001", err)
	}
	im := &Import{Job: j}
	if err := j.DecodeInput(&im.Req); err != nil {
		return nil, internalErr("50002", err)
	}
	return im, nil
}

// ListImports returns p's project's imports, newest first, from index
// start, at most limit (capped at 100).
func (s *Service) ListImports(ctx context.Context, p *policy.Principal, start, limit int) ([]*job.Job, error) {
	if !canRun(p) || p.ProjectID == "" {
		return nil, errForbidden
	}
	if limit == 0 {
		return nil, nil
	}
	if limit < 0 || limit > 100 {
		limit = 100
	}
	jobs, err := s.jobs.List(ctx, job.Filter{Project: p.ProjectID, Kinds: []string{KindK5Import}, Offset: start, Limit: limit})
	if err != nil {
		return nil, internalErr("50001", err)
	}
	return jobs, nil
}

// runK5Import is the image.import job: object → SHA1 → inspect → raw →
// blob → fsync → image active.
func (s *Service) runK5Import(ctx context.Context, r *job.Run) error {
	var in importRequest
	if err := r.Input(&in); err != nil {
		return err
	}
	p, err := s.ident.PrincipalFor(ctx, r.Job().User, r.Job().Project)
	if err != nil {
		return fault.Forbiddenf("The importing user can no longer act on the project.").WithCause(err)
	}
	obj, err := s.objects.OpenObject(ctx, p, in.Source.Account, in.Source.Container, in.Source.Object)
	if err != nil {
		return objectFault(in.Location, err)
	}
	defer obj.Close()
	if obj.Size() > s.sizeCap {
		return errImportTooLarge
	}
	c, err := s.convertObject(ctx, r, in.ImageID, obj, "vmdk", []string{"sha1"})
	if err != nil {
		return err
	}
	defer c.w.Abort()
	if in.Checksum != "" {
		want, _ := hex.DecodeString(in.Checksum)
		got, _ := hex.DecodeString(c.res.SrcSums["sha1"])
		if len(got) != sha1.Size || subtle.ConstantTimeCompare(got, want) != 1 {
			return fault.Invalidf("The SHA1 checksum of the image file (%s) does not match the specified checksum (%s).",
				c.res.SrcSums["sha1"], in.Checksum)
		}
	}
	if err := c.w.Commit(); err != nil {
		return err
	}
	err = r.Finish(ctx, map[string]any{"sha1": c.res.SrcSums["sha1"], "virtual_size": c.res.VirtualSize}, func(tx *sql.Tx) error {
		return s.images.PublishDataTx(ctx, tx, in.ImageID, c.key, c.data("raw"))
	})
	if err != nil {
		s.images.Blobs().Delete(context.WithoutCancel(ctx), c.key)
		if fault.KindOf(err) == fault.NotFound {
			return fault.Invalidf("The image %s was deleted during the import.", in.ImageID)
		}
	}
	return err
}

// k5ImportFailed deletes the importing image: a failed K5 import leaves
// no image behind.
func (s *Service) k5ImportFailed(ctx context.Context, tx *sql.Tx, j *job.Job) error {
	return s.images.AbandonImportTx(ctx, tx, j.ResourceID, j.Message, true)
}
