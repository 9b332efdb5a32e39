package network

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/stratus-iaas/stratus/internal/store"
)

const portCols = `p.id, p.project_id, p.network_id, p.name, p.description, p.mac_address, p.admin_state_up, p.status,
	p.device_id, p.device_owner, p.binding_host_id, p.binding_vnic_type, p.binding_profile, p.port_security_enabled,
	p.allowed_address_pairs, p.server_owned, p.tags, p.revision_number, p.created_at, p.updated_at, p.fixed_ips,
	p.security_group_ids`

func scanPort(sc scanner) (*PortRecord, error) {
	var p PortRecord
	var pairs, tags, ips, groups string
	var created, updated int64
	err := sc.Scan(&p.ID, &p.ProjectID, &p.NetworkID, &p.Name, &p.Description, &p.MACAddress, &p.AdminStateUp, &p.Status,
		&p.DeviceID, &p.DeviceOwner, &p.HostID, &p.VNICType, &p.Profile, &p.PortSecurityEnabled, &pairs, &p.ServerOwned,
		&tags, &p.Revision, &created, &updated, &ips, &groups)
	if err != nil {
		return nil, err
	}
	if p.FixedIPs, err = decodeIPs(ips); err != nil {
		return nil, fmt.Errorf("port %s fixed ips: %w", p.ID, err)
	}
	if p.SecurityGroups, err = decodeGroups(groups); err != nil {
		return nil, fmt.Errorf("port %s security groups: %w", p.ID, err)
	}
	if err := fromJSON(pairs, &p.AllowedAddressPairs); err != nil {
		return nil, fmt.Errorf("port %s address pairs: %w", p.ID, err)
	}
	if err := fromJSON(tags, &p.Tags); err != nil {
		return nil, fmt.Errorf("port %s tags: %w", p.ID, err)
	}
	p.CreatedAt, p.UpdatedAt = store.Time(created), store.Time(updated)
	return &p, nil
}

func pairsOrEmpty(v []AddressPair) []AddressPair {
	if v == nil {
		return []AddressPair{}
	}
	return v
}

func insertPortRow(ctx context.Context, tx *sql.Tx, p *PortRecord) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO ports (id, project_id, network_id, name, description, mac_address,
		admin_state_up, status, device_id, device_owner, binding_host_id, binding_vnic_type, binding_profile,
		port_security_enabled, allowed_address_pairs, server_owned, tags, revision_number, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
		p.ID, p.ProjectID, p.NetworkID, p.Name, p.Description, p.MACAddress, p.AdminStateUp, p.Status, p.DeviceID,
		p.DeviceOwner, p.HostID, p.VNICType, p.Profile, p.PortSecurityEnabled, toJSON(pairsOrEmpty(p.AllowedAddressPairs)),
		p.ServerOwned, toJSON(tagsOrEmpty(p.Tags)), p.Revision, p.CreatedAt.UnixMicro(), p.UpdatedAt.UnixMicro())
	return store.Map(err)
}

func updatePortRow(ctx context.Context, tx *sql.Tx, p *PortRecord) error {
	_, err := tx.ExecContext(ctx, `UPDATE ports SET name = $2, description = $3, mac_address = $4, admin_state_up = $5,
		status = $6, device_id = $7, device_owner = $8, binding_host_id = $9, binding_vnic_type = $10,
		binding_profile = $11, port_security_enabled = $12, allowed_address_pairs = $13, server_owned = $14,
		tags = $15, revision_number = $16, updated_at = $17 WHERE id = $1`,
		p.ID, p.Name, p.Description, p.MACAddress, p.AdminStateUp, p.Status, p.DeviceID, p.DeviceOwner, p.HostID,
		p.VNICType, p.Profile, p.PortSecurityEnabled, toJSON(pairsOrEmpty(p.AllowedAddressPairs)), p.ServerOwned,
		toJSON(tagsOrEmpty(p.Tags)), p.Revision, p.UpdatedAt.UnixMicro())
	return store.Map(err)
}

func insertAllocation(ctx context.Context, tx *sql.Tx, portID, netID string, pos int, ip FixedIP) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO ip_allocations (subnet_id, ip_address, port_id, network_id, position)
		VALUES ($1, $2, $3, $4, $5)`, ip.SubnetID, ip.IPAddress, portID, netID, pos)
	if err != nil {
		return store.Map(err)
	}
	return syncPortCache(ctx, tx, portID)
}

func setPortSecurityGroups(ctx context.Context, tx *sql.Tx, portID string, groups []string) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM port_security_groups WHERE port_id = $1", portID); err != nil {
		return err
	}
	for _, g := range groups {
		if _, err := tx.ExecContext(ctx, `INSERT INTO port_security_groups (port_id, security_group_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, portID, g); err != nil {
			return err
		}
	}
	return syncPortCache(ctx, tx, portID)
}

// syncPortCache rewrites a port's copy of its fixed IPs and security group
// ids (migration 0041) from ip_allocations and port_security_groups. Every
// change to either table for a port calls it in the same transaction.
func syncPortCache(ctx context.Context, tx *sql.Tx, portID string) error {
	rows, err := tx.QueryContext(ctx, "SELECT subnet_id, ip_address FROM ip_allocations WHERE port_id = $1 ORDER BY position, ip_address", portID)
	if err != nil {
		return err
	}
	var ips []FixedIP
	for rows.Next() {
		var ip FixedIP
		if err := rows.Scan(&ip.SubnetID, &ip.IPAddress); err != nil {
			rows.Close()
			return err
		}
		ips = append(ips, ip)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = tx.QueryContext(ctx, "SELECT security_group_id FROM port_security_groups WHERE port_id = $1 ORDER BY security_group_id", portID)
	if err != nil {
		return err
	}
	groups := []string{}
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			rows.Close()
			return err
		}
		groups = append(groups, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "UPDATE ports SET fixed_ips = $2, security_group_ids = $3 WHERE id = $1",
		portID, encodeIPs(ips), strings.Join(groups, ","))
	return err
}

// The copies are kept in a compact text form, read far more often than
// written: "subnet-id address" pairs separated by commas, and group ids
// separated by commas. Rows written before used JSON ("[]" when empty,
// the column default), which is still read.
func encodeIPs(ips []FixedIP) string {
	var b strings.Builder
	for i, ip := range ips {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(ip.SubnetID)
		b.WriteByte(' ')
		b.WriteString(ip.IPAddress)
	}
	return b.String()
}

func decodeIPs(s string) ([]FixedIP, error) {
	if s == "" || s == "[]" {
		return []FixedIP{}, nil
	}
	if s[0] == '[' {
		var old []fixedIPWire
		if err := json.Unmarshal([]byte(s), &old); err != nil {
			return nil, err
		}
		out := make([]FixedIP, len(old))
		for i, ip := range old {
			out[i] = FixedIP{SubnetID: ip.SubnetID, IPAddress: ip.IPAddress, Version: ipVersionOf(ip.IPAddress)}
		}
		return out, nil
	}
	out := make([]FixedIP, 0, strings.Count(s, ",")+1)
	for _, pair := range strings.Split(s, ",") {
		sub, addr, ok := strings.Cut(pair, " ")
		if !ok {
			return nil, fmt.Errorf("bad address copy %q", pair)
		}
		out = append(out, FixedIP{SubnetID: sub, IPAddress: addr, Version: ipVersionOf(addr)})
	}
	return out, nil
}

func decodeGroups(s string) ([]string, error) {
	if s == "" || s == "[]" {
		return []string{}, nil
	}
	if s[0] == '[' {
		var out []string
		return out, json.Unmarshal([]byte(s), &out)
	}
	return strings.Split(s, ","), nil
}

// portVisible is when a non-admin project ($1) sees a port (alias p) on
// network n: its own, or any port on a network it owns.
const portVisible = `(p.project_id = $1 OR n.project_id = $1)`

func getPort(ctx context.Context, q store.Querier, sc scope, id string) (*PortRecord, error) {
	var ports []*PortRecord
	var err error
	if sc.admin {
		ports, err = queryPorts(ctx, q, "SELECT "+portCols+" FROM ports p WHERE p.id = $1", id)
	} else {
		ports, err = queryPorts(ctx, q, "SELECT "+portCols+" FROM ports p JOIN networks n ON n.id = p.network_id WHERE p.id = $2 AND "+portVisible, sc.project, id)
	}
	if err != nil {
		return nil, err
	}
	if len(ports) == 0 {
		return nil, store.ErrNotFound
	}
	return ports[0], nil
}

// portFilter narrows a port list in SQL: the filters callers use most
// (Nova by device_id, clients by network_id) never read every port.
type portFilter struct {
	NetworkID, DeviceID, DeviceOwner string
}

func listPorts(ctx context.Context, q store.Querier, sc scope, f portFilter) ([]*PortRecord, error) {
	var where []string
	var args []any
	from := "ports p"
	if !sc.admin {
		from = "ports p JOIN networks n ON n.id = p.network_id"
		args = append(args, sc.project)
		where = append(where, portVisible)
	}
	add := func(col, v string) {
		if v != "" {
			args = append(args, v)
			where = append(where, fmt.Sprintf("%s = $%d", col, len(args)))
		}
	}
	add("p.network_id", f.NetworkID)
	add("p.device_id", f.DeviceID)
	add("p.device_owner", f.DeviceOwner)
	query := "SELECT " + portCols + " FROM " + from
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	return queryPorts(ctx, q, query+" ORDER BY p.created_at, p.id", args...)
}

// queryPorts runs a port query.
func queryPorts(ctx context.Context, q store.Querier, query string, args ...any) ([]*PortRecord, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*PortRecord
	for rows.Next() {
		p, err := scanPort(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func containsIP(ips []FixedIP, ip FixedIP) bool {
	for _, x := range ips {
		if x.SubnetID == ip.SubnetID && x.IPAddress == ip.IPAddress {
			return true
		}
	}
	return false
}

func ipVersionOf(ip string) int {
	if strings.Contains(ip, ":") {
		return 6
	}
	return 4
}

func deletePortRows(ctx context.Context, tx *sql.Tx, id string) error {
	for _, q := range []string{
		"UPDATE floatingips SET port_id = NULL, fixed_ip_address = NULL, router_id = NULL, status = 'DOWN' WHERE port_id = $1",
		"DELETE FROM ip_allocations WHERE port_id = $1",
		"DELETE FROM port_security_groups WHERE port_id = $1",
		"DELETE FROM ports WHERE id = $1",
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return err
		}
	}
	return nil
}

func macTaken(ctx context.Context, q store.Querier, netID, mac string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM ports WHERE network_id = $1 AND mac_address = $2", netID, mac).Scan(&n)
	return n > 0, err
}
