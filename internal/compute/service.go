// Package compute is the Nova v2/v2.1 API (K5 §1.1–1.4 and the compute
// parts of §1.8, with seed 003's createImage): flavors, key pairs,
// quotas and limits, servers with their actions and sub-resources, server
// groups, availability zones, and the Nova image proxy, which it routes
// for the image service.
//
// The service keeps Nova's records and state machine; the VMs themselves
// are a hypervisor.Driver's. Networking is the network service's, reached
// through the narrow Network interface; images are the image service's,
// reached through Images.
//
// An API call that changes a server checks the state machine and sets the
// task state in one compare-and-set write, answers, and leaves the driver
// work to the service's workers, one operation per server at a time, as
// Nova's compute manager does.
package compute

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Images is what compute needs of the image service.
type Images interface {
	Image(ctx context.Context, p *policy.Principal, id string) (*image.Image, error)
	CreateImage(ctx context.Context, p *policy.Principal, f image.Fields) (*image.Image, error)
	SetStatus(ctx context.Context, id string, from, to image.Status) error
	PublishData(ctx context.Context, id, key string, d image.Data) error
	DeleteImage(ctx context.Context, p *policy.Principal, id string) error
}

// Options configure the service.
type Options struct {
	DB  *store.DB
	Log *slog.Logger
	// KeyAlgorithm is what generated key pairs use: "rsa" (2048 bits, as
	// Nova) or "ed25519".
	KeyAlgorithm string
	// Quotas override default limits (QuotaDefaults).
	Quotas map[string]int64
	// Images and Blobs give image records and bytes; BlobPath, when set,
	// maps a blob key to a local file (drivers then clone it).
	Images   Images
	Blobs    blob.Store
	BlobPath func(key string) (string, error)
	// Driver runs the servers; Hosts are the compute hosts it serves
	// (one unlimited host named "compute-1" in zone "nova" when empty).
	Driver hypervisor.Driver
	Hosts  []Host
	// Network is the network service (nil: servers get no NICs).
	Network Network
	// Volumes is block storage (nil: volume attachments and mappings to
	// volumes answer 501).
	Volumes Volumes
	// Workers bounds the driver operations running at once (default 64).
	Workers int
	// Jobs runs snapshots (createImage, shelve); nil disables them.
	Jobs *job.Engine
	// SnapshotFormat is the disk format of snapshots: qcow2 (seed 003,
	// the default) or raw.
	SnapshotFormat string
	// Ratios are the overcommit of host capacity the scheduler allows
	// (Nova's cpu/ram/disk_allocation_ratio; zero fields are 1).
	Ratios Ratios
}

// Ratios multiply a host's vCPUs, memory and disk for placement.
type Ratios struct{ CPU, RAM, Disk float64 }

// Service is the compute service.
type Service struct {
	db             *store.DB
	r              store.Querier
	views          *viewCache // rendered list views (viewcache.go)
	pc             portCache  // servers' ports for list pages (viewcache.go)
	log            *slog.Logger
	keyAlg         string
	quotas         map[string]int64
	images         Images
	blobs          blob.Store
	blobPath       func(string) (string, error)
	driver         hypervisor.Driver
	hosts          []Host
	net            Network
	vols           Volumes
	work           *workers
	schedMu        sync.Mutex
	jobs           *job.Engine
	snapshotFormat string
	proxied        []httpapi.Route // the image and volume services' routes mounted here
	ratios         Ratios
}

// DefaultZone is the availability zone of the default host, Nova's
// default_availability_zone.
const DefaultZone = "nova"

// New returns the service and starts its workers after reconciling the
// servers an earlier run left mid-operation.
func New(ctx context.Context, opts Options) (*Service, error) {
	s := &Service{db: opts.DB, r: opts.DB.R(), views: newViewCache(50000), log: opts.Log, keyAlg: opts.KeyAlgorithm, quotas: QuotaDefaults(),
		images: opts.Images, blobs: opts.Blobs, blobPath: opts.BlobPath, driver: opts.Driver, hosts: opts.Hosts, net: opts.Network, vols: opts.Volumes,
		jobs: opts.Jobs, snapshotFormat: opts.SnapshotFormat, ratios: opts.Ratios}
	for _, r := range []*float64{&s.ratios.CPU, &s.ratios.RAM, &s.ratios.Disk} {
		if *r <= 0 {
			*r = 1
		}
	}
	if s.snapshotFormat == "" {
		s.snapshotFormat = "qcow2"
	}
	if s.snapshotFormat != "qcow2" && s.snapshotFormat != "raw" {
		return nil, fmt.Errorf("compute: snapshot format %q (want qcow2 or raw)", s.snapshotFormat)
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.keyAlg == "" {
		s.keyAlg = "rsa"
	}
	for k, v := range opts.Quotas {
		s.quotas[k] = v
	}
	if len(s.hosts) == 0 {
		s.hosts = []Host{{Name: "compute-1", Zone: DefaultZone}}
	}
	if s.net == nil {
		s.net = noNetwork{}
	}
	if s.driver == nil {
		return nil, fmt.Errorf("compute: no hypervisor driver")
	}
	n := opts.Workers
	if n <= 0 {
		n = 64
	}
	s.work = newWorkers(n, s.log)
	s.registerJobs()
	if err := s.reconcile(ctx); err != nil {
		s.work.close()
		return nil, fmt.Errorf("compute: reconcile servers: %w", err)
	}
	if err := s.syncPowerStates(ctx); err != nil {
		s.log.Warn("power states not synced", "err", err)
	}
	return s, nil
}

// Close stops the workers; an operation cut short is reconciled at the
// next start.
func (s *Service) Close() error {
	s.work.close()
	return nil
}
