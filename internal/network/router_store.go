package network

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/stratus-iaas/stratus/internal/store"
)

const routerCols = `r.id, r.project_id, r.name, r.description, r.admin_state_up, r.status, r.gw_network_id, r.enable_snat,
	r.routes, r.tags, r.revision_number, r.created_at, r.updated_at`

func scanRouter(sc scanner) (*Router, error) {
	var r Router
	var gw sql.NullString
	var routes, tags string
	var created, updated int64
	if err := sc.Scan(&r.ID, &r.ProjectID, &r.Name, &r.Description, &r.AdminStateUp, &r.Status, &gw, &r.EnableSNAT,
		&routes, &tags, &r.Revision, &created, &updated); err != nil {
		return nil, err
	}
	r.GatewayNetID = gw.String
	if err := fromJSON(routes, &r.Routes); err != nil {
		return nil, fmt.Errorf("router %s routes: %w", r.ID, err)
	}
	if err := fromJSON(tags, &r.Tags); err != nil {
		return nil, fmt.Errorf("router %s tags: %w", r.ID, err)
	}
	r.CreatedAt, r.UpdatedAt = store.Time(created), store.Time(updated)
	return &r, nil
}

func insertRouter(ctx context.Context, tx *sql.Tx, r *Router) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO routers (id, project_id, name, description, admin_state_up, status,
		gw_network_id, enable_snat, routes, tags, revision_number, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		r.ID, r.ProjectID, r.Name, r.Description, r.AdminStateUp, r.Status, nullStr(r.GatewayNetID), r.EnableSNAT,
		toJSON(routesOrEmpty(r.Routes)), toJSON(tagsOrEmpty(r.Tags)), r.Revision, r.CreatedAt.UnixMicro(), r.UpdatedAt.UnixMicro())
	return store.Map(err)
}

func updateRouterRow(ctx context.Context, tx *sql.Tx, r *Router) error {
	_, err := tx.ExecContext(ctx, `UPDATE routers SET name = $2, description = $3, admin_state_up = $4, gw_network_id = $5,
		enable_snat = $6, routes = $7, tags = $8, revision_number = $9, updated_at = $10 WHERE id = $1`,
		r.ID, r.Name, r.Description, r.AdminStateUp, nullStr(r.GatewayNetID), r.EnableSNAT, toJSON(routesOrEmpty(r.Routes)),
		toJSON(tagsOrEmpty(r.Tags)), r.Revision, r.UpdatedAt.UnixMicro())
	return store.Map(err)
}

func getRouter(ctx context.Context, q store.Querier, sc scope, id string) (*Router, error) {
	var rs []*Router
	var err error
	if sc.admin {
		rs, err = queryRouters(ctx, q, "SELECT "+routerCols+" FROM routers r WHERE r.id = $1", id)
	} else {
		rs, err = queryRouters(ctx, q, "SELECT "+routerCols+" FROM routers r WHERE r.id = $2 AND r.project_id = $1", sc.project, id)
	}
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, store.ErrNotFound
	}
	return rs[0], nil
}

func listRouters(ctx context.Context, q store.Querier, sc scope) ([]*Router, error) {
	if sc.admin {
		return queryRouters(ctx, q, "SELECT "+routerCols+" FROM routers r ORDER BY r.created_at, r.id")
	}
	return queryRouters(ctx, q, "SELECT "+routerCols+" FROM routers r WHERE r.project_id = $1 ORDER BY r.created_at, r.id", sc.project)
}

// queryRouters runs a router query and reads each gateway's addresses.
func queryRouters(ctx context.Context, q store.Querier, query string, args ...any) ([]*Router, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []*Router
	var ids []string
	byID := map[string]*Router{}
	for rows.Next() {
		r, err := scanRouter(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
		byID[r.ID] = r
		if r.GatewayNetID != "" {
			ids = append(ids, r.ID)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	err = inChunks(ids, func(ph string, args []any) error {
		ports, err := queryPorts(ctx, q, "SELECT "+portCols+" FROM ports p WHERE p.device_owner = '"+OwnerRouterGateway+
			"' AND p.device_id IN ("+ph+")", args...)
		for _, p := range ports {
			if r := byID[p.DeviceID]; r != nil {
				r.GatewayIPs = append(r.GatewayIPs, p.FixedIPs...)
			}
		}
		return err
	})
	return out, err
}

// routerPorts returns a router's ports of one device owner.
func routerPorts(ctx context.Context, q store.Querier, routerID, owner string) ([]*PortRecord, error) {
	return queryPorts(ctx, q, "SELECT "+portCols+" FROM ports p WHERE p.device_id = $1 AND p.device_owner = $2 ORDER BY p.created_at, p.id", routerID, owner)
}
