// Package image is the image service: Glance v2 (images, data, members,
// tags, schemas) and the Nova image proxy (/images on the compute
// endpoint).
//
// # Go API for other services
//
// Nova createImage, Cinder upload-to-image and the K5 imports make images
// without going through HTTP. They use three methods:
//
//	im, err := imgs.CreateImage(ctx, p, image.Fields{Name: &name, DiskFormat: &f, ...})
//	// status queued; the caller may mark it busy:
//	err = imgs.SetStatus(ctx, im.ID, image.StatusQueued, image.StatusImporting)
//	// write the bytes to the blob store under image.DataKey(im.ID) (or any
//	// key), Commit (which fsyncs), compute the sums, then:
//	err = imgs.PublishData(ctx, im.ID, key, image.Data{Size: n, MD5: .., SHA512: .., VirtualSize: ..})
//
// PublishData is the one place an image becomes active with data: in one
// transaction it checks the image is still there and not active, records
// size, checksum (md5), os_hash_algo/os_hash_value (sha512) and
// virtual_size, and sets status active. If the image was deleted meanwhile
// it deletes the blob and returns a NotFound fault. A failed job calls
// SetStatus(..., image.StatusKilled) (or back to queued).
package image

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Options configure the service.
type Options struct {
	DB    *store.DB
	Blobs blob.Store
	Log   *slog.Logger
	// SizeCap is the largest image upload in bytes (server Config.ImageSizeCap); 0 means 1 TiB.
	SizeCap int64
	// Node names this node, stable across its restarts, so that at start it
	// requeues the uploads it was receiving when it stopped and no other
	// node's; "" is one node alone.
	Node string
	// Jobs runs Glance imports (image.glanceImport); nil disables import.
	Jobs *job.Engine
	// ImportConvert, when "raw", converts imported qcow2, vmdk, vhd and
	// vhdx data to raw (Glance's image_conversion plugin).
	ImportConvert string
	// WebDownload filters the URLs web-download fetches.
	WebDownload WebDownload
}

// Service is the image service.
type Service struct {
	db       *store.DB
	r        store.Querier // reads outside transactions (statements prepared once: store.DB.R)
	rendered renderCache
	blobs    blob.Store
	log      *slog.Logger
	sizeCap  int64
	node     string
	lease    time.Duration // uploadLease; shorter in tests

	jobs          *job.Engine
	importConvert string
	web           WebDownload
}

// New returns the service. Images this node left in "saving" by a crash,
// and any whose upload lease has expired, go back to "queued": their bytes
// were never committed (the blob store sweeps temp files at open) and no
// blob is served for them.
func New(ctx context.Context, opts Options) (*Service, error) {
	s := &Service{db: opts.DB, r: opts.DB.R(), blobs: opts.Blobs, log: opts.Log, sizeCap: opts.SizeCap, node: opts.Node, lease: uploadLease,
		jobs: opts.Jobs, importConvert: opts.ImportConvert, web: opts.WebDownload}
	if s.jobs != nil {
		s.jobs.Register(job.Kind{Name: KindGlanceImport, Handler: s.runGlanceImport, Resumable: true, OnFail: s.glanceImportFailed,
			InterruptedMessage: "Import was interrupted."})
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.sizeCap <= 0 {
		s.sizeCap = 1 << 40
	}
	var n int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if n, err = resetSaving(ctx, tx, s.node, store.Now()); err != nil {
			return err
		}
		m, err := resetStaging(ctx, tx, s.node, store.Now())
		n += m
		return err
	})
	if err != nil {
		return nil, err
	}
	if n > 0 {
		s.log.Warn("images whose upload was interrupted are queued again", "count", n)
	}
	if err := seedMetadefs(ctx, s.db); err != nil {
		return nil, err
	}
	return s, nil
}

// DataKey is the blob key of an image's bytes.
func DataKey(imageID string) string { return blobKey(imageID) }

// Fields are what a caller may set when creating an image. Nil pointers
// take Glance's defaults.
type Fields struct {
	ID              string // optional; a UUID
	Name            *string
	DiskFormat      *string
	ContainerFormat *string
	Visibility      *string // default "shared", as Glance since Ocata
	Protected       *bool
	Hidden          *bool
	MinRAM          *int64
	MinDisk         *int64
	Owner           *string // admin only
	Tags            []string
	Properties      map[string]string
}

// Data describes verified bytes committed to the blob store.
type Data struct {
	Size        int64
	MD5         string // hex
	SHA512      string // hex
	VirtualSize *int64
	DiskFormat  string // when set, replaces the image's disk_format (a converting import)
}

// CreateImage creates a queued image owned by p's project.
func (s *Service) CreateImage(ctx context.Context, p *policy.Principal, f Fields) (*Image, error) {
	im, err := newImage(p, f)
	if err != nil {
		return nil, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error { return insertImage(ctx, tx, im) })
	if errors.Is(err, store.ErrConflict) {
		return nil, fault.Conflictf("Image with identifier %s already exists!", im.ID)
	}
	if err != nil {
		return nil, err
	}
	return im, nil
}

// newImage builds and validates a queued image of p's project from f.
func newImage(p *policy.Principal, f Fields) (*Image, error) {
	if p == nil || (!p.CanWrite() && !p.IsAdmin()) {
		return nil, notAuthorized("add_image")
	}
	now := time.Now().UTC()
	im := &Image{ID: f.ID, Name: f.Name, Status: StatusQueued, Visibility: VisibilityShared, Owner: p.ProjectID,
		DiskFormat: f.DiskFormat, ContainerFormat: f.ContainerFormat, Tags: dedupe(f.Tags), Properties: f.Properties,
		CreatedAt: now, UpdatedAt: now}
	if im.ID == "" {
		im.ID = newID()
	} else if !validID(im.ID) {
		return nil, schemaErr("image", "'"+f.ID+"' is not a 'uuid'")
	} else {
		im.ID = canonicalID(im.ID)
	}
	if f.Visibility != nil {
		im.Visibility = *f.Visibility
	}
	if f.Protected != nil {
		im.Protected = *f.Protected
	}
	if f.Hidden != nil {
		im.Hidden = *f.Hidden
	}
	if f.MinRAM != nil {
		im.MinRAM = *f.MinRAM
	}
	if f.MinDisk != nil {
		im.MinDisk = *f.MinDisk
	}
	if f.Owner != nil {
		if !p.IsAdmin() && *f.Owner != p.ProjectID {
			return nil, reservedErr("owner")
		}
		im.Owner = *f.Owner
	}
	if im.Properties == nil {
		im.Properties = map[string]string{}
	}
	if im.Visibility == VisibilityPublic && !p.IsAdmin() {
		return nil, notAuthorized("publicize_image")
	}
	if err := im.validate(); err != nil {
		return nil, err
	}
	return im, nil
}

// SetStatus moves an image between statuses (queued → importing,
// importing → killed, ...). It fails with a Conflict fault when the image
// is not in from.
func (s *Service) SetStatus(ctx context.Context, id string, from, to Status) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error { return setStatus(ctx, tx, id, from, to) })
	if errors.Is(err, store.ErrConflict) {
		return fault.Conflictf("Image status transition from %s to %s is not allowed", from, to)
	}
	return err
}

// PublishData attaches committed, verified bytes stored under key to the
// image and makes it active, in one transaction. See the package comment.
func (s *Service) PublishData(ctx context.Context, id, key string, d Data) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error { return s.PublishDataTx(ctx, tx, id, key, d) })
	if fault.KindOf(err) == fault.NotFound {
		s.blobs.Delete(context.WithoutCancel(ctx), key)
	}
	return err
}

// Image returns an image as p sees it (404 when p may not see it).
func (s *Service) Image(ctx context.Context, p *policy.Principal, id string) (*Image, error) {
	return s.visible(ctx, s.r, p, id)
}

func dedupe(tags []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, t := range tags {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func notFound(id string) error { return fault.NotFoundf("No image found with ID %s", id) }

func notAuthorized(action string) error {
	return fault.Forbiddenf("You are not authorized to complete %s action.", action)
}

// visible loads an image p may see; others are 404, as Glance hides them.
func (s *Service) visible(ctx context.Context, q store.Querier, p *policy.Principal, id string) (*Image, error) {
	im, err := getImage(ctx, q, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, err
	}
	ok, err := canSee(ctx, q, p, im)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound(id)
	}
	return im, nil
}

// canSee: admin, owner, public and community images, and shared images of
// which p's project is a member in any status (K5: a rejected member can
// still use the image; Glance lets any member read it).
func canSee(ctx context.Context, q store.Querier, p *policy.Principal, im *Image) (bool, error) {
	if p.IsAdmin() || im.Owner == p.ProjectID {
		return true, nil
	}
	switch im.Visibility {
	case VisibilityPublic, VisibilityCommunity:
		return true, nil
	case VisibilityShared:
		_, err := getMember(ctx, q, im.ID, p.ProjectID)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	return false, nil
}

// canModify: the owner's project with a writing role, or admin.
func canModify(p *policy.Principal, im *Image) bool {
	return p.IsAdmin() || (im.Owner == p.ProjectID && p.CanWrite())
}
