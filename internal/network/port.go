package network

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// PortFields are what a caller sets on a port; nil leaves a default
// (create) or the current value (update).
type PortFields struct {
	ProjectID           *string // admin only, create only
	NetworkID           string  // create only
	Name                *string
	Description         *string
	AdminStateUp        *bool
	MACAddress          *string // canonical (canonicalMAC)
	DeviceID            *string
	DeviceOwner         *string
	HostID              *string
	VNICType            *string
	Profile             *string // JSON object
	FixedIPs            *[]IPRequest
	SecurityGroups      *[]string // ids
	AllowedAddressPairs *[]AddressPair
	PortSecurityEnabled *bool
}

// portStatus is what a port's status would be once an agent had seen it:
// router ports and ports bound to a host are up, floating IP ports N/A.
func portStatus(p *PortRecord) string {
	switch {
	case p.DeviceOwner == OwnerFloatingIP:
		return "N/A"
	case !p.AdminStateUp:
		return StatusDown
	case isRouterOwner(p.DeviceOwner) || p.DeviceOwner == OwnerDHCP:
		return StatusActive
	case p.HostID != "" && p.DeviceID != "":
		return StatusActive
	}
	return StatusDown
}

// CreatePort creates a port on a network p may use.
func (s *Service) CreatePort(ctx context.Context, p *policy.Principal, f PortFields) (*PortRecord, error) {
	sc := scopeOf(p)
	project, err := ownerFor(sc, p, f.ProjectID)
	if err != nil {
		return nil, err
	}
	var port *PortRecord
	err = s.txRetry(ctx, func(tx *sql.Tx) error {
		n, err := getNetwork(ctx, tx, sc, f.NetworkID)
		if errors.Is(err, store.ErrNotFound) {
			return networkNotFound(f.NetworkID)
		}
		if err != nil {
			return err
		}
		if err := portPolicy(sc, n, project, f, "create_port"); err != nil {
			return err
		}
		port, err = s.createPort(ctx, tx, sc, project, f, false)
		return err
	})
	return port, err
}

// portPolicy is Neutron's attribute policy on ports: binding details are
// an admin's; on a network it does not own a project may not choose MACs,
// addresses, port security or network:* owners.
func portPolicy(sc scope, n *Network, project string, f PortFields, action string) error {
	if sc.admin {
		return nil
	}
	deny := func(attr string) error {
		return notAuthorized("(rule:" + action + " and rule:" + action + ":" + attr + ")")
	}
	if f.HostID != nil && (*f.HostID != "" || action == "create_port") {
		return deny("binding:host_id")
	}
	if f.Profile != nil && *f.Profile != "{}" {
		return deny("binding:profile")
	}
	if action == "update_port" && f.MACAddress != nil {
		return deny("mac_address")
	}
	if n.ProjectID == project || n.ProjectID == sc.project {
		return nil
	}
	if f.MACAddress != nil {
		return deny("mac_address")
	}
	if f.FixedIPs != nil {
		for _, r := range *f.FixedIPs {
			if r.IP.IsValid() {
				return deny("fixed_ips:ip_address")
			}
		}
	}
	if f.PortSecurityEnabled != nil {
		return deny("port_security_enabled")
	}
	if f.DeviceOwner != nil && strings.HasPrefix(*f.DeviceOwner, "network:") {
		return deny("device_owner")
	}
	return nil
}

// fillPairMACs gives address pairs without a MAC the port's, as Neutron.
func fillPairMACs(p *PortRecord) {
	for i := range p.AllowedAddressPairs {
		if p.AllowedAddressPairs[i].MACAddress == "" {
			p.AllowedAddressPairs[i].MACAddress = p.MACAddress
		}
	}
}

// txRetry runs fn in a transaction, again (a few times) when it failed on
// a unique key another transaction took first (two ports given one
// address or MAC at once under PostgreSQL).
func (s *Service) txRetry(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var err error
	for i := 0; i < 5; i++ {
		err = s.db.Tx(ctx, fn)
		if !errors.Is(err, store.ErrConflict) || fault.As(err) != nil {
			return err
		}
	}
	return err
}

// createPort makes a port of project in tx: checks, MAC, security groups,
// quota and addresses.
func (s *Service) createPort(ctx context.Context, tx *sql.Tx, sc scope, project string, f PortFields, serverOwned bool) (*PortRecord, error) {
	n, err := getNetwork(ctx, tx, sc, f.NetworkID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, networkNotFound(f.NetworkID)
	}
	if err != nil {
		return nil, err
	}
	if !sc.admin && !n.Shared && n.ProjectID != project {
		return nil, neutronErr(fault.Forbidden, "HTTPForbidden", nil, "Tenant %s not allowed to create port on this network", project)
	}
	now := nowUTC()
	port := &PortRecord{ID: uuid.NewString(), ProjectID: project, NetworkID: n.ID, AdminStateUp: true, VNICType: "normal",
		Profile: "{}", PortSecurityEnabled: n.PortSecurityEnabled, ServerOwned: serverOwned, Revision: 1, CreatedAt: now, UpdatedAt: now}
	applyPortFields(port, f)
	if f.MACAddress != nil {
		taken, err := macTaken(ctx, tx, n.ID, *f.MACAddress)
		if err != nil {
			return nil, err
		}
		if taken {
			return nil, macInUse(n.ID, *f.MACAddress)
		}
		port.MACAddress = *f.MACAddress
	} else {
		for i := 0; ; i++ {
			port.MACAddress = randomMAC()
			taken, err := macTaken(ctx, tx, n.ID, port.MACAddress)
			if err != nil {
				return nil, err
			}
			if !taken {
				break
			}
			if i == 16 {
				return nil, neutronErr(fault.Unavailable, "NetworkMacAddressGenerationFailure", nil, "Unable to generate unique mac on network %s.", n.ID)
			}
		}
	}
	if err := s.checkQuota(ctx, tx, project, "port", 1); err != nil {
		return nil, err
	}
	fillPairMACs(port)
	port.Status = portStatus(port)
	if err := insertPortRow(ctx, tx, port); err != nil {
		return nil, err
	}
	port.FixedIPs = []FixedIP{}
	if err := assignIPs(ctx, tx, n.ID, port, f.FixedIPs); err != nil {
		return nil, err
	}
	groups, err := s.portGroups(ctx, tx, sc, port, f.SecurityGroups)
	if err != nil {
		return nil, err
	}
	if err := checkPortSecurity(port, groups); err != nil {
		return nil, err
	}
	port.SecurityGroups = groups
	return port, setPortSecurityGroups(ctx, tx, port.ID, groups)
}

func applyPortFields(p *PortRecord, f PortFields) {
	setStr(&p.Name, f.Name)
	setStr(&p.Description, f.Description)
	setBool(&p.AdminStateUp, f.AdminStateUp)
	setStr(&p.DeviceID, f.DeviceID)
	setStr(&p.DeviceOwner, f.DeviceOwner)
	setStr(&p.HostID, f.HostID)
	setStr(&p.VNICType, f.VNICType)
	setStr(&p.Profile, f.Profile)
	setBool(&p.PortSecurityEnabled, f.PortSecurityEnabled)
	if f.AllowedAddressPairs != nil {
		p.AllowedAddressPairs = *f.AllowedAddressPairs
	}
}

// portGroups is the security groups a port gets: those asked for (which
// must be visible), or its project's default group when port security is
// on and the port is not one of Neutron's own (network:*).
func (s *Service) portGroups(ctx context.Context, tx *sql.Tx, sc scope, p *PortRecord, asked *[]string) ([]string, error) {
	if asked != nil {
		out := []string{}
		for _, id := range *asked {
			g, err := getGroup(ctx, tx, sc, id)
			if errors.Is(err, store.ErrNotFound) || (err == nil && g.ProjectID != p.ProjectID && !sc.admin) {
				return nil, securityGroupNotFound(id)
			}
			if err != nil {
				return nil, err
			}
			if !containsStr(out, id) {
				out = append(out, id)
			}
		}
		return out, nil
	}
	if !p.PortSecurityEnabled || strings.HasPrefix(p.DeviceOwner, "network:") || p.ProjectID == "" {
		return []string{}, nil
	}
	id, err := ensureDefaultGroup(ctx, tx, p.ProjectID)
	if err != nil {
		return nil, err
	}
	return []string{id}, nil
}

// checkPortSecurity enforces port security's rules on groups and address
// pairs.
func checkPortSecurity(p *PortRecord, groups []string) error {
	if !p.PortSecurityEnabled {
		if len(groups) > 0 {
			return inUse("PortSecurityPortHasSecurityGroup", "Port has security group associated. Cannot disable port security or IP address until security group is removed.")
		}
		if len(p.AllowedAddressPairs) > 0 {
			return inUse("AddressPairAndPortSecurityRequired", "Port Security must be enabled in order to have allowed address pairs on a port.")
		}
	}
	return nil
}

// Port returns a port p may see.
func (s *Service) Port(ctx context.Context, p *policy.Principal, id string) (*PortRecord, error) {
	port, err := getPort(ctx, s.r, scopeOf(p), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, portNotFound(id)
	}
	return port, err
}

// PortListFilter narrows ListPorts in the store.
type PortListFilter = portFilter

// ListPorts returns the ports p may see, oldest first.
func (s *Service) ListPorts(ctx context.Context, p *policy.Principal, f PortListFilter) ([]*PortRecord, error) {
	return listPorts(ctx, s.r, scopeOf(p), f)
}

// UpdatePort changes a port p owns (or one on a network p owns).
func (s *Service) UpdatePort(ctx context.Context, p *policy.Principal, id string, f PortFields) (*PortRecord, error) {
	sc := scopeOf(p)
	var port *PortRecord
	err := s.txRetry(ctx, func(tx *sql.Tx) error {
		var err error
		port, err = s.updatePort(ctx, tx, sc, id, f)
		return err
	})
	return port, err
}

func (s *Service) updatePort(ctx context.Context, tx *sql.Tx, sc scope, id string, f PortFields) (*PortRecord, error) {
	port, err := getPort(ctx, tx, sc, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, portNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	n, err := getNetwork(ctx, tx, scope{admin: true}, port.NetworkID)
	if err != nil {
		return nil, err
	}
	if err := portPolicy(sc, n, port.ProjectID, f, "update_port"); err != nil {
		return nil, err
	}
	if f.MACAddress != nil && *f.MACAddress != port.MACAddress {
		if port.HostID != "" {
			return nil, inUse("PortBound", "Unable to complete operation on port %s, port is already bound, port type: ovs, old_mac %s, new_mac %s.", id, port.MACAddress, *f.MACAddress)
		}
		taken, err := macTaken(ctx, tx, port.NetworkID, *f.MACAddress)
		if err != nil {
			return nil, err
		}
		if taken {
			return nil, macInUse(port.NetworkID, *f.MACAddress)
		}
		port.MACAddress = *f.MACAddress
	}
	applyPortFields(port, f)
	fillPairMACs(port)
	if f.FixedIPs != nil {
		if err := s.reassignIPs(ctx, tx, port, *f.FixedIPs); err != nil {
			return nil, err
		}
	}
	groups := port.SecurityGroups
	if f.SecurityGroups != nil {
		if groups, err = s.portGroups(ctx, tx, sc, port, f.SecurityGroups); err != nil {
			return nil, err
		}
	}
	if err := checkPortSecurity(port, groups); err != nil {
		return nil, err
	}
	if f.SecurityGroups != nil {
		if err := setPortSecurityGroups(ctx, tx, port.ID, groups); err != nil {
			return nil, err
		}
		port.SecurityGroups = groups
	}
	port.Status = portStatus(port)
	port.Revision++
	port.UpdatedAt = nowUTC()
	return port, updatePortRow(ctx, tx, port)
}

// reassignIPs gives a port exactly the requested addresses: kept ones
// stay, others are released, new ones taken.
func (s *Service) reassignIPs(ctx context.Context, tx *sql.Tx, port *PortRecord, reqs []IPRequest) error {
	var keep []FixedIP
	var add []IPRequest
	for _, r := range reqs {
		kept := false
		for _, cur := range port.FixedIPs {
			if (r.IP.IsValid() && r.IP.String() == cur.IPAddress && (r.SubnetID == "" || r.SubnetID == cur.SubnetID)) ||
				(!r.IP.IsValid() && r.SubnetID == cur.SubnetID && !containsIP(keep, cur)) {
				keep, kept = append(keep, cur), true
				break
			}
		}
		if !kept {
			add = append(add, r)
		}
	}
	if err := releaseIPs(ctx, tx, port.ID, keep); err != nil {
		return err
	}
	port.FixedIPs = keep
	if len(add) == 0 {
		return nil
	}
	return assignIPs(ctx, tx, port.NetworkID, port, &add)
}

// DeletePort deletes a port p may change. Ports of routers and floating
// IPs go through their own APIs, as in Neutron.
func (s *Service) DeletePort(ctx context.Context, p *policy.Principal, id string) error {
	sc := scopeOf(p)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		port, err := getPort(ctx, tx, sc, id)
		if errors.Is(err, store.ErrNotFound) {
			return portNotFound(id)
		}
		if err != nil {
			return err
		}
		switch port.DeviceOwner {
		case OwnerRouterInterface, OwnerRouterGateway, OwnerFloatingIP:
			if port.DeviceOwner != OwnerFloatingIP || !sc.admin {
				return inUse("ServicePortInUse", "Port %s cannot be deleted directly via the port API: has device owner %s.", id, port.DeviceOwner)
			}
		}
		return deletePortRows(ctx, tx, id)
	})
}
