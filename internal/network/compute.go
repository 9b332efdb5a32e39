package network

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// PortRequest is one entry of Nova's "networks" list: a network uuid
// (with an optional fixed_ip) or an existing port.
type PortRequest struct {
	NetworkID, PortID, FixedIP string
}

// FixedIP is one address of a port.
type FixedIP struct {
	SubnetID, IPAddress string
	Version             int
}

// Port is what the compute service reads of a server's port.
// SecurityGroups holds group names (what Nova's server view shows).
type Port struct {
	ID, NetworkID, NetworkName, MACAddress, DeviceID, DeviceOwner, Status string
	FixedIPs                                                              []FixedIP
	SecurityGroups                                                        []string
}

// More sentinels for the compute service's conditions.
var (
	ErrPortNotUsable       = errors.New("port not usable")
	ErrPortRequiresFixedIP = errors.New("port has no fixed IP")
	ErrNoNetworkAvailable  = errors.New("no network available")
	ErrServerHasNoPorts    = errors.New("server has no ports")
	ErrGroupNotOnServer    = errors.New("security group not associated")
	ErrInvalidNetworkInput = errors.New("invalid network request")
)

// ComputeDeviceOwner is the device_owner Nova gives the ports of servers
// (compute:<availability zone>).
const ComputeDeviceOwner = "compute:nova"

// AutoNetworkName and AutoNetworkCIDR describe the network BindPorts makes
// for a project that has none (Nova's "auto").
const (
	AutoNetworkName = "auto_allocated_network"
	AutoSubnetName  = "auto_allocated_subnet_v4"
	AutoNetworkCIDR = "10.0.0.0/16"
)

// novaErr is a fault with Nova's message, its Kind being Nova's exception
// code (the compute API re-maps per call: server create answers 400 where
// os-interface answers 404), wrapping sentinel.
func novaErr(kind fault.Kind, sentinel error, format string, args ...any) *fault.Error {
	e := fault.New(kind, format, args...)
	e.Cause = sentinel
	return e
}

// BindPorts creates ports on the requested networks (or binds the
// requested existing ports of p's project, which must be unbound) for
// serverID on host, with the named security groups (names or ids; empty
// means the project's "default" group). An empty reqs is Nova's "auto":
// the project's network if exactly one is available, else (none) a
// network and subnet made for the project on first use. All ports are
// made, or none.
func (s *Service) BindPorts(ctx context.Context, p *policy.Principal, serverID, host string, reqs []PortRequest, securityGroups []string) ([]Port, error) {
	if p == nil || p.ProjectID == "" {
		return nil, fault.Forbiddenf("A project-scoped token is required.")
	}
	var out []*PortRecord
	err := s.txRetry(ctx, func(tx *sql.Tx) error {
		out = nil
		groups, err := s.serverGroups(ctx, tx, p.ProjectID, securityGroups)
		if err != nil {
			return err
		}
		if len(reqs) == 0 {
			netID, err := s.autoNetwork(ctx, tx, p, true)
			if err != nil {
				return err
			}
			reqs := []PortRequest{{NetworkID: netID}}
			out, err = s.bindTx(ctx, tx, p, serverID, host, reqs, groups)
			return err
		}
		out, err = s.bindTx(ctx, tx, p, serverID, host, reqs, groups)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.summaries(ctx, s.r, out)
}

// serverGroups resolves the groups a server's new ports get.
func (s *Service) serverGroups(ctx context.Context, tx *sql.Tx, project string, names []string) ([]string, error) {
	if len(names) == 0 {
		id, err := ensureDefaultGroup(ctx, tx, project)
		if err != nil {
			return nil, err
		}
		return []string{id}, nil
	}
	if containsStr(names, DefaultGroupName) {
		if _, err := ensureDefaultGroup(ctx, tx, project); err != nil {
			return nil, err
		}
	}
	return resolveGroups(ctx, tx, project, names)
}

// availableNetworks is Nova's _get_available_networks without ids: the
// project's own unshared networks and every shared one.
func availableNetworks(ctx context.Context, q store.Querier, project string, adminUp bool) ([]*Network, error) {
	cond := "(n.project_id = $1 AND NOT n.shared) OR n.shared"
	if adminUp {
		cond = "(n.project_id = $1 AND NOT n.shared AND n.admin_state_up) OR n.shared"
	}
	return queryNetworks(ctx, q, "SELECT "+networkCols+" FROM networks n WHERE "+cond+" ORDER BY created_at, id", project)
}

// autoNetwork picks the network of a request that names none: the one
// available network, or with create the project's auto-allocated network
// (made now if needed) when there is none.
func (s *Service) autoNetwork(ctx context.Context, tx *sql.Tx, p *policy.Principal, create bool) (string, error) {
	nets, err := availableNetworks(ctx, tx, p.ProjectID, create)
	if err != nil {
		return "", err
	}
	switch {
	case len(nets) == 1:
		return nets[0].ID, nil
	case len(nets) > 1:
		return "", novaErr(fault.Conflict, ErrNetworkAmbiguous, "Multiple possible networks found, use a Network ID to be more specific.")
	case !create:
		return "", novaErr(fault.Invalid, ErrNoNetworkAvailable, "No specific network was requested and none are available for project '%s'.", p.ProjectID)
	}
	return s.makeAutoNetwork(ctx, tx, p.ProjectID)
}

// makeAutoNetwork creates a project's auto-allocated network and subnet.
func (s *Service) makeAutoNetwork(ctx context.Context, tx *sql.Tx, project string) (string, error) {
	now := nowUTC()
	n := &Network{ID: newUUID(), ProjectID: project, Name: AutoNetworkName, AdminStateUp: true, Status: StatusActive,
		MTU: s.mtu, PortSecurityEnabled: true, AutoAllocated: true, Revision: 1, CreatedAt: now, UpdatedAt: now}
	if err := insertNetwork(ctx, tx, n); err != nil {
		return "", err
	}
	cidr := netip.MustParsePrefix(AutoNetworkCIDR)
	gw := defaultGateway(cidr)
	sn := &Subnet{ID: newUUID(), ProjectID: project, NetworkID: n.ID, Name: AutoSubnetName, IPVersion: 4, CIDR: cidr,
		Gateway: gw, EnableDHCP: true, Pools: defaultPools(cidr, gw), Revision: 1, CreatedAt: now, UpdatedAt: now}
	return n.ID, insertSubnet(ctx, tx, sn)
}

// bindTx makes or binds the ports of reqs, in order.
func (s *Service) bindTx(ctx context.Context, tx *sql.Tx, p *policy.Principal, serverID, host string, reqs []PortRequest, groups []string) ([]*PortRecord, error) {
	sc := scopeOf(p)
	var out []*PortRecord
	for _, r := range reqs {
		var port *PortRecord
		var err error
		if r.PortID != "" {
			port, err = s.bindExisting(ctx, tx, sc, p.ProjectID, serverID, host, r.PortID)
		} else {
			port, err = s.createServerPort(ctx, tx, sc, p, serverID, host, r, groups)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, port)
	}
	return out, nil
}

func (s *Service) bindExisting(ctx context.Context, tx *sql.Tx, sc scope, project, serverID, host, portID string) (*PortRecord, error) {
	port, err := getPort(ctx, tx, sc, portID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, novaErr(fault.NotFound, ErrPortNotFound, "Port id %s could not be found.", portID)
	}
	if err != nil {
		return nil, err
	}
	if port.ProjectID != project {
		return nil, novaErr(fault.Invalid, ErrPortNotUsable, "Port %s not usable for instance %s.", portID, serverID)
	}
	if port.DeviceID != "" {
		return nil, novaErr(fault.Conflict, ErrPortInUse, "Port %s is still in use.", portID)
	}
	if len(port.FixedIPs) == 0 {
		return nil, novaErr(fault.Invalid, ErrPortRequiresFixedIP, "Port %s requires a FixedIP in order to be used.", portID)
	}
	port.DeviceID, port.DeviceOwner, port.HostID = serverID, ComputeDeviceOwner, host
	port.Status = portStatus(port)
	port.Revision++
	port.UpdatedAt = nowUTC()
	return port, updatePortRow(ctx, tx, port)
}

func (s *Service) createServerPort(ctx context.Context, tx *sql.Tx, sc scope, p *policy.Principal, serverID, host string, r PortRequest, groups []string) (*PortRecord, error) {
	n, err := getNetwork(ctx, tx, sc, r.NetworkID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !n.Shared && n.ProjectID != p.ProjectID && !sc.admin) {
		return nil, novaErr(fault.NotFound, ErrNetworkNotFound, "Network %s could not be found.", r.NetworkID)
	}
	if err != nil {
		return nil, err
	}
	if len(n.Subnets) == 0 {
		return nil, novaErr(fault.Invalid, ErrNetworkRequiresSubnet, "Network %s requires a subnet in order to boot instances on.", n.ID)
	}
	if n.External && !n.Shared && !sc.admin {
		return nil, novaErr(fault.Forbidden, ErrExternalNetwork, "It is not allowed to create an interface on external network %s", n.ID)
	}
	f := PortFields{NetworkID: n.ID, DeviceID: &serverID, DeviceOwner: strPtr(ComputeDeviceOwner), HostID: &host}
	if n.PortSecurityEnabled {
		f.SecurityGroups = &groups
	} else {
		f.SecurityGroups = &[]string{}
	}
	if r.FixedIP != "" {
		a, err := netip.ParseAddr(r.FixedIP)
		if err != nil {
			return nil, novaErr(fault.Invalid, ErrInvalidNetworkInput, "Invalid input received: Invalid fixed IP address (%s)", r.FixedIP)
		}
		f.FixedIPs = &[]IPRequest{{IP: a}}
	}
	port, err := s.createPort(ctx, tx, sc, p.ProjectID, f, true)
	switch {
	case err == nil:
		return port, nil
	case errors.Is(err, ErrFixedIPInUse):
		var holder string
		tx.QueryRowContext(ctx, `SELECT p.device_id FROM ip_allocations a JOIN ports p ON p.id = a.port_id
			WHERE a.network_id = $1 AND a.ip_address = $2`, n.ID, r.FixedIP).Scan(&holder)
		return nil, novaErr(fault.Conflict, ErrFixedIPInUse, "Fixed IP address %s is already in use on instance %s.", r.FixedIP, holder)
	case errors.Is(err, ErrInvalidFixedIP):
		return nil, novaErr(fault.Invalid, ErrInvalidFixedIP, "Invalid input received: Fixed IP %s is not a valid ip address for network %s.", r.FixedIP, n.ID)
	case errors.Is(err, ErrNoMoreIPs):
		return nil, novaErr(fault.Invalid, ErrNoMoreIPs, "No fixed IP addresses available for network: %s", n.ID)
	case errors.Is(err, ErrOverQuota):
		return nil, novaErr(fault.Forbidden, ErrOverQuota, "Maximum number of ports exceeded")
	}
	return nil, err
}

// UnbindPorts deletes the ports BindPorts (or AttachPort) created for
// serverID and unbinds the ports the user brought. The compute service has
// already checked p may act on the server; its ports are found by id.
func (s *Service) UnbindPorts(ctx context.Context, p *policy.Principal, serverID string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		ports, err := serverPortRecords(ctx, tx, []string{serverID})
		if err != nil {
			return err
		}
		for _, port := range ports {
			if err := releasePort(ctx, tx, port); err != nil {
				return err
			}
		}
		return nil
	})
}

// releasePort deletes a server-owned port or unbinds a user's port.
func releasePort(ctx context.Context, tx *sql.Tx, port *PortRecord) error {
	if port.ServerOwned {
		return deletePortRows(ctx, tx, port.ID)
	}
	port.DeviceID, port.DeviceOwner, port.HostID = "", "", ""
	port.Status = portStatus(port)
	port.Revision++
	port.UpdatedAt = nowUTC()
	return updatePortRow(ctx, tx, port)
}

// serverPortRecords reads the compute ports of servers.
func serverPortRecords(ctx context.Context, q store.Querier, serverIDs []string) ([]*PortRecord, error) {
	var out []*PortRecord
	err := inChunks(serverIDs, func(ph string, args []any) error {
		ports, err := queryPorts(ctx, q, "SELECT "+portCols+" FROM ports p WHERE p.device_id IN ("+ph+
			") AND p.device_owner LIKE 'compute:%' ORDER BY p.created_at, p.id", args...)
		out = append(out, ports...)
		return err
	})
	return out, err
}

// ServerPorts lists serverID's ports, oldest first, with network names.
func (s *Service) ServerPorts(ctx context.Context, serverID string) ([]Port, error) {
	m, err := s.PortsOfServers(ctx, []string{serverID})
	if err != nil {
		return nil, err
	}
	return m[serverID], nil
}

// PortsOfServers lists the ports of many servers at once (server lists):
// three narrow queries per 256 servers — the ports with their network
// names, their addresses, their groups' names.
func (s *Service) PortsOfServers(ctx context.Context, serverIDs []string) (map[string][]Port, error) {
	out := make(map[string][]Port, len(serverIDs))
	err := inChunks(serverIDs, func(ph string, args []any) error {
		return portsOfServersChunk(ctx, s.r, ph, args, out)
	})
	return out, err
}

func portsOfServersChunk(ctx context.Context, q store.Querier, ph string, args []any, out map[string][]Port) error {
	rows, err := q.QueryContext(ctx, `SELECT p.id, p.network_id, n.name, p.mac_address, p.device_id, p.device_owner, p.status,
		p.fixed_ips, p.security_group_ids FROM ports p JOIN networks n ON n.id = p.network_id WHERE p.device_id IN (`+ph+`)
		AND p.device_owner LIKE 'compute:%' ORDER BY p.created_at, p.id`, args...)
	if err != nil {
		return err
	}
	var ports []*Port
	seen := map[string]bool{}
	groupNames := map[string]string{}
	var groupIDs []string
	for rows.Next() {
		p := &Port{}
		var ips, groups string
		if err := rows.Scan(&p.ID, &p.NetworkID, &p.NetworkName, &p.MACAddress, &p.DeviceID, &p.DeviceOwner, &p.Status, &ips, &groups); err != nil {
			rows.Close()
			return err
		}
		if seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		var err error
		if p.FixedIPs, err = decodeIPs(ips); err != nil {
			rows.Close()
			return fmt.Errorf("port %s fixed ips: %w", p.ID, err)
		}
		if p.SecurityGroups, err = decodeGroups(groups); err != nil {
			rows.Close()
			return fmt.Errorf("port %s security groups: %w", p.ID, err)
		}
		for _, g := range p.SecurityGroups {
			if _, ok := groupNames[g]; !ok {
				groupNames[g] = ""
				groupIDs = append(groupIDs, g)
			}
		}
		ports = append(ports, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// Groups are few (a project's default one, mostly): their names are one
	// more small query.
	if err := namesOf(ctx, q, "security_groups", groupIDs, groupNames); err != nil {
		return err
	}
	for _, p := range ports {
		for i, g := range p.SecurityGroups {
			p.SecurityGroups[i] = groupNames[g]
		}
		if p.SecurityGroups == nil {
			p.SecurityGroups = []string{}
		}
		out[p.DeviceID] = append(out[p.DeviceID], *p)
	}
	return nil
}

// summaries turns port records into Ports with network and group names.
func (s *Service) summaries(ctx context.Context, q store.Querier, ports []*PortRecord) ([]Port, error) {
	netNames, groupNames := map[string]string{}, map[string]string{}
	var netIDs, groupIDs []string
	for _, p := range ports {
		if _, ok := netNames[p.NetworkID]; !ok {
			netNames[p.NetworkID] = ""
			netIDs = append(netIDs, p.NetworkID)
		}
		for _, g := range p.SecurityGroups {
			if _, ok := groupNames[g]; !ok {
				groupNames[g] = ""
				groupIDs = append(groupIDs, g)
			}
		}
	}
	if err := namesOf(ctx, q, "networks", netIDs, netNames); err != nil {
		return nil, err
	}
	if err := namesOf(ctx, q, "security_groups", groupIDs, groupNames); err != nil {
		return nil, err
	}
	out := make([]Port, len(ports))
	for i, p := range ports {
		sg := make([]string, len(p.SecurityGroups))
		for j, g := range p.SecurityGroups {
			sg[j] = groupNames[g]
		}
		out[i] = Port{ID: p.ID, NetworkID: p.NetworkID, NetworkName: netNames[p.NetworkID], MACAddress: p.MACAddress,
			DeviceID: p.DeviceID, DeviceOwner: p.DeviceOwner, Status: p.Status, FixedIPs: p.FixedIPs, SecurityGroups: sg}
	}
	return out, nil
}

func namesOf(ctx context.Context, q store.Querier, table string, ids []string, into map[string]string) error {
	return inChunks(ids, func(ph string, args []any) error {
		rows, err := q.QueryContext(ctx, "SELECT id, name FROM "+table+" WHERE id IN ("+ph+")", args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				return err
			}
			into[id] = name
		}
		return rows.Err()
	})
}

// AttachPort gives a server one more port (os-interface): on the requested
// network, the requested port, or with neither the one network available.
func (s *Service) AttachPort(ctx context.Context, p *policy.Principal, serverID, host string, req PortRequest) (*Port, error) {
	if p == nil || p.ProjectID == "" {
		return nil, fault.Forbiddenf("A project-scoped token is required.")
	}
	var out []*PortRecord
	err := s.txRetry(ctx, func(tx *sql.Tx) error {
		r := req
		if r.PortID == "" && r.NetworkID == "" {
			id, err := s.autoNetwork(ctx, tx, p, false)
			if err != nil {
				return err
			}
			r.NetworkID = id
		}
		groups, err := s.serverGroups(ctx, tx, p.ProjectID, nil)
		if err != nil {
			return err
		}
		out, err = s.bindTx(ctx, tx, p, serverID, host, []PortRequest{r}, groups)
		return err
	})
	if err != nil {
		return nil, err
	}
	sums, err := s.summaries(ctx, s.r, out)
	if err != nil {
		return nil, err
	}
	return &sums[0], nil
}

// DetachPort removes one port from a server: deleted if stratus made it
// for the server, unbound if the user brought it.
func (s *Service) DetachPort(ctx context.Context, p *policy.Principal, serverID, portID string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		port, err := getPort(ctx, tx, scope{admin: true}, portID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && (port.DeviceID != serverID || !strings.HasPrefix(port.DeviceOwner, ownerComputePrefix))) {
			return novaErr(fault.NotFound, ErrPortNotFound, "Port id %s could not be found.", portID)
		}
		if err != nil {
			return err
		}
		return releasePort(ctx, tx, port)
	})
}

// ServerSecurityGroups lists the names of the groups of a server's ports,
// each once, in port order.
func (s *Service) ServerSecurityGroups(ctx context.Context, serverID string) ([]string, error) {
	ports, err := s.ServerPorts(ctx, serverID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range ports {
		for _, g := range p.SecurityGroups {
			if !containsStr(out, g) {
				out = append(out, g)
			}
		}
	}
	return out, nil
}

// AddServerSecurityGroup adds a group (name or id of p's project) to every
// port of a server (Nova's addSecurityGroup).
func (s *Service) AddServerSecurityGroup(ctx context.Context, p *policy.Principal, serverID, group string) error {
	return s.changeServerGroup(ctx, p, serverID, group, true)
}

// RemoveServerSecurityGroup removes a group from a server's ports (Nova's
// removeSecurityGroup).
func (s *Service) RemoveServerSecurityGroup(ctx context.Context, p *policy.Principal, serverID, group string) error {
	return s.changeServerGroup(ctx, p, serverID, group, false)
}

func (s *Service) changeServerGroup(ctx context.Context, p *policy.Principal, serverID, group string, add bool) error {
	if p == nil {
		return fault.Forbiddenf("A project-scoped token is required.")
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if group == DefaultGroupName {
			if _, err := ensureDefaultGroup(ctx, tx, p.ProjectID); err != nil {
				return err
			}
		}
		ids, err := resolveGroups(ctx, tx, p.ProjectID, []string{group})
		if errors.Is(err, ErrSecurityGroupNotFound) {
			return novaErr(fault.NotFound, ErrSecurityGroupNotFound, "Security group %s is not found for project %s", group, p.ProjectID)
		}
		if err != nil {
			return err
		}
		ports, err := serverPortRecords(ctx, tx, []string{serverID})
		if err != nil {
			return err
		}
		if len(ports) == 0 {
			return novaErr(fault.NotFound, ErrServerHasNoPorts, "instance_id %s could not be found as device id on any ports", serverID)
		}
		changed := false
		for _, port := range ports {
			groups := port.SecurityGroups
			if add {
				if !port.PortSecurityEnabled || len(port.FixedIPs) == 0 {
					return novaErr(fault.Invalid, ErrSecurityGroupNotFound, "Network requires port_security_enabled and subnet associated in order to apply security groups.")
				}
				if containsStr(groups, ids[0]) {
					continue
				}
				groups = append(groups, ids[0])
			} else {
				i := indexOf(groups, ids[0])
				if i < 0 {
					continue
				}
				groups = append(append([]string{}, groups[:i]...), groups[i+1:]...)
			}
			if err := setPortSecurityGroups(ctx, tx, port.ID, groups); err != nil {
				return err
			}
			changed = true
		}
		if !add && !changed {
			return novaErr(fault.NotFound, ErrGroupNotOnServer, "Security group %s not associated with the instance %s", group, serverID)
		}
		return nil
	})
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func strPtr(s string) *string { return &s }
