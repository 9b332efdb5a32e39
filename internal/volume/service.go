// Package volume is the block-storage service: Cinder v2/v3 (volumes,
// types, snapshots, actions, quotas, limits, availability zones) with K5's
// additions (§2.1, §2.4: fcx-restore, availability_zone on types and
// snapshots), and Nova's os-volumes/os-snapshots proxy.
//
// Volume bytes live in a volstore.Store (sparse raw files on the node by
// default). Everything long runs as a durable job (internal/job): creating
// a volume (blank, from an image, a snapshot or another volume), taking a
// snapshot, restoring one (fcx-restore) and uploading a volume to an image.
// A volume becomes "available" in the transaction that finishes its job,
// after its bytes were written and fsynced; an interrupted job runs again
// from the start (every step rewrites a temp file and renames it), and a
// job that fails leaves the volume in "error".
//
// # Go API for the compute service
//
//	v, err := vols.CreateVolume(ctx, p, volume.CreateOpts{Size: 10, ImageRef: imageID})
//	v, err = vols.WaitVolume(ctx, p, v.ID)            // until available or error
//	err = vols.Reserve(ctx, p, v.ID)                  // available → attaching
//	a, err := vols.Attach(ctx, p, v.ID, volume.AttachOpts{ServerID: srv, Mountpoint: "/dev/vdb"}) // → in-use
//	path, err := vols.VolumePath(ctx, p, v.ID)        // the raw file a driver opens
//	err = vols.BeginDetaching(ctx, p, v.ID)           // in-use → detaching (RollDetaching undoes it)
//	err = vols.Detach(ctx, p, v.ID, a.ID)             // → available
//	err = vols.DeleteVolume(ctx, p, v.ID, false)
//
// Every method checks that p may see the volume (its project, or admin)
// and applies Cinder's state machine; errors are *fault.Error in Cinder's
// words.
package volume

import (
	"context"
	"database/sql"
	"log/slog"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
	"github.com/stratus-iaas/stratus/internal/volstore"
)

// Images is what the volume service needs of the image service.
type Images interface {
	Image(ctx context.Context, p *policy.Principal, id string) (*image.Image, error)
	CreateImage(ctx context.Context, p *policy.Principal, f image.Fields) (*image.Image, error)
	SetStatus(ctx context.Context, id string, from, to image.Status) error
	PublishData(ctx context.Context, id, key string, d image.Data) error
}

// Options configure the service.
type Options struct {
	DB     *store.DB
	Store  volstore.Store // volume and snapshot bytes
	Blobs  blob.Store     // image bytes (read for create-from-image, written by upload)
	Images Images
	Jobs   *job.Engine
	Log    *slog.Logger
	// Node names this node (server node-id); volumes record the node that
	// holds their bytes.
	Node string
	// AvailabilityZone is the zone volumes are created in ("nova" when
	// empty, Cinder's default storage_availability_zone).
	AvailabilityZone string
}

// Service is the block-storage service.
type Service struct {
	db     *store.DB
	r      store.Querier
	store  volstore.Store
	blobs  blob.Store
	images Images
	jobs   *job.Engine
	log    *slog.Logger
	node   string
	zone   string
	host   string // os-vol-host-attr:host, Cinder's host@backend#pool
}

// New returns the service, registers its job kinds with opts.Jobs (before
// the engine starts) and seeds the default volume types.
func New(ctx context.Context, opts Options) (*Service, error) {
	s := &Service{db: opts.DB, r: opts.DB.R(), store: opts.Store, blobs: opts.Blobs, images: opts.Images,
		jobs: opts.Jobs, log: opts.Log, node: opts.Node, zone: opts.AvailabilityZone}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.zone == "" {
		s.zone = "nova"
	}
	if s.node == "" {
		s.node = "stratus"
	}
	s.host = s.node + "@" + opts.Store.Kind() + "#" + opts.Store.Kind()
	s.registerJobs()
	if err := s.db.Tx(ctx, func(tx *sql.Tx) error { return seedTypes(ctx, tx) }); err != nil {
		return nil, err
	}
	if err := s.recover(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// AvailabilityZone is the zone this node's volumes are in.
func (s *Service) AvailabilityZone() string { return s.zone }
