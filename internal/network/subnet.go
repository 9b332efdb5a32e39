package network

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"

	"github.com/google/uuid"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// OptAddr is an address a request may leave out (Set false), set to null
// (Set, invalid Addr) or set.
type OptAddr struct {
	Set  bool
	Addr netip.Addr
}

// SubnetFields are what a caller sets on a subnet; nil and unset leave
// defaults (create) or current values (update).
type SubnetFields struct {
	ProjectID       *string
	NetworkID       string       // create only
	IPVersion       int          // create only
	CIDR            netip.Prefix // create only
	Name            *string
	Description     *string
	Gateway         OptAddr
	Pools           *[]Pool
	DNSNameservers  *[]string
	HostRoutes      *[]HostRoute
	EnableDHCP      *bool
	IPv6RAMode      *string // create only
	IPv6AddressMode *string // create only
}

// Neutron's limits (max_dns_nameservers, max_subnet_host_routes).
const (
	maxDNSNameservers = 5
	maxHostRoutes     = 20
)

// CreateSubnet creates a subnet on a network of p's project.
func (s *Service) CreateSubnet(ctx context.Context, p *policy.Principal, f SubnetFields) (*Subnet, error) {
	sc := scopeOf(p)
	project, err := ownerFor(sc, p, f.ProjectID)
	if err != nil {
		return nil, err
	}
	if !f.CIDR.IsValid() {
		return nil, neutronErr(fault.Invalid, "BadRequest", nil, "Bad subnets request: a subnetpool must be specified in the absence of a cidr.")
	}
	now := nowUTC()
	sn := &Subnet{ID: uuid.NewString(), ProjectID: project, NetworkID: f.NetworkID, IPVersion: f.IPVersion,
		CIDR: f.CIDR.Masked(), EnableDHCP: true, Revision: 1, CreatedAt: now, UpdatedAt: now}
	setStr(&sn.Name, f.Name)
	setStr(&sn.Description, f.Description)
	setBool(&sn.EnableDHCP, f.EnableDHCP)
	setStr(&sn.IPv6RAMode, f.IPv6RAMode)
	setStr(&sn.IPv6AddressMode, f.IPv6AddressMode)
	if f.DNSNameservers != nil {
		sn.DNSNameservers = *f.DNSNameservers
	}
	if f.HostRoutes != nil {
		sn.HostRoutes = *f.HostRoutes
	}
	if err := validateNewSubnet(sn, f); err != nil {
		return nil, err
	}
	if f.Gateway.Set {
		sn.Gateway = f.Gateway.Addr
	} else {
		sn.Gateway = defaultGateway(sn.CIDR)
	}
	if sn.Gateway.IsValid() && gatewayInvalid(sn.CIDR, sn.Gateway) {
		return nil, invalidInput("Gateway is not valid on subnet")
	}
	if f.Pools != nil {
		if err := validatePools(*f.Pools, sn.CIDR); err != nil {
			return nil, err
		}
		if err := gatewayOutOfPools(sn.Gateway, *f.Pools); err != nil {
			return nil, err
		}
		sn.Pools = *f.Pools
	} else {
		sn.Pools = defaultPools(sn.CIDR, sn.Gateway)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		n, err := getNetwork(ctx, tx, sc, sn.NetworkID)
		if errors.Is(err, store.ErrNotFound) {
			return networkNotFound(sn.NetworkID)
		}
		if err != nil {
			return err
		}
		if !sc.owns(n.ProjectID) {
			return notAuthorized("rule:create_subnet")
		}
		existing, err := subnetsOfNetwork(ctx, tx, n.ID)
		if err != nil {
			return err
		}
		for _, o := range existing {
			if o.CIDR.Overlaps(sn.CIDR) {
				return invalidInput("Requested subnet with cidr: %s for network: %s overlaps with another subnet", sn.CIDR, n.ID)
			}
		}
		if err := s.checkQuota(ctx, tx, project, "subnet", 1); err != nil {
			return err
		}
		if err := insertSubnet(ctx, tx, sn); err != nil {
			return err
		}
		if sn.slaac() {
			return addAutoAddresses(ctx, tx, sn)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sn, nil
}

// validateNewSubnet is Neutron's _validate_subnet for a create.
func validateNewSubnet(sn *Subnet, f SubnetFields) error {
	ver := sn.IPVersion
	if addrVersion(sn.CIDR.Addr()) != ver {
		return invalidInput("cidr '%s' does not match the ip_version '%d'", sn.CIDR, ver)
	}
	if sn.CIDR.Bits() == 0 {
		return invalidInput("0 is not allowed as CIDR prefix length")
	}
	if ver == 6 && sn.CIDR.Addr() == netip.IPv6Unspecified() {
		return invalidInput("IPv6 subnet '::' is not supported")
	}
	if sn.EnableDHCP {
		if (ver == 4 && sn.CIDR.Bits() > 30) || (ver == 6 && sn.CIDR.Bits() > 126) {
			return invalidInput("Subnet has a prefix length that is incompatible with DHCP service enabled")
		}
		if sn.CIDR.Addr().IsMulticast() {
			return invalidInput("Multicast IP subnet is not supported if enable_dhcp is True")
		}
		if sn.CIDR.Addr().IsLoopback() {
			return invalidInput("Loopback IP subnet is not supported if enable_dhcp is True")
		}
		if ver == 4 && sn.CIDR.Addr() == netip.IPv4Unspecified() {
			return invalidInput("First IP '0.0.0.0' of network is not supported if enable_dhcp is True.")
		}
	}
	if f.Gateway.Set && f.Gateway.Addr.IsValid() && addrVersion(f.Gateway.Addr) != ver {
		return invalidInput("gateway_ip '%s' does not match the ip_version '%d'", f.Gateway.Addr, ver)
	}
	if err := validateDNSAndRoutes(sn, ver, "new subnet"); err != nil {
		return err
	}
	if ver == 4 {
		if sn.IPv6RAMode != "" {
			return invalidInput("ipv6_ra_mode is not valid when ip_version is 4")
		}
		if sn.IPv6AddressMode != "" {
			return invalidInput("ipv6_address_mode is not valid when ip_version is 4")
		}
		return nil
	}
	ra, am := sn.IPv6RAMode, sn.IPv6AddressMode
	if (ra != "" || am != "") && !sn.EnableDHCP {
		return invalidInput("ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False")
	}
	if ra != "" && am != "" && ra != am {
		return invalidInput("ipv6_ra_mode set to '%s' with ipv6_address_mode set to '%s' is not valid. If both attributes are set, they must be the same value", ra, am)
	}
	if (sn.slaac() || ra == "slaac" || ra == "dhcpv6-stateless") && sn.CIDR.Bits() != 64 {
		return invalidInput("Invalid CIDR %s for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64", sn.CIDR)
	}
	return nil
}

func validateDNSAndRoutes(sn *Subnet, ver int, id string) error {
	if len(sn.DNSNameservers) > maxDNSNameservers {
		return neutronErr(fault.Invalid, "DNSNameServersExhausted", nil,
			"Unable to complete operation for %s. The number of DNS nameservers exceeds the limit %d.", id, maxDNSNameservers)
	}
	for _, d := range sn.DNSNameservers {
		a, msg := canonicalIP(d)
		if msg != "" {
			return invalidInput("Error parsing dns address %s", d)
		}
		if addrVersion(a) != ver {
			return invalidInput("dns_nameserver '%s' does not match the ip_version '%d'", d, ver)
		}
	}
	if len(sn.HostRoutes) > maxHostRoutes {
		return neutronErr(fault.Invalid, "HostRoutesExhausted", nil,
			"Unable to complete operation for %s. The number of host routes exceeds the limit %d.", id, maxHostRoutes)
	}
	for _, r := range sn.HostRoutes {
		nh, msg := canonicalIP(r.NextHop)
		dst, err := netip.ParsePrefix(r.Destination)
		if msg != "" || err != nil {
			return invalidInput("Invalid route: %s", routeRepr(r))
		}
		if addrVersion(nh) != ver {
			return invalidInput("nexthop '%s' does not match the ip_version '%d'", r.NextHop, ver)
		}
		if addrVersion(dst.Addr()) != ver {
			return invalidInput("destination '%s' does not match the ip_version '%d'", r.Destination, ver)
		}
	}
	return nil
}

func routeRepr(r HostRoute) string {
	return fmt.Sprintf("{'destination': '%s', 'nexthop': '%s'}", r.Destination, r.NextHop)
}

func addrVersion(a netip.Addr) int {
	if a.Is4() {
		return 4
	}
	return 6
}

// gatewayInvalid is check_gateway_invalid_in_subnet: in the subnet, an
// IPv4 gateway may be neither the network nor the broadcast address.
func gatewayInvalid(cidr netip.Prefix, gw netip.Addr) bool {
	return cidr.Contains(gw) && cidr.Addr().Is4() && (gw == cidr.Masked().Addr() || gw == lastAddr(cidr))
}

func gatewayOutOfPools(gw netip.Addr, pools []Pool) error {
	if !gw.IsValid() {
		return nil
	}
	for _, p := range pools {
		if p.contains(gw) {
			return neutronErr(fault.Conflict, "GatewayConflictWithAllocationPools", nil,
				"Gateway ip %s conflicts with allocation pool %s", gw, p)
		}
	}
	return nil
}

// Subnet returns a subnet p may see.
func (s *Service) Subnet(ctx context.Context, p *policy.Principal, id string) (*Subnet, error) {
	sn, err := getSubnet(ctx, s.r, scopeOf(p), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, subnetNotFound(id)
	}
	return sn, err
}

// ListSubnets returns the subnets p may see, oldest first.
func (s *Service) ListSubnets(ctx context.Context, p *policy.Principal) ([]*Subnet, error) {
	return listSubnets(ctx, s.r, scopeOf(p))
}

// UpdateSubnet changes a subnet of p's project.
func (s *Service) UpdateSubnet(ctx context.Context, p *policy.Principal, id string, f SubnetFields) (*Subnet, error) {
	sc := scopeOf(p)
	var sn *Subnet
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		sn, err = getSubnet(ctx, tx, sc, id)
		if errors.Is(err, store.ErrNotFound) {
			return subnetNotFound(id)
		}
		if err != nil {
			return err
		}
		if !sc.owns(sn.ProjectID) {
			return notAuthorized("rule:update_subnet")
		}
		setStr(&sn.Name, f.Name)
		setStr(&sn.Description, f.Description)
		if f.EnableDHCP != nil && !*f.EnableDHCP && (sn.IPv6RAMode != "" || sn.IPv6AddressMode != "") {
			return invalidInput("Cannot disable enable_dhcp with ipv6 attributes set")
		}
		setBool(&sn.EnableDHCP, f.EnableDHCP)
		if f.DNSNameservers != nil {
			sn.DNSNameservers = *f.DNSNameservers
		}
		if f.HostRoutes != nil {
			sn.HostRoutes = *f.HostRoutes
		}
		if err := validateDNSAndRoutes(sn, sn.IPVersion, sn.ID); err != nil {
			return err
		}
		if f.Gateway.Set {
			gw := f.Gateway.Addr
			if gw.IsValid() && addrVersion(gw) != sn.IPVersion {
				return invalidInput("gateway_ip '%s' does not match the ip_version '%d'", gw, sn.IPVersion)
			}
			if gw.IsValid() && gatewayInvalid(sn.CIDR, gw) {
				return invalidInput("Gateway is not valid on subnet")
			}
			if gw != sn.Gateway && sn.Gateway.IsValid() {
				if owner, err := ipTaken(ctx, tx, sn.ID, sn.Gateway.String()); err != nil {
					return err
				} else if owner != "" {
					return inUse("GatewayIpInUse", "Current gateway ip %s already in use by port %s. Unable to update.", sn.Gateway, owner)
				}
			}
			sn.Gateway = gw
		}
		if f.Pools != nil {
			if err := validatePools(*f.Pools, sn.CIDR); err != nil {
				return err
			}
			sn.Pools = *f.Pools
		}
		if f.Pools != nil || f.Gateway.Set {
			if err := gatewayOutOfPools(sn.Gateway, sn.Pools); err != nil {
				return err
			}
		}
		sn.Revision++
		sn.UpdatedAt = nowUTC()
		return updateSubnetRow(ctx, tx, sn)
	})
	if err != nil {
		return nil, err
	}
	return sn, nil
}

// DeleteSubnet deletes a subnet of p's project from which no port holds
// an address (SLAAC addresses of ordinary ports go with it, as in Neutron).
func (s *Service) DeleteSubnet(ctx context.Context, p *policy.Principal, id string) error {
	sc := scopeOf(p)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		sn, err := getSubnet(ctx, tx, sc, id)
		if errors.Is(err, store.ErrNotFound) {
			return subnetNotFound(id)
		}
		if err != nil {
			return err
		}
		if !sc.owns(sn.ProjectID) {
			return notAuthorized("rule:delete_subnet")
		}
		// SLAAC addresses of ordinary ports and DHCP ports' addresses go with
		// the subnet.
		var dropped []string
		rows, err := tx.QueryContext(ctx, `SELECT a.port_id FROM ip_allocations a JOIN ports p ON p.id = a.port_id
			WHERE a.subnet_id = $1 AND (p.device_owner = $2 OR ($3 AND p.device_owner <> $4))`,
			id, OwnerDHCP, sn.slaac(), OwnerRouterInterface)
		if err != nil {
			return err
		}
		for rows.Next() {
			var pid string
			if err := rows.Scan(&pid); err != nil {
				rows.Close()
				return err
			}
			dropped = append(dropped, pid)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, pid := range dropped {
			if _, err := tx.ExecContext(ctx, "DELETE FROM ip_allocations WHERE subnet_id = $1 AND port_id = $2", id, pid); err != nil {
				return err
			}
			if err := syncPortCache(ctx, tx, pid); err != nil {
				return err
			}
		}
		n, err := allocationCount(ctx, tx, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return inUse("SubnetInUse", "Unable to complete operation on subnet %s: One or more ports have an IP allocation from this subnet.", id)
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM subnets WHERE id = $1", id)
		return err
	})
}
