package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/blob/s3blob"
	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/compute"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/identity"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/network"
	"github.com/stratus-iaas/stratus/internal/objectstore"
	"github.com/stratus-iaas/stratus/internal/scpauth"
	"github.com/stratus-iaas/stratus/internal/volstore"
	"github.com/stratus-iaas/stratus/internal/volume"
)

// endpoints is the service catalog: every service that is served. A
// service is listed here when it lands.
func endpoints() []catalog.Entry {
	return []catalog.Entry{
		{Type: "identity", Name: "keystone", Path: catalog.IdentityPrefix},
		{Type: "object-store", Name: "swift", Path: catalog.ObjectStorePrefix + "/v1/AUTH_{project_id}"},
		{Type: "image", Name: "glance", Path: catalog.ImagePrefix},
		{Type: "compute", Name: "nova", Path: "/compute/v2.1"},
		{Type: "network", Name: "neutron", Path: catalog.NetworkPrefix},
		{Type: "volumev3", Name: "cinderv3", Path: catalog.VolumePrefix + "/v3/{project_id}"},
		{Type: "block-storage", Name: "cinder", Path: catalog.VolumePrefix + "/v3/{project_id}"},
		{Type: "volumev2", Name: "cinderv2", Path: catalog.VolumePrefix + "/v2/{project_id}"},
		{Type: "blockstoragev2", Name: "cinderv2", Path: catalog.VolumePrefix + "/v2/{project_id}"},
		{Type: "vmimport", Name: "vmimport", Path: catalog.ImportPrefix},
		{Type: "virtualserver", Name: "virtualserver", Path: catalog.VirtualServerPrefix},
	}
}

// assemble builds every service and mounts its routes.
func (s *Server) assemble(ctx context.Context) error {
	keyFile := s.cfg.CredentialKeyFile
	if keyFile == "" {
		keyFile = filepath.Join(s.cfg.DataDir, "credential.key")
	}
	credKey, err := identity.LoadCredentialKey(keyFile)
	if err != nil {
		return fmt.Errorf("credential key: %w", err)
	}
	ids, err := identity.New(identity.Options{
		DB:         s.db,
		Log:        s.log.With("service", "identity"),
		TokenTTL:   s.cfg.TokenTTL,
		BcryptCost: s.cfg.BcryptCost,
		Region:     s.cfg.Region,
		PublicURL:  s.publicURL,
		Catalog:    endpoints(),

		CredentialKey:   credKey,
		AnyProjectAdmin: s.cfg.CloudAdmin == "any-project",
	})
	if err != nil {
		return err
	}
	password, generated, err := ids.Bootstrap(ctx, s.cfg.AdminPassword)
	if err != nil {
		return err
	}
	if generated {
		s.notice("stratus: created admin user with password %s (saved in %s)", password, filepath.Join(s.cfg.DataDir, "clouds.yaml"))
	}
	if err := s.updateCloudsYAML(password); err != nil {
		return err
	}
	s.mux.SetAuthenticator(ids)
	// SCP's signed headers are accepted wherever a token is.
	s.mux.AddRequestAuthenticator(scpauth.New(s.db, scpCredentials{ids}, nil))
	s.mux.Mount(ids.Group())

	blobs := s.blobs
	if st, ok := blobs.(*s3blob.Store); ok {
		s.sweepUploads(st)
	}
	objSvc, err := objectstore.New(ctx, objectstore.Options{DB: s.db, Blobs: blobs, Log: s.log.With("service", "object-store"),
		TempURLMethods: s.cfg.tempURLMethods(), ProjectDomain: ids.ProjectDomainID})
	if err != nil {
		return err
	}
	s.onClose(objSvc.Close)
	s.mux.Mount(objSvc.Group())
	s.mux.Mount(objSvc.RootGroup())

	node, err := nodeID(s.cfg.DataDir)
	if err != nil {
		return fmt.Errorf("node id: %w", err)
	}
	jobs := job.New(job.Options{DB: s.db, Log: s.log.With("service", "job"), Node: node,
		Workers: s.cfg.JobWorkers, PerProject: s.cfg.JobProjectWorkers, Retention: s.cfg.JobRetention, Lease: s.cfg.JobLease,
		// With node-local blobs a job runs on the node that has its bytes;
		// on S3 any node can run any job.
		PinJobs: s.cfg.Blob == ""})
	imageSvc, err := image.New(ctx, image.Options{DB: s.db, Blobs: blobs, Log: s.log.With("service", "image"),
		SizeCap: s.cfg.ImageSizeCap, Node: node, Jobs: jobs, ImportConvert: s.cfg.ImportConvert, WebDownload: s.webDownload()})
	if err != nil {
		return err
	}
	netSvc, err := network.New(ctx, network.Options{DB: s.db, Log: s.log.With("service", "network")})
	if err != nil {
		return err
	}
	volSvc, err := s.volumeService(ctx, blobs, imageSvc, jobs, node)
	if err != nil {
		return err
	}
	computeSvc, err := s.newCompute(ctx, imageSvc, blobs, netSvc, jobs, volSvc)
	if err != nil {
		return err
	}
	groups := []httpapi.Group{
		netSvc.Group(),
		{Name: "image", Prefix: catalog.ImagePrefix, Dialect: httpapi.Glance, Routes: imageSvc.Routes()},
		{Name: "volume", Prefix: catalog.VolumePrefix, Dialect: httpapi.Cinder, Routes: volSvc.Routes(),
			ServiceTypes: []string{"volumev3", "block-storage", "volumev2", "blockstoragev2", "volume"}},
		// The compute service owns its group and routes the Nova image proxy.
		{Name: "compute", Prefix: catalog.ComputePrefix, Dialect: httpapi.Nova, RequestIDHeaders: []string{"X-Compute-Request-Id"},
			Routes: computeSvc.Routes(append(imageSvc.NovaRoutes(compute.LinkBase), volSvc.NovaRoutes()...)), NotFound: computeSvc.NotFound},
	}
	groups = append(groups, s.importGroups(jobs, imageSvc, objSvc, ids)...)
	groups = append(groups, unbuiltGroups()...)
	groups = append(groups, httpapi.Group{Name: "stratus", Prefix: catalog.StratusPrefix, Dialect: httpapi.Plain, Routes: jobs.Routes()})
	for _, g := range groups {
		s.mux.Mount(g)
	}
	// Every kind is registered by now: recover interrupted jobs and start.
	if err := jobs.Start(ctx); err != nil {
		return err
	}
	s.onClose(jobs.Close)
	return nil
}

// volumeService builds block storage over the configured volume store.
func (s *Server) volumeService(ctx context.Context, blobs blob.Store, images *image.Service, jobs *job.Engine, node string) (*volume.Service, error) {
	var vs volstore.Store
	var err error
	if s.cfg.VolumeBackend == "blob" {
		vs, err = volstore.NewBlob(blobs, filepath.Join(s.cfg.DataDir, "volume-staging"))
	} else {
		dir := s.cfg.VolumeDir
		if dir == "" {
			dir = filepath.Join(s.cfg.DataDir, "volumes")
		}
		vs, err = volstore.NewLocal(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("volume store: %w", err)
	}
	return volume.New(ctx, volume.Options{DB: s.db, Store: vs, Blobs: blobs, Images: images, Jobs: jobs,
		Log: s.log.With("service", "volume"), Node: node, AvailabilityZone: s.cfg.AvailabilityZone})
}

// updateCloudsYAML writes clouds.yaml with password, or, when the password
// is unknown (generated at an earlier start), keeps the stored one and
// only refreshes the URL.
func (s *Server) updateCloudsYAML(password string) error {
	if password == "" {
		b, err := os.ReadFile(filepath.Join(s.cfg.DataDir, "clouds.yaml"))
		if errors.Is(err, fs.ErrNotExist) {
			return nil // nothing to refresh; the admin knows the password
		}
		if err != nil {
			return err
		}
		var doc struct {
			Clouds map[string]struct {
				Auth struct {
					Password string `yaml:"password"`
				} `yaml:"auth"`
			} `yaml:"clouds"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return nil // a hand-edited file is left alone
		}
		password = doc.Clouds["stratus"].Auth.Password
	}
	return s.writeCloudsYAML(password)
}
