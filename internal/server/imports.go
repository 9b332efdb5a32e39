package server

import (
	"context"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/identity"
	"github.com/stratus-iaas/stratus/internal/image"
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
