package server

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/compute"
	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/network"
)

// newCompute assembles the compute service: its hosts, the hypervisor
// driver that runs their servers (files under DATA_DIR/instances), and
// the image, network and job services it uses.
func (s *Server) newCompute(ctx context.Context, images *image.Service, blobs blob.Store, net *network.Service, jobs *job.Engine, vols compute.Volumes) (*compute.Service, error) {
	hosts, err := compute.ParseHosts(s.cfg.ComputeHosts, compute.DefaultZone)
	if err != nil {
		return nil, err
	}
	settings := map[string]string{}
	for _, kv := range strings.FieldsFunc(s.cfg.HypervisorSettings, func(r rune) bool { return r == ',' || r == ' ' }) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("hypervisor-settings: %q is not key=value", kv)
		}
		settings[k] = v
	}
	var svc *compute.Service
	events := make(chan hypervisor.Event, 64)
	drv, err := hypervisor.New(s.cfg.Hypervisor, hypervisor.Options{Dir: filepath.Join(s.cfg.DataDir, "instances"),
		Host: hosts[0].Name, Log: s.log.With("service", "hypervisor"), Settings: settings, PublicURL: s.publicURL,
		Events: func(ev hypervisor.Event) { events <- ev }})
	if err != nil {
		return nil, err
	}
	if c, ok := drv.(hypervisor.Closer); ok {
		s.onClose(c.Close) // after the compute service's workers stop (closers run in reverse)
	}
	// Drivers clone a boot image's local file when the blob store has one
	// (the filesystem); on S3 they read it through Blobs.
	var blobPath func(string) (string, error)
	if p, ok := blobs.(interface{ Path(string) (string, error) }); ok {
		blobPath = p.Path
	}
	svc, err = compute.New(ctx, compute.Options{DB: s.db, Log: s.log.With("service", "compute"),
		KeyAlgorithm: s.cfg.KeyAlgorithm, Images: images, Blobs: blobs, BlobPath: blobPath,
		Driver: drv, Hosts: hosts, Network: net, Volumes: vols, Jobs: jobs, SnapshotFormat: s.cfg.SnapshotFormat})
	if err != nil {
		return nil, err
	}
	s.onClose(svc.Close)
	// Events a driver sees on its own (a guest powering itself off) reach
	// the compute service once it exists.
	go func() {
		for ev := range events {
			svc.HandleEvent(ev)
		}
	}()
	return svc, nil
}
