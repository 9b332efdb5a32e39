package network

import (
	"context"
	"database/sql"
	"errors"
	"net/netip"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// FloatingIPFields are what a caller sets on a floating IP. PortID nil
// leaves the association alone; a pointer to "" disassociates.
type FloatingIPFields struct {
	ProjectID         *string
	FloatingNetworkID string // create only
	FloatingIPAddress netip.Addr
	SubnetID          string
	PortID            *string
	FixedIPAddress    string
	Description       *string
}

func badFIP(format string, args ...any) *fault.Error {
	return neutronErr(fault.Invalid, "BadRequest", nil, "Bad floatingip request: "+format+".", args...)
}

// CreateFloatingIP takes an address on an external network (a port of
// device_owner network:floatingip holds it) and associates it when asked.
func (s *Service) CreateFloatingIP(ctx context.Context, p *policy.Principal, f FloatingIPFields) (*FloatingIP, error) {
	sc := scopeOf(p)
	project, err := ownerFor(sc, p, f.ProjectID)
	if err != nil {
		return nil, err
	}
	if f.FloatingIPAddress.IsValid() && !sc.admin {
		return nil, notAuthorized("(rule:create_floatingip and rule:create_floatingip:floating_ip_address)")
	}
	if f.FixedIPAddress != "" && (f.PortID == nil || *f.PortID == "") {
		return nil, badFIP("fixed_ip_address cannot be specified without a port_id")
	}
	now := nowUTC()
	fip := &FloatingIP{ID: newUUID(), ProjectID: project, FloatingNetworkID: f.FloatingNetworkID, Status: StatusDown,
		Revision: 1, CreatedAt: now, UpdatedAt: now}
	setStr(&fip.Description, f.Description)
	err = s.txRetry(ctx, func(tx *sql.Tx) error {
		n, err := getNetwork(ctx, tx, sc, f.FloatingNetworkID)
		if errors.Is(err, store.ErrNotFound) {
			return networkNotFound(f.FloatingNetworkID)
		}
		if err != nil {
			return err
		}
		if !n.External {
			return badFIP("Network %s is not a valid external network", n.ID)
		}
		subnets, err := subnetsOfNetwork(ctx, tx, n.ID)
		if err != nil {
			return err
		}
		var v4 []*Subnet
		for _, sn := range subnets {
			if sn.IPVersion == 4 && (f.SubnetID == "" || sn.ID == f.SubnetID) {
				v4 = append(v4, sn)
			}
		}
		if f.SubnetID != "" && len(v4) == 0 {
			return badFIP("Subnet %s is not an IPv4 subnet of network %s", f.SubnetID, n.ID)
		}
		if len(v4) == 0 {
			return badFIP("Network %s does not contain any IPv4 subnet", n.ID)
		}
		if err := s.checkQuota(ctx, tx, project, "floatingip", 1); err != nil {
			return err
		}
		reqs := []IPRequest{{SubnetID: v4[0].ID}}
		if f.FloatingIPAddress.IsValid() {
			reqs = []IPRequest{{SubnetID: f.SubnetID, IP: f.FloatingIPAddress}}
		}
		pf := PortFields{NetworkID: n.ID, DeviceID: &fip.ID, DeviceOwner: strPtr(OwnerFloatingIP), FixedIPs: &reqs,
			SecurityGroups: &[]string{}}
		port, err := s.createPort(ctx, tx, scope{admin: true}, "", pf, false)
		if errors.Is(err, ErrNoMoreIPs) && !f.FloatingIPAddress.IsValid() && len(v4) > 1 {
			// Try the network's other IPv4 subnets, as Neutron does.
			pf.FixedIPs = nil
			port, err = s.createPort(ctx, tx, scope{admin: true}, "", pf, false)
		}
		if errors.Is(err, ErrNoMoreIPs) {
			return neutronErr(fault.Invalid, "ExternalIpAddressExhausted", ErrNoMoreIPs, "Unable to find any IP address on external network %s.", n.ID)
		}
		if err != nil {
			return err
		}
		fip.FloatingPortID = port.ID
		for _, ip := range port.FixedIPs {
			if ip.Version == 4 {
				fip.FloatingIPAddress = ip.IPAddress
				break
			}
		}
		if f.PortID != nil && *f.PortID != "" {
			if err := s.associate(ctx, tx, sc, fip, *f.PortID, f.FixedIPAddress); err != nil {
				return err
			}
		}
		return insertFIP(ctx, tx, fip)
	})
	if err != nil {
		return nil, err
	}
	return fip, nil
}

// associate points fip at a port's fixed IPv4 address, through a router
// that has a gateway on the floating network and an interface on the
// port's subnet (Neutron's reachability rule).
func (s *Service) associate(ctx context.Context, tx *sql.Tx, sc scope, fip *FloatingIP, portID, fixedIP string) error {
	port, err := getPort(ctx, tx, sc, portID)
	if errors.Is(err, store.ErrNotFound) {
		return portNotFound(portID)
	}
	if err != nil {
		return err
	}
	if port.ProjectID != fip.ProjectID && !sc.admin {
		return badFIP("Cannot process floating IP association with Port %s, since that port is owned by a different project", port.ID)
	}
	if port.DeviceOwner == OwnerFloatingIP || port.DeviceOwner == OwnerRouterGateway || port.DeviceOwner == OwnerRouterInterface || port.DeviceOwner == OwnerDHCP {
		return badFIP("Port %s is unable to be assigned a floating IP", port.ID)
	}
	var subnetID string
	if fixedIP != "" {
		a, err := netip.ParseAddr(fixedIP)
		if err == nil && !a.Is4() {
			return badFIP("Cannot process floating IP association with %s, since that is not an IPv4 address", fixedIP)
		}
		for _, ip := range port.FixedIPs {
			if ip.IPAddress == fixedIP {
				subnetID = ip.SubnetID
			}
		}
		if subnetID == "" {
			return badFIP("Port %s does not have fixed ip %s", port.ID, fixedIP)
		}
	} else {
		var v4 []FixedIP
		for _, ip := range port.FixedIPs {
			if ip.Version == 4 {
				v4 = append(v4, ip)
			}
		}
		if len(v4) == 0 {
			return badFIP("Cannot add floating IP to port %s that has no fixed IPv4 addresses", port.ID)
		}
		if len(v4) > 1 {
			return badFIP("Port %s has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP", port.ID)
		}
		fixedIP, subnetID = v4[0].IPAddress, v4[0].SubnetID
	}
	var other string
	err = tx.QueryRowContext(ctx, "SELECT id FROM floatingips WHERE port_id = $1 AND fixed_ip_address = $2 AND id <> $3",
		port.ID, fixedIP, fip.ID).Scan(&other)
	if err == nil {
		return inUse("FloatingIPPortAlreadyAssociated", "Cannot associate floating IP %s (%s) with port %s using fixed IP %s, as that fixed IP already has a floating IP on external network %s.",
			fip.FloatingIPAddress, fip.ID, port.ID, fixedIP, fip.FloatingNetworkID)
	}
	if err != sql.ErrNoRows {
		return err
	}
	var routerID string
	err = tx.QueryRowContext(ctx, `SELECT r.id FROM routers r JOIN ports p ON p.device_id = r.id AND p.device_owner = $3
		JOIN ip_allocations a ON a.port_id = p.id WHERE r.gw_network_id = $1 AND a.subnet_id = $2
		ORDER BY r.created_at, r.id LIMIT 1`, fip.FloatingNetworkID, subnetID, OwnerRouterInterface).Scan(&routerID)
	if err == sql.ErrNoRows {
		return notFoundErr("ExternalGatewayForFloatingIPNotFound", "External network %s is not reachable from subnet %s.  Therefore, cannot associate Port %s with a Floating IP.",
			fip.FloatingNetworkID, subnetID, port.ID)
	}
	if err != nil {
		return err
	}
	fip.PortID, fip.FixedIPAddress, fip.RouterID, fip.Status = port.ID, fixedIP, routerID, StatusActive
	return nil
}

// FloatingIP returns a floating IP p may see.
func (s *Service) FloatingIP(ctx context.Context, p *policy.Principal, id string) (*FloatingIP, error) {
	f, err := getFIP(ctx, s.r, scopeOf(p), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, floatingIPNotFound(id)
	}
	return f, err
}

// ListFloatingIPs returns the floating IPs p may see.
func (s *Service) ListFloatingIPs(ctx context.Context, p *policy.Principal) ([]*FloatingIP, error) {
	return listFIPs(ctx, s.r, scopeOf(p))
}

// UpdateFloatingIP associates, re-associates or disassociates a floating
// IP, or changes its description.
func (s *Service) UpdateFloatingIP(ctx context.Context, p *policy.Principal, id string, f FloatingIPFields) (*FloatingIP, error) {
	sc := scopeOf(p)
	var fip *FloatingIP
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		fip, err = getFIP(ctx, tx, sc, id)
		if errors.Is(err, store.ErrNotFound) {
			return floatingIPNotFound(id)
		}
		if err != nil {
			return err
		}
		setStr(&fip.Description, f.Description)
		if f.PortID != nil {
			if *f.PortID == "" {
				if f.FixedIPAddress != "" {
					return badFIP("fixed_ip_address cannot be specified without a port_id")
				}
				fip.PortID, fip.FixedIPAddress, fip.RouterID, fip.Status = "", "", "", StatusDown
			} else if err := s.associate(ctx, tx, sc, fip, *f.PortID, f.FixedIPAddress); err != nil {
				return err
			}
		}
		fip.Revision++
		fip.UpdatedAt = nowUTC()
		return updateFIPRow(ctx, tx, fip)
	})
	if err != nil {
		return nil, err
	}
	return fip, nil
}

// DeleteFloatingIP releases a floating IP and its address.
func (s *Service) DeleteFloatingIP(ctx context.Context, p *policy.Principal, id string) error {
	sc := scopeOf(p)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		fip, err := getFIP(ctx, tx, sc, id)
		if errors.Is(err, store.ErrNotFound) {
			return floatingIPNotFound(id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM floatingips WHERE id = $1", id); err != nil {
			return err
		}
		return deletePortRows(ctx, tx, fip.FloatingPortID)
	})
}
