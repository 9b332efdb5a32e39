package network

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"

	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// NetworkFields are what a caller sets on a network. Nil leaves a value
// at its default (create) or unchanged (update).
type NetworkFields struct {
	ProjectID           *string // admin only, create only
	Name                *string
	Description         *string
	AdminStateUp        *bool
	Shared              *bool
	External            *bool
	MTU                 *int
	PortSecurityEnabled *bool
}

// CreateNetwork creates a network owned by p's project (or, for an admin,
// by f.ProjectID).
func (s *Service) CreateNetwork(ctx context.Context, p *policy.Principal, f NetworkFields) (*Network, error) {
	sc := scopeOf(p)
	project, err := ownerFor(sc, p, f.ProjectID)
	if err != nil {
		return nil, err
	}
	if f.Shared != nil && *f.Shared && !sc.admin {
		return nil, notAuthorized("(rule:create_network and rule:create_network:shared)")
	}
	if f.External != nil && *f.External && !sc.admin {
		return nil, notAuthorized("(rule:create_network and rule:create_network:router:external)")
	}
	now := nowUTC()
	n := &Network{ID: uuid.NewString(), ProjectID: project, AdminStateUp: true, Status: StatusActive, MTU: s.mtu,
		PortSecurityEnabled: true, Revision: 1, CreatedAt: now, UpdatedAt: now}
	applyNetworkFields(n, f)
	if n.MTU > s.mtu {
		return nil, invalidInput("Requested MTU is too big, maximum is %d", s.mtu)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkQuota(ctx, tx, project, "network", 1); err != nil {
			return err
		}
		return insertNetwork(ctx, tx, n)
	})
	if err != nil {
		return nil, err
	}
	n.Subnets = []string{}
	return n, nil
}

func applyNetworkFields(n *Network, f NetworkFields) {
	setStr(&n.Name, f.Name)
	setStr(&n.Description, f.Description)
	setBool(&n.AdminStateUp, f.AdminStateUp)
	setBool(&n.Shared, f.Shared)
	setBool(&n.External, f.External)
	setBool(&n.PortSecurityEnabled, f.PortSecurityEnabled)
	if f.MTU != nil {
		n.MTU = *f.MTU
	}
}

// Network returns a network p may see.
func (s *Service) Network(ctx context.Context, p *policy.Principal, id string) (*Network, error) {
	n, err := getNetwork(ctx, s.r, scopeOf(p), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, networkNotFound(id)
	}
	return n, err
}

// ListNetworks returns every network p may see: its project's, shared and
// external ones (all for an admin), oldest first.
func (s *Service) ListNetworks(ctx context.Context, p *policy.Principal) ([]*Network, error) {
	return listNetworks(ctx, s.r, scopeOf(p))
}

// UpdateNetwork changes a network of p's project.
func (s *Service) UpdateNetwork(ctx context.Context, p *policy.Principal, id string, f NetworkFields) (*Network, error) {
	sc := scopeOf(p)
	var n *Network
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = getNetwork(ctx, tx, sc, id)
		if errors.Is(err, store.ErrNotFound) {
			return networkNotFound(id)
		}
		if err != nil {
			return err
		}
		if !sc.owns(n.ProjectID) {
			return notAuthorized("rule:update_network")
		}
		if f.Shared != nil && *f.Shared != n.Shared && !sc.admin {
			return notAuthorized("(rule:update_network and rule:update_network:shared)")
		}
		if f.External != nil && *f.External != n.External {
			if !sc.admin {
				return notAuthorized("(rule:update_network and rule:update_network:router:external)")
			}
			if !*f.External {
				if busy, err := hasGatewayPorts(ctx, tx, id); err != nil {
					return err
				} else if busy {
					return inUse("ExternalNetworkInUse", "External network %s cannot be updated to be made non-external, since it has existing gateway ports.", id)
				}
			}
		}
		if f.MTU != nil && *f.MTU > s.mtu {
			return invalidInput("Requested MTU is too big, maximum is %d", s.mtu)
		}
		applyNetworkFields(n, f)
		n.Revision++
		n.UpdatedAt = nowUTC()
		return updateNetworkRow(ctx, tx, n)
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// DeleteNetwork deletes a network of p's project that has no ports in use.
func (s *Service) DeleteNetwork(ctx context.Context, p *policy.Principal, id string) error {
	sc := scopeOf(p)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		n, err := getNetwork(ctx, tx, sc, id)
		if errors.Is(err, store.ErrNotFound) {
			return networkNotFound(id)
		}
		if err != nil {
			return err
		}
		if !sc.owns(n.ProjectID) {
			return notAuthorized("rule:delete_network")
		}
		busy, err := networkInUse(ctx, tx, id)
		if err != nil {
			return err
		}
		if busy {
			return inUse("NetworkInUse", "Unable to complete operation on network %s. There are one or more ports still in use on the network.", id)
		}
		// Floating IPs on the network go with it, as in Neutron.
		if _, err := tx.ExecContext(ctx, "DELETE FROM floatingips WHERE floating_network_id = $1", id); err != nil {
			return err
		}
		return deleteNetworkRows(ctx, tx, id)
	})
}

// ownerFor is the project a new resource belongs to: p's own, or for an
// admin the one asked for. A non-admin naming another project gets
// Neutron's 400.
func ownerFor(sc scope, p *policy.Principal, asked *string) (string, error) {
	if asked == nil || *asked == "" {
		if p == nil || p.ProjectID == "" {
			return "", badRequest("Running without keystone AuthN requires that tenant_id is specified")
		}
		return p.ProjectID, nil
	}
	if !sc.admin && *asked != sc.project {
		return "", badRequest("Specifying 'project_id' or 'tenant_id' other than the authenticated project in request is not allowed for current user.")
	}
	return *asked, nil
}

func hasGatewayPorts(ctx context.Context, q store.Querier, netID string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM ports WHERE network_id = $1 AND device_owner = $2", netID, OwnerRouterGateway).Scan(&n)
	return n > 0, err
}

func setStr(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}
