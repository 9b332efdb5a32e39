package network

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"

	"github.com/stratus-iaas/stratus/internal/store"
)

const subnetCols = `s.id, s.project_id, s.network_id, s.name, s.description, s.ip_version, s.cidr, s.gateway_ip,
	s.enable_dhcp, s.ipv6_ra_mode, s.ipv6_address_mode, s.allocation_pools, s.dns_nameservers, s.host_routes,
	s.next_ip, s.tags, s.revision_number, s.created_at, s.updated_at`

type poolJSON struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

func poolsToJSON(pools []Pool) string {
	out := make([]poolJSON, len(pools))
	for i, p := range pools {
		out[i] = poolJSON{p.Start.String(), p.End.String()}
	}
	return toJSON(out)
}

func scanSubnet(sc scanner) (*Subnet, error) {
	var s Subnet
	var cidr, pools, dns, routes, tags string
	var gw, ra, am sql.NullString
	var created, updated int64
	err := sc.Scan(&s.ID, &s.ProjectID, &s.NetworkID, &s.Name, &s.Description, &s.IPVersion, &cidr, &gw,
		&s.EnableDHCP, &ra, &am, &pools, &dns, &routes, &s.nextIP, &tags, &s.Revision, &created, &updated)
	if err != nil {
		return nil, err
	}
	if s.CIDR, err = netip.ParsePrefix(cidr); err != nil {
		return nil, fmt.Errorf("subnet %s cidr: %w", s.ID, err)
	}
	if gw.Valid {
		if s.Gateway, err = netip.ParseAddr(gw.String); err != nil {
			return nil, fmt.Errorf("subnet %s gateway: %w", s.ID, err)
		}
	}
	s.IPv6RAMode, s.IPv6AddressMode = ra.String, am.String
	var pj []poolJSON
	if err := fromJSON(pools, &pj); err != nil {
		return nil, fmt.Errorf("subnet %s pools: %w", s.ID, err)
	}
	for _, p := range pj {
		a, err1 := netip.ParseAddr(p.Start)
		b, err2 := netip.ParseAddr(p.End)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("subnet %s pool %v", s.ID, p)
		}
		s.Pools = append(s.Pools, Pool{a, b})
	}
	if err := fromJSON(dns, &s.DNSNameservers); err != nil {
		return nil, fmt.Errorf("subnet %s dns: %w", s.ID, err)
	}
	if err := fromJSON(routes, &s.HostRoutes); err != nil {
		return nil, fmt.Errorf("subnet %s routes: %w", s.ID, err)
	}
	if err := fromJSON(tags, &s.Tags); err != nil {
		return nil, fmt.Errorf("subnet %s tags: %w", s.ID, err)
	}
	s.CreatedAt, s.UpdatedAt = store.Time(created), store.Time(updated)
	return &s, nil
}

func nullAddr(a netip.Addr) any {
	if !a.IsValid() {
		return nil
	}
	return a.String()
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func insertSubnet(ctx context.Context, tx *sql.Tx, s *Subnet) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO subnets (id, project_id, network_id, name, description, ip_version, cidr,
		gateway_ip, enable_dhcp, ipv6_ra_mode, ipv6_address_mode, allocation_pools, dns_nameservers, host_routes,
		next_ip, tags, revision_number, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		s.ID, s.ProjectID, s.NetworkID, s.Name, s.Description, s.IPVersion, s.CIDR.String(), nullAddr(s.Gateway),
		s.EnableDHCP, nullStr(s.IPv6RAMode), nullStr(s.IPv6AddressMode), poolsToJSON(s.Pools),
		toJSON(stringsOrEmpty(s.DNSNameservers)), toJSON(routesOrEmpty(s.HostRoutes)), s.nextIP,
		toJSON(tagsOrEmpty(s.Tags)), s.Revision, s.CreatedAt.UnixMicro(), s.UpdatedAt.UnixMicro())
	return store.Map(err)
}

func updateSubnetRow(ctx context.Context, tx *sql.Tx, s *Subnet) error {
	_, err := tx.ExecContext(ctx, `UPDATE subnets SET name = $2, description = $3, gateway_ip = $4, enable_dhcp = $5,
		allocation_pools = $6, dns_nameservers = $7, host_routes = $8, tags = $9, revision_number = $10, updated_at = $11
		WHERE id = $1`,
		s.ID, s.Name, s.Description, nullAddr(s.Gateway), s.EnableDHCP, poolsToJSON(s.Pools),
		toJSON(stringsOrEmpty(s.DNSNameservers)), toJSON(routesOrEmpty(s.HostRoutes)), toJSON(tagsOrEmpty(s.Tags)),
		s.Revision, s.UpdatedAt.UnixMicro())
	return store.Map(err)
}

func stringsOrEmpty(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func routesOrEmpty(v []HostRoute) []HostRoute {
	if v == nil {
		return []HostRoute{}
	}
	return v
}

// subnetVisible is when a non-admin project ($1) sees a subnet (alias s)
// on network n: its own, or one on a shared network. Another project's
// external network is visible, its subnets are not (as tempest checks).
const subnetVisible = `(s.project_id = $1 OR n.shared)`

func getSubnet(ctx context.Context, q store.Querier, sc scope, id string) (*Subnet, error) {
	var row *sql.Row
	if sc.admin {
		row = q.QueryRowContext(ctx, "SELECT "+subnetCols+" FROM subnets s WHERE s.id = $1", id)
	} else {
		row = q.QueryRowContext(ctx, "SELECT "+subnetCols+" FROM subnets s JOIN networks n ON n.id = s.network_id WHERE s.id = $2 AND "+subnetVisible, sc.project, id)
	}
	s, err := scanSubnet(row)
	return s, store.Map(err)
}

// subnetsOfNetwork returns every subnet of a network, oldest first.
func subnetsOfNetwork(ctx context.Context, q store.Querier, netID string) ([]*Subnet, error) {
	return querySubnets(ctx, q, "SELECT "+subnetCols+" FROM subnets s WHERE s.network_id = $1 ORDER BY s.created_at, s.id", netID)
}

func listSubnets(ctx context.Context, q store.Querier, sc scope) ([]*Subnet, error) {
	if sc.admin {
		return querySubnets(ctx, q, "SELECT "+subnetCols+" FROM subnets s ORDER BY s.created_at, s.id")
	}
	return querySubnets(ctx, q, "SELECT "+subnetCols+" FROM subnets s JOIN networks n ON n.id = s.network_id WHERE "+
		subnetVisible+" ORDER BY s.created_at, s.id", sc.project)
}

func querySubnets(ctx context.Context, q store.Querier, query string, args ...any) ([]*Subnet, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Subnet
	for rows.Next() {
		s, err := scanSubnet(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func setNextIP(ctx context.Context, tx *sql.Tx, subnetID, next string) error {
	_, err := tx.ExecContext(ctx, "UPDATE subnets SET next_ip = $2 WHERE id = $1", subnetID, next)
	return err
}

// allocationCount is the number of addresses taken in a subnet.
func allocationCount(ctx context.Context, q store.Querier, subnetID string) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM ip_allocations WHERE subnet_id = $1", subnetID).Scan(&n)
	return n, err
}

func ipTaken(ctx context.Context, q store.Querier, subnetID, ip string) (portID string, err error) {
	err = q.QueryRowContext(ctx, "SELECT port_id FROM ip_allocations WHERE subnet_id = $1 AND ip_address = $2", subnetID, ip).Scan(&portID)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return portID, err
}

func takenSet(ctx context.Context, q store.Querier, subnetID string) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, "SELECT ip_address FROM ip_allocations WHERE subnet_id = $1", subnetID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var ip string
		if err := rows.Scan(&ip); err != nil {
			return nil, err
		}
		out[ip] = true
	}
	return out, rows.Err()
}
