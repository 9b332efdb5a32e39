package server

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/compute"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/hypervisor"
	_ "github.com/stratus-iaas/stratus/internal/hypervisor/qemu" // registers the "qemu" driver
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/network"
	"github.com/stratus-iaas/stratus/internal/policy"
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
	if err := s.sizeHosts(ctx, drv, hosts); err != nil {
		return nil, err
	}
	if h, ok := drv.(hypervisor.HTTPServer); ok {
		prefix, handler := h.HTTPHandler()
		s.mux.Mount(httpapi.Group{Name: "console", Prefix: prefix, Dialect: httpapi.Plain, Routes: []httpapi.Route{
			{Method: http.MethodGet, Pattern: "/{path...}", Policy: policy.Public, Handler: func(w http.ResponseWriter, r *http.Request) error {
				handler.ServeHTTP(w, r)
				return nil
			}}}})
	}
	// Drivers clone a boot image's local file when the blob store has one
	// (the filesystem); on S3 they read it through Blobs.
	var blobPath func(string) (string, error)
	if p, ok := blobs.(interface{ Path(string) (string, error) }); ok {
		blobPath = p.Path
	}
	svc, err = compute.New(ctx, compute.Options{DB: s.db, Log: s.log.With("service", "compute"),
		KeyAlgorithm: s.cfg.KeyAlgorithm, Images: images, Blobs: blobs, BlobPath: blobPath,
		Driver: drv, Hosts: hosts, Network: net, Volumes: vols, Jobs: jobs, SnapshotFormat: s.cfg.SnapshotFormat,
		Ratios: compute.Ratios{CPU: s.cfg.CPUAllocationRatio, RAM: s.cfg.RAMAllocationRatio, Disk: s.cfg.DiskAllocationRatio}})
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

// sizeHosts gives hosts without a configured capacity the capacity of
// this machine when the driver runs real guests (it describes its host);
// the scheduler applies the allocation ratios to it.
func (s *Server) sizeHosts(ctx context.Context, drv hypervisor.Driver, hosts []compute.Host) error {
	d, ok := drv.(hypervisor.Describer)
	if !ok {
		return nil
	}
	hi, err := d.HostInfo(ctx)
	if err != nil {
		return err
	}
	s.log.Info("compute host", "hypervisor", hi.Type, "accel", hi.Accel, "vcpus", hi.VCPUs, "memory_mb", hi.MemoryMB, "disk_gb", hi.DiskGB)
	for i := range hosts {
		h := &hosts[i]
		if h.VCPUs == 0 && h.MemoryMB == 0 && h.DiskGB == 0 {
			h.VCPUs, h.MemoryMB, h.DiskGB = int64(hi.VCPUs), hi.MemoryMB, hi.DiskGB
		}
	}
	return nil
}
