package server

import (
	"context"
	"io"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/identity"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/imports"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/objectstore"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/scpauth"
)

// webDownload is the web-download filter of Glance's import.
func (s *Server) webDownload() image.WebDownload {
	ports, _ := s.cfg.webDownloadPorts() // validated with the config
	return image.WebDownload{Ports: ports, AllowHosts: splitList(s.cfg.WebDownloadHosts)}
}

// scpCredentials finds SCP access keys among identity's EC2 credentials.
type scpCredentials struct{ ids *identity.Service }

func (c scpCredentials) Credential(ctx context.Context, access string) (*scpauth.Credential, error) {
	ec, err := c.ids.EC2Credential(ctx, access)
	if err != nil {
		return nil, err
	}
	if ec.TrustID != "" {
		// A trust-scoped key acts within the trust's roles only, which SCP's
		// signatures cannot express: refused.
		return nil, fault.Unauthorizedf("Trust-scoped credentials cannot sign SCP requests.")
	}
	return &scpauth.Credential{Secret: ec.Secret, UserID: ec.UserID, ProjectID: ec.ProjectID}, nil
}

func (c scpCredentials) PrincipalFor(ctx context.Context, userID, projectID string) (*policy.Principal, error) {
	return c.ids.PrincipalFor(ctx, userID, projectID)
}

// importObjects is the object store as the import service needs it.
type importObjects struct{ s *objectstore.Service }

func (o importObjects) OpenObject(ctx context.Context, p *policy.Principal, account, container, object string) (imports.Object, error) {
	return o.s.OpenObject(ctx, p, account, container, object)
}

func (o importObjects) HeadObject(ctx context.Context, p *policy.Principal, account, container, object string) (imports.ObjectInfo, error) {
	info, err := o.s.HeadObject(ctx, p, account, container, object)
	if err != nil {
		return imports.ObjectInfo{}, err
	}
	return imports.ObjectInfo{Size: info.Size, ETag: info.ETag}, nil
}

func (o importObjects) PutObject(ctx context.Context, p *policy.Principal, account, container, object string, body io.Reader, size int64) (string, error) {
	return o.s.PutObject(ctx, p, account, container, object, body, objectstore.PutOptions{Size: size, ContentType: "application/octet-stream"})
}

func (o importObjects) HeadContainer(ctx context.Context, p *policy.Principal, account, container string) (imports.ContainerInfo, error) {
	info, err := o.s.HeadContainer(ctx, p, account, container)
	if err != nil {
		return imports.ContainerInfo{}, err
	}
	return imports.ContainerInfo{Writable: info.Writable}, nil
}

func (o importObjects) CreateContainer(ctx context.Context, p *policy.Principal, account, container string) error {
	_, err := o.s.CreateContainer(ctx, p, account, container)
	return err
}

func (o importObjects) CopyObject(ctx context.Context, p *policy.Principal, account, srcContainer, srcObject, dstContainer, dstObject string) error {
	return o.s.CopyObject(ctx, p, account, srcContainer, srcObject, dstContainer, dstObject)
}

func (o importObjects) PutManifest(ctx context.Context, p *policy.Principal, account, container, object string, segs []imports.Segment) error {
	ms := make([]objectstore.ManifestSegment, len(segs))
	for i, sg := range segs {
		ms[i] = objectstore.ManifestSegment{Path: sg.Path, ETag: sg.ETag, Size: sg.Size}
	}
	_, err := o.s.PutManifest(ctx, p, account, container, object, ms, objectstore.PutOptions{ContentType: "application/octet-stream"})
	return err
}

func (o importObjects) DeleteObject(ctx context.Context, p *policy.Principal, account, container, object string) error {
	return o.s.DeleteObject(ctx, p, account, container, object)
}

// importGroups builds the import/export service (K5 vmimport and SCP
// virtualserver) on the job engine and returns its route groups.
func (s *Server) importGroups(jobs *job.Engine, imgs *image.Service, objs *objectstore.Service, ids *identity.Service) []httpapi.Group {
	svc := imports.New(imports.Options{DB: s.db, Jobs: jobs, Images: imgs, Objects: importObjects{objs}, Ident: ids,
		Log: s.log.With("service", "vmimport"), MaxActive: s.cfg.ImportMaxActive, SizeCap: s.cfg.ImageSizeCap, ExportSizeCap: s.cfg.ExportSizeCap,
		ExportSegmentSize: s.cfg.ExportSegmentSize,
		PublicURL:         s.publicURL})
	return svc.Groups()
}
