package network

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/stratus-iaas/stratus/internal/store"
)

type scanner interface{ Scan(dest ...any) error }

func toJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own plain types are stored
	}
	return string(b)
}

func fromJSON(s string, v any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

func tagsOrEmpty(t []string) []string {
	if t == nil {
		return []string{}
	}
	return t
}

const networkCols = `id, project_id, name, description, admin_state_up, status, shared, external, mtu,
	port_security_enabled, auto_allocated, tags, revision_number, created_at, updated_at`

func scanNetwork(sc scanner) (*Network, error) {
	var n Network
	var tags string
	var created, updated int64
	err := sc.Scan(&n.ID, &n.ProjectID, &n.Name, &n.Description, &n.AdminStateUp, &n.Status, &n.Shared, &n.External,
		&n.MTU, &n.PortSecurityEnabled, &n.AutoAllocated, &tags, &n.Revision, &created, &updated)
	if err != nil {
		return nil, err
	}
	if err := fromJSON(tags, &n.Tags); err != nil {
		return nil, fmt.Errorf("network %s tags: %w", n.ID, err)
	}
	n.CreatedAt, n.UpdatedAt = store.Time(created), store.Time(updated)
	return &n, nil
}

func insertNetwork(ctx context.Context, tx *sql.Tx, n *Network) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO networks (`+networkCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		n.ID, n.ProjectID, n.Name, n.Description, n.AdminStateUp, n.Status, n.Shared, n.External, n.MTU,
		n.PortSecurityEnabled, n.AutoAllocated, toJSON(tagsOrEmpty(n.Tags)), n.Revision, n.CreatedAt.UnixMicro(), n.UpdatedAt.UnixMicro())
	return store.Map(err)
}

func updateNetworkRow(ctx context.Context, tx *sql.Tx, n *Network) error {
	_, err := tx.ExecContext(ctx, `UPDATE networks SET name = $2, description = $3, admin_state_up = $4, shared = $5,
		external = $6, mtu = $7, port_security_enabled = $8, tags = $9, revision_number = $10, updated_at = $11 WHERE id = $1`,
		n.ID, n.Name, n.Description, n.AdminStateUp, n.Shared, n.External, n.MTU, n.PortSecurityEnabled,
		toJSON(tagsOrEmpty(n.Tags)), n.Revision, n.UpdatedAt.UnixMicro())
	return store.Map(err)
}

// networkVisible is the condition under which a non-admin project ($1)
// sees a network (alias n): its own, shared, or external.
const networkVisible = `(n.project_id = $1 OR n.shared OR n.external)`

// getNetwork reads a network the scope may see, with its subnet ids.
func getNetwork(ctx context.Context, q store.Querier, sc scope, id string) (*Network, error) {
	var row *sql.Row
	if sc.admin {
		row = q.QueryRowContext(ctx, "SELECT "+networkCols+" FROM networks n WHERE id = $1", id)
	} else {
		row = q.QueryRowContext(ctx, "SELECT "+networkCols+" FROM networks n WHERE id = $2 AND "+networkVisible, sc.project, id)
	}
	n, err := scanNetwork(row)
	if err != nil {
		return nil, store.Map(err)
	}
	subs, err := subnetIDsOf(ctx, q, []string{n.ID})
	if err != nil {
		return nil, err
	}
	n.Subnets = subs[n.ID]
	return n, nil
}

// listNetworks returns every network the scope sees, oldest first, with
// their subnet ids.
func listNetworks(ctx context.Context, q store.Querier, sc scope) ([]*Network, error) {
	if sc.admin {
		return queryNetworks(ctx, q, "SELECT "+networkCols+" FROM networks n ORDER BY created_at, id")
	}
	return queryNetworks(ctx, q, "SELECT "+networkCols+" FROM networks n WHERE "+networkVisible+" ORDER BY created_at, id", sc.project)
}

// queryNetworks runs a network query and reads the networks' subnet ids.
func queryNetworks(ctx context.Context, q store.Querier, query string, args ...any) ([]*Network, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []*Network
	for rows.Next() {
		n, err := scanNetwork(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ids := make([]string, len(out))
	for i, n := range out {
		ids[i] = n.ID
	}
	subs, err := subnetIDsOf(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	for _, n := range out {
		n.Subnets = subs[n.ID]
	}
	return out, nil
}

// subnetIDsOf maps network ids to their subnet ids, oldest first.
func subnetIDsOf(ctx context.Context, q store.Querier, netIDs []string) (map[string][]string, error) {
	out := map[string][]string{}
	err := inChunks(netIDs, func(ph string, args []any) error {
		rows, err := q.QueryContext(ctx, "SELECT network_id, id FROM subnets WHERE network_id IN ("+ph+") ORDER BY created_at, id", args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var net, id string
			if err := rows.Scan(&net, &id); err != nil {
				return err
			}
			out[net] = append(out[net], id)
		}
		return rows.Err()
	})
	return out, err
}

// inChunks calls fn with "$1,...,$k" and the arguments for successive
// chunks of ids. Chunk sizes are powers of two (the last chunk is padded
// by repeating an id), so that few query texts reach the statement cache.
func inChunks(ids []string, fn func(ph string, args []any) error) error {
	const max = 256
	for len(ids) > 0 {
		n := 1
		for n < len(ids) && n < max {
			n *= 2
		}
		args := make([]any, n)
		for i := range args {
			if i < len(ids) {
				args[i] = ids[i]
			} else {
				args[i] = ids[len(ids)-1]
			}
		}
		if err := fn(placeholders(1, n), args); err != nil {
			return err
		}
		if n >= len(ids) {
			break
		}
		ids = ids[n:]
	}
	return nil
}

func placeholders(from, n int) string {
	b := make([]byte, 0, n*4)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '$')
		b = fmt.Appendf(b, "%d", from+i)
	}
	return string(b)
}

// networkInUse reports whether a network has ports other than those
// Neutron deletes with it (DHCP ports, floating IPs' ports).
func networkInUse(ctx context.Context, tx *sql.Tx, id string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM ports WHERE network_id = $1 AND device_owner NOT IN ($2, $3)",
		id, OwnerDHCP, OwnerFloatingIP).Scan(&n)
	return n > 0, err
}

func deleteNetworkRows(ctx context.Context, tx *sql.Tx, id string) error {
	for _, q := range []string{
		"DELETE FROM ports WHERE network_id = $1",
		"DELETE FROM ip_allocations WHERE network_id = $1",
		"DELETE FROM subnets WHERE network_id = $1",
		"DELETE FROM networks WHERE id = $1",
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return err
		}
	}
	return nil
}
