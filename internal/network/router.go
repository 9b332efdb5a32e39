package network

import (
	"context"
	"database/sql"
	"errors"
	"net/netip"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// GatewayFields are a router's external_gateway_info.
type GatewayFields struct {
	NetworkID  string
	EnableSNAT *bool
	FixedIPs   *[]IPRequest
}

// RouterFields are what a caller sets on a router. Gateway is nil when
// left out; a non-nil Gateway with Clear removes the gateway.
type RouterFields struct {
	ProjectID    *string
	Name         *string
	Description  *string
	AdminStateUp *bool
	Gateway      *GatewayFields
	ClearGateway bool
	Routes       *[]HostRoute
}

// RouterInterface is what adding or removing an interface answers.
type RouterInterface struct {
	RouterID, ProjectID, PortID, SubnetID, NetworkID string
	SubnetIDs                                        []string
}

func badRouter(format string, args ...any) *fault.Error {
	return neutronErr(fault.Invalid, "BadRequest", nil, "Bad router request: "+format+".", args...)
}

// CreateRouter creates a router, with a gateway port when asked.
func (s *Service) CreateRouter(ctx context.Context, p *policy.Principal, f RouterFields) (*Router, error) {
	sc := scopeOf(p)
	project, err := ownerFor(sc, p, f.ProjectID)
	if err != nil {
		return nil, err
	}
	now := nowUTC()
	r := &Router{ID: newUUID(), ProjectID: project, AdminStateUp: true, Status: StatusActive, EnableSNAT: true,
		Revision: 1, CreatedAt: now, UpdatedAt: now}
	setStr(&r.Name, f.Name)
	setStr(&r.Description, f.Description)
	setBool(&r.AdminStateUp, f.AdminStateUp)
	if f.Routes != nil && len(*f.Routes) > 0 {
		return nil, badRequest("Attribute 'routes' not allowed in POST")
	}
	err = s.txRetry(ctx, func(tx *sql.Tx) error {
		if err := s.checkQuota(ctx, tx, project, "router", 1); err != nil {
			return err
		}
		if err := insertRouter(ctx, tx, r); err != nil {
			return err
		}
		if f.Gateway != nil && !f.ClearGateway {
			return s.setGateway(ctx, tx, sc, r, f.Gateway)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// setGateway gives a router a gateway port on an external network.
func (s *Service) setGateway(ctx context.Context, tx *sql.Tx, sc scope, r *Router, g *GatewayFields) error {
	if g.EnableSNAT != nil && !sc.admin {
		return notAuthorized("(rule:update_router and rule:update_router:external_gateway_info and rule:update_router:external_gateway_info:enable_snat)")
	}
	if g.FixedIPs != nil && !sc.admin {
		return notAuthorized("(rule:update_router and rule:update_router:external_gateway_info and rule:update_router:external_gateway_info:external_fixed_ips)")
	}
	n, err := getNetwork(ctx, tx, sc, g.NetworkID)
	if errors.Is(err, store.ErrNotFound) {
		return networkNotFound(g.NetworkID)
	}
	if err != nil {
		return err
	}
	if !n.External {
		return badRouter("Network %s is not an external network", n.ID)
	}
	if r.GatewayNetID != "" && r.GatewayNetID != n.ID {
		if err := s.clearGateway(ctx, tx, r); err != nil {
			return err
		}
	}
	r.EnableSNAT = true
	setBool(&r.EnableSNAT, g.EnableSNAT)
	if r.GatewayNetID == n.ID {
		if g.FixedIPs != nil {
			ports, err := routerPorts(ctx, tx, r.ID, OwnerRouterGateway)
			if err != nil {
				return err
			}
			for _, gp := range ports {
				if err := s.reassignIPs(ctx, tx, gp, *g.FixedIPs); err != nil {
					return err
				}
			}
		}
		return updateRouterRow(ctx, tx, r)
	}
	f := PortFields{NetworkID: n.ID, DeviceID: &r.ID, DeviceOwner: strPtr(OwnerRouterGateway), FixedIPs: g.FixedIPs,
		SecurityGroups: &[]string{}}
	port, err := s.createPort(ctx, tx, scope{admin: true}, "", f, false)
	if err != nil {
		return err
	}
	r.GatewayNetID = n.ID
	r.GatewayIPs = port.FixedIPs
	return updateRouterRow(ctx, tx, r)
}

// clearGateway removes a router's gateway unless floating IPs need it.
func (s *Service) clearGateway(ctx context.Context, tx *sql.Tx, r *Router) error {
	if r.GatewayNetID == "" {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM floatingips WHERE router_id = $1", r.ID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return inUse("RouterExternalGatewayInUseByFloatingIp", "Gateway cannot be updated for router %s, since a gateway to external network %s is required by one or more floating IPs.", r.ID, r.GatewayNetID)
	}
	ports, err := routerPorts(ctx, tx, r.ID, OwnerRouterGateway)
	if err != nil {
		return err
	}
	for _, p := range ports {
		if err := deletePortRows(ctx, tx, p.ID); err != nil {
			return err
		}
	}
	r.GatewayNetID, r.GatewayIPs = "", nil
	return nil
}

// Router returns a router p may see.
func (s *Service) Router(ctx context.Context, p *policy.Principal, id string) (*Router, error) {
	r, err := getRouter(ctx, s.r, scopeOf(p), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, routerNotFound(id)
	}
	return r, err
}

// ListRouters returns the routers p may see.
func (s *Service) ListRouters(ctx context.Context, p *policy.Principal) ([]*Router, error) {
	return listRouters(ctx, s.r, scopeOf(p))
}

// UpdateRouter changes a router of p's project.
func (s *Service) UpdateRouter(ctx context.Context, p *policy.Principal, id string, f RouterFields) (*Router, error) {
	sc := scopeOf(p)
	var r *Router
	err := s.txRetry(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = getRouter(ctx, tx, sc, id)
		if errors.Is(err, store.ErrNotFound) {
			return routerNotFound(id)
		}
		if err != nil {
			return err
		}
		setStr(&r.Name, f.Name)
		setStr(&r.Description, f.Description)
		setBool(&r.AdminStateUp, f.AdminStateUp)
		if f.Routes != nil {
			if err := s.checkRoutes(ctx, tx, r, *f.Routes); err != nil {
				return err
			}
			r.Routes = *f.Routes
		}
		switch {
		case f.ClearGateway:
			if err := s.clearGateway(ctx, tx, r); err != nil {
				return err
			}
		case f.Gateway != nil:
			if err := s.setGateway(ctx, tx, sc, r, f.Gateway); err != nil {
				return err
			}
		}
		r.Revision++
		r.UpdatedAt = nowUTC()
		return updateRouterRow(ctx, tx, r)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// checkRoutes is the extraroute check: each nexthop on a router subnet.
func (s *Service) checkRoutes(ctx context.Context, tx *sql.Tx, r *Router, routes []HostRoute) error {
	ports, err := queryPorts(ctx, tx, "SELECT "+portCols+" FROM ports p WHERE p.device_id = $1", r.ID)
	if err != nil {
		return err
	}
	var cidrs []netip.Prefix
	for _, p := range ports {
		for _, ip := range p.FixedIPs {
			sn, err := getSubnet(ctx, tx, scope{admin: true}, ip.SubnetID)
			if err != nil {
				return err
			}
			cidrs = append(cidrs, sn.CIDR)
		}
	}
	for _, rt := range routes {
		nh, _ := netip.ParseAddr(rt.NextHop)
		ok := false
		for _, c := range cidrs {
			if c.Contains(nh) {
				ok = true
			}
		}
		if !ok {
			return neutronErr(fault.Invalid, "InvalidRoutes", nil,
				"Invalid format for routes: %s, the nexthop is not connected with router", routesRepr(routes))
		}
	}
	return nil
}

func routesRepr(routes []HostRoute) string {
	parts := make([]string, len(routes))
	for i, r := range routes {
		parts[i] = routeRepr(r)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// DeleteRouter deletes a router with no interfaces, and its gateway.
func (s *Service) DeleteRouter(ctx context.Context, p *policy.Principal, id string) error {
	sc := scopeOf(p)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := getRouter(ctx, tx, sc, id)
		if errors.Is(err, store.ErrNotFound) {
			return routerNotFound(id)
		}
		if err != nil {
			return err
		}
		ifaces, err := routerPorts(ctx, tx, id, OwnerRouterInterface)
		if err != nil {
			return err
		}
		if len(ifaces) > 0 {
			ids := make([]string, len(ifaces))
			for i, p := range ifaces {
				ids[i] = p.ID
			}
			return inUse("RouterInUse", "Router %s has ports still attached: %s", id, strings.Join(ids, ", "))
		}
		if err := s.clearGateway(ctx, tx, r); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM routers WHERE id = $1", id)
		return err
	})
}
