package network

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/stratus-iaas/stratus/internal/store"
)

const fipCols = `f.id, f.project_id, f.floating_network_id, f.floating_ip_address, f.floating_port_id, f.port_id,
	f.fixed_ip_address, f.router_id, f.status, f.description, f.tags, f.revision_number, f.created_at, f.updated_at`

func scanFIP(sc scanner) (*FloatingIP, error) {
	var f FloatingIP
	var port, fixed, router sql.NullString
	var tags string
	var created, updated int64
	if err := sc.Scan(&f.ID, &f.ProjectID, &f.FloatingNetworkID, &f.FloatingIPAddress, &f.FloatingPortID, &port, &fixed,
		&router, &f.Status, &f.Description, &tags, &f.Revision, &created, &updated); err != nil {
		return nil, err
	}
	f.PortID, f.FixedIPAddress, f.RouterID = port.String, fixed.String, router.String
	if err := fromJSON(tags, &f.Tags); err != nil {
		return nil, fmt.Errorf("floating IP %s tags: %w", f.ID, err)
	}
	f.CreatedAt, f.UpdatedAt = store.Time(created), store.Time(updated)
	return &f, nil
}

func insertFIP(ctx context.Context, tx *sql.Tx, f *FloatingIP) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO floatingips (id, project_id, floating_network_id, floating_ip_address,
		floating_port_id, port_id, fixed_ip_address, router_id, status, description, tags, revision_number, created_at,
		updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		f.ID, f.ProjectID, f.FloatingNetworkID, f.FloatingIPAddress, f.FloatingPortID, nullStr(f.PortID),
		nullStr(f.FixedIPAddress), nullStr(f.RouterID), f.Status, f.Description, toJSON(tagsOrEmpty(f.Tags)), f.Revision,
		f.CreatedAt.UnixMicro(), f.UpdatedAt.UnixMicro())
	return store.Map(err)
}

func updateFIPRow(ctx context.Context, tx *sql.Tx, f *FloatingIP) error {
	_, err := tx.ExecContext(ctx, `UPDATE floatingips SET port_id = $2, fixed_ip_address = $3, router_id = $4, status = $5,
		description = $6, tags = $7, revision_number = $8, updated_at = $9 WHERE id = $1`,
		f.ID, nullStr(f.PortID), nullStr(f.FixedIPAddress), nullStr(f.RouterID), f.Status, f.Description,
		toJSON(tagsOrEmpty(f.Tags)), f.Revision, f.UpdatedAt.UnixMicro())
	return store.Map(err)
}

func getFIP(ctx context.Context, q store.Querier, sc scope, id string) (*FloatingIP, error) {
	var row *sql.Row
	if sc.admin {
		row = q.QueryRowContext(ctx, "SELECT "+fipCols+" FROM floatingips f WHERE f.id = $1", id)
	} else {
		row = q.QueryRowContext(ctx, "SELECT "+fipCols+" FROM floatingips f WHERE f.id = $2 AND f.project_id = $1", sc.project, id)
	}
	f, err := scanFIP(row)
	return f, store.Map(err)
}

func listFIPs(ctx context.Context, q store.Querier, sc scope) ([]*FloatingIP, error) {
	var rows *sql.Rows
	var err error
	if sc.admin {
		rows, err = q.QueryContext(ctx, "SELECT "+fipCols+" FROM floatingips f ORDER BY f.created_at, f.id")
	} else {
		rows, err = q.QueryContext(ctx, "SELECT "+fipCols+" FROM floatingips f WHERE f.project_id = $1 ORDER BY f.created_at, f.id", sc.project)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*FloatingIP
	for rows.Next() {
		f, err := scanFIP(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
