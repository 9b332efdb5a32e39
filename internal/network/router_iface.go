package network

import (
	"context"
	"database/sql"
	"errors"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// AddRouterInterface connects a router to a subnet (a new port at the
// subnet's gateway address) or to an existing unbound port.
func (s *Service) AddRouterInterface(ctx context.Context, p *policy.Principal, routerID, subnetID, portID string) (*RouterInterface, error) {
	sc := scopeOf(p)
	if subnetID == "" && portID == "" {
		return nil, badRouter("Either subnet_id or port_id must be specified")
	}
	if subnetID != "" && portID != "" {
		return nil, badRouter("Cannot specify both subnet-id and port-id")
	}
	var out *RouterInterface
	err := s.txRetry(ctx, func(tx *sql.Tx) error {
		r, err := getRouter(ctx, tx, sc, routerID)
		if errors.Is(err, store.ErrNotFound) {
			return routerNotFound(routerID)
		}
		if err != nil {
			return err
		}
		var port *PortRecord
		if portID != "" {
			port, err = s.interfaceByPort(ctx, tx, sc, r, portID)
		} else {
			port, err = s.interfaceBySubnet(ctx, tx, sc, r, subnetID)
		}
		if err != nil {
			return err
		}
		out = &RouterInterface{RouterID: r.ID, ProjectID: r.ProjectID, PortID: port.ID, NetworkID: port.NetworkID}
		for _, ip := range port.FixedIPs {
			out.SubnetIDs = append(out.SubnetIDs, ip.SubnetID)
		}
		if len(out.SubnetIDs) > 0 {
			out.SubnetID = out.SubnetIDs[0]
		}
		r.Revision++
		r.UpdatedAt = nowUTC()
		return updateRouterRow(ctx, tx, r)
	})
	return out, err
}

// checkNoOverlap refuses a subnet overlapping one the router is on.
func checkNoOverlap(ctx context.Context, tx *sql.Tx, r *Router, sn *Subnet) error {
	ports, err := routerPorts(ctx, tx, r.ID, OwnerRouterInterface)
	if err != nil {
		return err
	}
	for _, p := range ports {
		for _, ip := range p.FixedIPs {
			if ip.SubnetID == sn.ID {
				return badRouter("Router already has a port on subnet %s", sn.ID)
			}
			other, err := getSubnet(ctx, tx, scope{admin: true}, ip.SubnetID)
			if err != nil {
				return err
			}
			if other.CIDR.Overlaps(sn.CIDR) {
				return badRouter("Cidr %s of subnet %s overlaps with cidr %s of subnet %s", sn.CIDR, sn.ID, other.CIDR, other.ID)
			}
		}
	}
	return nil
}

func (s *Service) interfaceBySubnet(ctx context.Context, tx *sql.Tx, sc scope, r *Router, subnetID string) (*PortRecord, error) {
	sn, err := getSubnet(ctx, tx, sc, subnetID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, subnetNotFound(subnetID)
	}
	if err != nil {
		return nil, err
	}
	if !sn.Gateway.IsValid() {
		return nil, badRouter("Subnet for router interface must have a gateway IP")
	}
	if err := checkNoOverlap(ctx, tx, r, sn); err != nil {
		return nil, err
	}
	f := PortFields{NetworkID: sn.NetworkID, DeviceID: &r.ID, DeviceOwner: strPtr(OwnerRouterInterface),
		FixedIPs: &[]IPRequest{{SubnetID: sn.ID, IP: sn.Gateway}}, SecurityGroups: &[]string{}}
	return s.createPort(ctx, tx, scope{admin: true}, sn.ProjectID, f, false)
}

func (s *Service) interfaceByPort(ctx context.Context, tx *sql.Tx, sc scope, r *Router, portID string) (*PortRecord, error) {
	port, err := getPort(ctx, tx, sc, portID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, portNotFound(portID)
	}
	if err != nil {
		return nil, err
	}
	if port.DeviceID != "" {
		return nil, portInUse(port.ID, port.NetworkID, port.DeviceID)
	}
	if len(port.FixedIPs) == 0 {
		return nil, badRouter("Router port must have at least one fixed IP")
	}
	for _, ip := range port.FixedIPs {
		sn, err := getSubnet(ctx, tx, scope{admin: true}, ip.SubnetID)
		if err != nil {
			return nil, err
		}
		if err := checkNoOverlap(ctx, tx, r, sn); err != nil {
			return nil, err
		}
	}
	port.DeviceID, port.DeviceOwner = r.ID, OwnerRouterInterface
	port.Status = portStatus(port)
	port.Revision++
	port.UpdatedAt = nowUTC()
	if err := setPortSecurityGroups(ctx, tx, port.ID, nil); err != nil {
		return nil, err
	}
	return port, updatePortRow(ctx, tx, port)
}

// RemoveRouterInterface disconnects a router from a subnet or port and
// deletes the interface port.
func (s *Service) RemoveRouterInterface(ctx context.Context, p *policy.Principal, routerID, subnetID, portID string) (*RouterInterface, error) {
	sc := scopeOf(p)
	if subnetID == "" && portID == "" {
		return nil, badRouter("Either subnet_id or port_id must be specified")
	}
	var out *RouterInterface
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := getRouter(ctx, tx, sc, routerID)
		if errors.Is(err, store.ErrNotFound) {
			return routerNotFound(routerID)
		}
		if err != nil {
			return err
		}
		ports, err := routerPorts(ctx, tx, r.ID, OwnerRouterInterface)
		if err != nil {
			return err
		}
		var port *PortRecord
		for _, p := range ports {
			if portID != "" && p.ID == portID {
				port = p
			}
			for _, ip := range p.FixedIPs {
				if portID == "" && ip.SubnetID == subnetID {
					port = p
				}
			}
		}
		switch {
		case port == nil && portID != "":
			return notFoundErr("RouterInterfaceNotFound", "Router %s does not have an interface with id %s", r.ID, portID)
		case port == nil:
			return notFoundErr("RouterInterfaceNotFoundForSubnet", "Router %s has no interface on subnet %s", r.ID, subnetID)
		case portID != "" && subnetID != "" && !portOnSubnet(port, subnetID):
			return neutronErr(fault.Invalid, "SubnetMismatchForPort", nil, "Subnet on port %s does not match the requested subnet %s.", port.ID, subnetID)
		}
		for _, ip := range port.FixedIPs {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM floatingips f JOIN ip_allocations a
				ON a.port_id = f.port_id AND a.ip_address = f.fixed_ip_address
				WHERE f.router_id = $1 AND a.subnet_id = $2`, r.ID, ip.SubnetID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return inUse("RouterInterfaceInUseByFloatingIP", "Router interface for subnet %s on router %s cannot be deleted, as it is required by one or more floating IPs.", ip.SubnetID, r.ID)
			}
		}
		out = &RouterInterface{RouterID: r.ID, ProjectID: r.ProjectID, PortID: port.ID, NetworkID: port.NetworkID}
		for _, ip := range port.FixedIPs {
			out.SubnetIDs = append(out.SubnetIDs, ip.SubnetID)
		}
		if len(out.SubnetIDs) > 0 {
			out.SubnetID = out.SubnetIDs[0]
		}
		if err := deletePortRows(ctx, tx, port.ID); err != nil {
			return err
		}
		r.Revision++
		r.UpdatedAt = nowUTC()
		return updateRouterRow(ctx, tx, r)
	})
	return out, err
}

func portOnSubnet(p *PortRecord, subnetID string) bool {
	for _, ip := range p.FixedIPs {
		if ip.SubnetID == subnetID {
			return true
		}
	}
	return false
}
