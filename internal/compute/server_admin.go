package compute

import (
	"context"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// Admin views and notices on servers: diagnostics and
// os-server-external-events. The wire shapes are in server_admin_http.go.

// Diagnostics is a server and its ports, for its diagnostics; a server
// still building or without a host has none.
func (s *Service) Diagnostics(ctx context.Context, p *policy.Principal, id string) (*Server, []Port, error) {
	sv, err := s.Server(ctx, p, id)
	if err != nil {
		return nil, nil, err
	}
	if sv.VMState == vmBuilding || sv.Host == nil {
		return nil, nil, fault.Conflictf("Cannot 'get_diagnostics' instance %s while it is in vm_state %s", sv.ID, sv.VMState)
	}
	ports, _ := s.net.ServerPorts(ctx, sv.ID)
	return sv, ports, nil
}

var externalEvents = []string{"network-changed", "network-vif-plugged", "network-vif-unplugged", "network-vif-deleted",
	"volume-extended", "power-update", "accelerator-request-bound"}

// ExternalEvent is one event another service tells compute of, and the
// code of its answer.
type ExternalEvent struct {
	Name, ServerID, Status string
	Tag                    *string
	Code                   int
}

// ExternalEvents acknowledges events: stratus's services call compute
// directly, so each gets only a code (404 for an unknown or deleted
// server, 422 for one without a host); none found is an error.
func (s *Service) ExternalEvents(ctx context.Context, evs []ExternalEvent) error {
	found := 0
	for i := range evs {
		sv, err := getServerRow(ctx, s.r, evs[i].ServerID)
		switch {
		case err != nil || sv.DeletedAt != 0:
			evs[i].Code = 404
		case sv.Host == nil:
			evs[i].Code = 422
		default:
			evs[i].Code = 200
			found++
		}
	}
	if found == 0 {
		return fault.NotFoundf("No instances found for any event")
	}
	return nil
}
