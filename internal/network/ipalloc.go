package network

import (
	"context"
	"database/sql"
	"errors"
	"net/netip"
	"sort"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// IPRequest is one entry of a port's fixed_ips: a subnet, an address, or
// both.
type IPRequest struct {
	SubnetID string
	IP       netip.Addr
}

// probeLimit is how many addresses after the allocation hint are tried
// one by one before the subnet's taken addresses are read at once.
const probeLimit = 32

// allocateIP takes a free address of sn's pools for portID: the one after
// the subnet's hint, so that allocation is sequential and usually one
// point query.
func allocateIP(ctx context.Context, tx *sql.Tx, sn *Subnet, portID string, pos int) (FixedIP, error) {
	if len(sn.Pools) == 0 {
		return FixedIP{}, ipGenerationFailure(sn.NetworkID)
	}
	// Lock the subnet row (a no-op update) so that concurrent allocations
	// on one subnet queue up under PostgreSQL, then read the hint the last
	// one left.
	if _, err := tx.ExecContext(ctx, "UPDATE subnets SET next_ip = next_ip WHERE id = $1", sn.ID); err != nil {
		return FixedIP{}, err
	}
	if err := tx.QueryRowContext(ctx, "SELECT next_ip FROM subnets WHERE id = $1", sn.ID).Scan(&sn.nextIP); err != nil {
		return FixedIP{}, store.Map(err)
	}
	hint, _ := netip.ParseAddr(sn.nextIP)
	cand := nextInPools(hint, sn.Pools)
	start := cand
	var found netip.Addr
	for i := 0; i < probeLimit; i++ {
		owner, err := ipTaken(ctx, tx, sn.ID, cand.String())
		if err != nil {
			return FixedIP{}, err
		}
		if owner == "" {
			found = cand
			break
		}
		cand = nextInPools(cand, sn.Pools)
		if cand == start {
			return FixedIP{}, ipGenerationFailure(sn.NetworkID)
		}
	}
	if !found.IsValid() {
		taken, err := takenSet(ctx, tx, sn.ID)
		if err != nil {
			return FixedIP{}, err
		}
		for c := cand; ; {
			if !taken[c.String()] {
				found = c
				break
			}
			c = nextInPools(c, sn.Pools)
			if c == cand {
				return FixedIP{}, ipGenerationFailure(sn.NetworkID)
			}
		}
	}
	ip := FixedIP{SubnetID: sn.ID, IPAddress: found.String(), Version: sn.IPVersion}
	if err := insertAllocation(ctx, tx, portID, sn.NetworkID, pos, ip); err != nil {
		return FixedIP{}, err
	}
	sn.nextIP = ip.IPAddress
	return ip, setNextIP(ctx, tx, sn.ID, ip.IPAddress)
}

// takeIP records a requested address for portID after checking it is
// valid on sn and free.
func takeIP(ctx context.Context, tx *sql.Tx, sn *Subnet, a netip.Addr, portID, owner string, pos int) (FixedIP, error) {
	if !subnetIPValid(sn.CIDR, a, owner) {
		return FixedIP{}, neutronErr(fault.Invalid, "InvalidIpForSubnet", ErrInvalidFixedIP,
			"IP address %s is not a valid IP for the specified subnet.", a)
	}
	holder, err := ipTaken(ctx, tx, sn.ID, a.String())
	if err != nil {
		return FixedIP{}, err
	}
	if holder != "" && holder != portID {
		return FixedIP{}, ipAlreadyAllocated(a.String(), sn.ID)
	}
	ip := FixedIP{SubnetID: sn.ID, IPAddress: a.String(), Version: sn.IPVersion}
	if holder == portID {
		return ip, nil
	}
	return ip, insertAllocation(ctx, tx, portID, sn.NetworkID, pos, ip)
}

// subnetIPValid is check_subnet_ip: in the subnet, and for IPv4 neither
// its network nor broadcast address; for IPv6 not the subnet-router
// anycast address unless the port is a router's.
func subnetIPValid(cidr netip.Prefix, a netip.Addr, owner string) bool {
	if !cidr.Contains(a) {
		return false
	}
	if cidr.Addr().Is4() {
		return a != cidr.Masked().Addr() && a != lastAddr(cidr)
	}
	return isRouterOwner(owner) || owner == "" || a != cidr.Masked().Addr()
}

func isRouterOwner(owner string) bool {
	return owner == OwnerRouterInterface || owner == OwnerRouterGateway || owner == "network:router_interface_distributed" ||
		owner == "network:ha_router_replicated_interface" || owner == "network:router_centralized_snat"
}

// assignIPs gives a new port its addresses on network netID: the
// requested ones, or by default one IPv4 and one stateful IPv6 address
// and an EUI-64 address on each SLAAC subnet.
func assignIPs(ctx context.Context, tx *sql.Tx, netID string, p *PortRecord, reqs *[]IPRequest) error {
	subnets, err := subnetsOfNetwork(ctx, tx, netID)
	if err != nil {
		return err
	}
	base, err := nextPosition(ctx, tx, p.ID)
	if err != nil {
		return err
	}
	if reqs == nil {
		return assignDefaultIPs(ctx, tx, subnets, p, base)
	}
	byID := map[string]*Subnet{}
	for _, sn := range subnets {
		byID[sn.ID] = sn
	}
	// Specific addresses first, so that automatic ones do not take them.
	ordered := append([]IPRequest(nil), *reqs...)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].IP.IsValid() && !ordered[j].IP.IsValid() })
	for i, r := range ordered {
		i += base
		sn, err := subnetForRequest(netID, subnets, byID, r, p.DeviceOwner)
		if err != nil {
			return err
		}
		var ip FixedIP
		switch {
		case r.IP.IsValid():
			if sn.slaac() && !isRouterOwner(p.DeviceOwner) {
				if auto, _ := eui64(sn.CIDR, p.MACAddress); auto != r.IP {
					return invalidInput("IPv6 address %s cannot be directly assigned to a port on subnet %s as the subnet is configured for automatic addresses", r.IP, sn.ID)
				}
			}
			ip, err = takeIP(ctx, tx, sn, r.IP, p.ID, p.DeviceOwner, i)
		case sn.slaac() && !isRouterOwner(p.DeviceOwner):
			a, _ := eui64(sn.CIDR, p.MACAddress)
			ip, err = takeIP(ctx, tx, sn, a, p.ID, p.DeviceOwner, i)
		default:
			ip, err = allocateIP(ctx, tx, sn, p.ID, i)
		}
		if err != nil {
			return err
		}
		if !containsIP(p.FixedIPs, ip) {
			p.FixedIPs = append(p.FixedIPs, ip)
		}
	}
	return nil
}

func subnetForRequest(netID string, subnets []*Subnet, byID map[string]*Subnet, r IPRequest, owner string) (*Subnet, error) {
	if len(subnets) == 0 {
		return nil, invalidInput("IP allocation requires subnets for network")
	}
	if r.SubnetID != "" {
		sn := byID[r.SubnetID]
		if sn == nil {
			return nil, invalidInput("Failed to create port on network %s, because fixed_ips included invalid subnet %s", netID, r.SubnetID)
		}
		if r.IP.IsValid() && !subnetIPValid(sn.CIDR, r.IP, owner) {
			return nil, neutronErr(fault.Invalid, "InvalidIpForSubnet", ErrInvalidFixedIP,
				"IP address %s is not a valid IP for the specified subnet.", r.IP)
		}
		return sn, nil
	}
	if !r.IP.IsValid() {
		return nil, invalidInput("IP allocation requires subnet_id or ip_address")
	}
	for _, sn := range subnets {
		if subnetIPValid(sn.CIDR, r.IP, owner) {
			return sn, nil
		}
	}
	return nil, neutronErr(fault.Invalid, "InvalidIpForNetwork", ErrInvalidFixedIP,
		"IP address %s is not a valid IP for any of the subnets on the specified network.", r.IP)
}

func assignDefaultIPs(ctx context.Context, tx *sql.Tx, subnets []*Subnet, p *PortRecord, pos int) error {
	var v4, v6 []*Subnet
	for _, sn := range subnets {
		switch {
		case sn.IPVersion == 4:
			v4 = append(v4, sn)
		case sn.slaac():
			if isRouterOwner(p.DeviceOwner) {
				continue
			}
			a, _ := eui64(sn.CIDR, p.MACAddress)
			ip, err := takeIP(ctx, tx, sn, a, p.ID, p.DeviceOwner, pos)
			if err != nil {
				return err
			}
			p.FixedIPs = append(p.FixedIPs, ip)
			pos++
		default:
			v6 = append(v6, sn)
		}
	}
	for _, group := range [][]*Subnet{v4, v6} {
		if len(group) == 0 {
			continue
		}
		var last error
		done := false
		for _, sn := range group {
			ip, err := allocateIP(ctx, tx, sn, p.ID, pos)
			if err == nil {
				p.FixedIPs = append(p.FixedIPs, ip)
				pos++
				done = true
				break
			}
			if !errors.Is(err, ErrNoMoreIPs) {
				return err
			}
			last = err
		}
		if !done {
			return last
		}
	}
	return nil
}

// addAutoAddresses gives every port already on a SLAAC subnet's network
// (router ports aside) its EUI-64 address there, as Neutron does when
// such a subnet is added.
func addAutoAddresses(ctx context.Context, tx *sql.Tx, sn *Subnet) error {
	ports, err := queryPorts(ctx, tx, "SELECT "+portCols+" FROM ports p WHERE p.network_id = $1", sn.NetworkID)
	if err != nil {
		return err
	}
	for _, p := range ports {
		if isRouterOwner(p.DeviceOwner) || p.DeviceOwner == OwnerFloatingIP {
			continue
		}
		a, ok := eui64(sn.CIDR, p.MACAddress)
		if !ok {
			continue
		}
		pos, err := nextPosition(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		if _, err := takeIP(ctx, tx, sn, a, p.ID, p.DeviceOwner, pos); err != nil {
			return err
		}
	}
	return nil
}

// nextPosition is where a port's next address goes: after its current ones.
func nextPosition(ctx context.Context, tx *sql.Tx, portID string) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(position), -1) + 1 FROM ip_allocations WHERE port_id = $1", portID).Scan(&n)
	return n, err
}

// releaseIPs frees a port's addresses that are not in keep.
func releaseIPs(ctx context.Context, tx *sql.Tx, portID string, keep []FixedIP) error {
	rows, err := tx.QueryContext(ctx, "SELECT subnet_id, ip_address FROM ip_allocations WHERE port_id = $1", portID)
	if err != nil {
		return err
	}
	var drop []FixedIP
	for rows.Next() {
		var ip FixedIP
		if err := rows.Scan(&ip.SubnetID, &ip.IPAddress); err != nil {
			rows.Close()
			return err
		}
		if !containsIP(keep, ip) {
			drop = append(drop, ip)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, ip := range drop {
		if _, err := tx.ExecContext(ctx, "DELETE FROM ip_allocations WHERE subnet_id = $1 AND ip_address = $2", ip.SubnetID, ip.IPAddress); err != nil {
			return store.Map(err)
		}
	}
	return syncPortCache(ctx, tx, portID)
}
