package imports

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha512"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/hashcopy"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// scpInput is an SCP import job's input.
type scpInput struct {
	ImageID string    `json:"image_id"`
	URL     string    `json:"url"`
	Source  objectRef `json:"source"`
}

// Endpoint tells the SCP import which urls name this cloud's object
// storage: the hosts (host:port) it is reached at and the path of its
// public URL ("" at the root).
type Endpoint struct {
	Hosts    []string
	BasePath string
}

// SCPImport starts filling image id from the .qcow2 object at url (seed
// 001): 404 when p cannot see the image, 409 when it does not accept data
// (not queued), 400 for a url that is malformed, not .qcow2, or not this
// cloud's object storage. The image becomes active when the job succeeds;
// a failure puts it back in queued with the reason.
func (s *Service) SCPImport(ctx context.Context, p *policy.Principal, id, rawURL string, ep Endpoint) error {
	if p == nil || p.ProjectID == "" || !p.CanWrite() {
		return fault.Forbiddenf("You are not allowed to import images.")
	}
	src, ok := parseSCPURL(rawURL, ep.Hosts, ep.BasePath)
	if !ok {
		return fault.Invalidf("The url must be the URL of an object of this cloud's object storage.")
	}
	if !strings.HasSuffix(strings.ToLower(src.Object), ".qcow2") {
		return fault.Invalidf("The image file must have a .qcow2 extension.")
	}
	jobID := newJobID()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.images.StartImportTx(ctx, tx, p, id, jobID); err != nil {
			return err
		}
		_, err := s.jobs.Submit(ctx, tx, job.Spec{ID: jobID, Kind: KindSCPImport, Project: p.ProjectID, User: p.UserID,
			ResourceType: "image", ResourceID: id, Input: scpInput{ImageID: id, URL: rawURL, Source: src}})
		return err
	})
}

// runSCPImport is the image.scpImport job: the object is inspected as
// qcow2 (refused unless safe) and stored as it is, with its md5 and
// sha512, then the image becomes active.
func (s *Service) runSCPImport(ctx context.Context, r *job.Run) error {
	var in scpInput
	if err := r.Input(&in); err != nil {
		return err
	}
	p, err := s.ident.PrincipalFor(ctx, r.Job().User, r.Job().Project)
	if err != nil {
		return fault.Forbiddenf("The importing user can no longer act on the project.").WithCause(err)
	}
	obj, err := s.objects.OpenObject(ctx, p, in.Source.Account, in.Source.Container, in.Source.Object)
	if err != nil {
		return objectFault(in.Source.Path(), err)
	}
	defer obj.Close()
	size := obj.Size()
	if size > s.sizeCap {
		return fault.Invalidf("The image file is larger than the limit of %d bytes.", s.sizeCap)
	}
	info, err := diskimage.Inspect(obj, size, diskimage.Format("qcow2"))
	if err == nil && !info.Safe {
		err = &diskimage.Error{Kind: diskimage.KindUnsafe, Format: "qcow2", Reason: "image failed safety checks"}
	}
	if err != nil {
		return imageFault(err)
	}
	w, key, err := s.newBlob(ctx, r, in.ImageID, size)
	if err != nil {
		return err
	}
	defer w.Abort()
	md5h, shah := md5.New(), sha512.New()
	src := &progressReader{r: io.NewSectionReader(obj, 0, size), total: size, run: r}
	res, err := hashcopy.Copy(ctx, w, src, size, md5h, shah)
	if err != nil {
		return err
	}
	if res.N != size {
		return fmt.Errorf("read %d of %d bytes of the object", res.N, size)
	}
	if err := w.Commit(); err != nil {
		return err
	}
	vs := info.VirtualSize
	d := image.Data{Size: size, MD5: hex.EncodeToString(md5h.Sum(nil)), SHA512: hex.EncodeToString(shah.Sum(nil)),
		VirtualSize: &vs, DiskFormat: "qcow2"}
	err = r.Finish(ctx, nil, func(tx *sql.Tx) error { return s.images.PublishDataTx(ctx, tx, in.ImageID, key, d) })
	if err != nil {
		s.images.Blobs().Delete(context.WithoutCancel(ctx), key)
	}
	return err
}

// scpImportFailed puts the image back in queued with the reason, as a
// failed Glance import does.
func (s *Service) scpImportFailed(ctx context.Context, tx *sql.Tx, j *job.Job) error {
	return s.images.AbandonImportTx(ctx, tx, j.ResourceID, j.Message, false)
}

// progressReader reports the bytes read to a job.
type progressReader struct {
	r     io.Reader
	n     int64
	total int64
	run   *job.Run
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	p.run.Progress(p.n, p.total)
	return n, err
}

func newJobID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
