package network

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/stratus-iaas/stratus/internal/store"
)

const sgCols = `g.id, g.project_id, g.name, g.description, g.stateful, g.tags, g.revision_number, g.created_at, g.updated_at`

func scanGroup(sc scanner) (*SecurityGroup, error) {
	var g SecurityGroup
	var tags string
	var created, updated int64
	if err := sc.Scan(&g.ID, &g.ProjectID, &g.Name, &g.Description, &g.Stateful, &tags, &g.Revision, &created, &updated); err != nil {
		return nil, err
	}
	if err := fromJSON(tags, &g.Tags); err != nil {
		return nil, fmt.Errorf("security group %s tags: %w", g.ID, err)
	}
	g.CreatedAt, g.UpdatedAt = store.Time(created), store.Time(updated)
	g.Rules = []SecurityGroupRule{}
	return &g, nil
}

const ruleCols = `r.id, r.project_id, r.security_group_id, r.direction, r.ethertype, r.protocol, r.port_range_min,
	r.port_range_max, r.remote_ip_prefix, r.remote_group_id, r.description, r.revision_number, r.created_at, r.updated_at`

func scanRule(sc scanner) (*SecurityGroupRule, error) {
	var r SecurityGroupRule
	var proto, prefix, remote sql.NullString
	var pmin, pmax sql.NullInt64
	var created, updated int64
	if err := sc.Scan(&r.ID, &r.ProjectID, &r.SecurityGroupID, &r.Direction, &r.Ethertype, &proto, &pmin, &pmax,
		&prefix, &remote, &r.Description, &r.Revision, &created, &updated); err != nil {
		return nil, err
	}
	r.Protocol, r.RemoteIPPrefix, r.RemoteGroupID = proto.String, prefix.String, remote.String
	if pmin.Valid {
		v := int(pmin.Int64)
		r.PortRangeMin = &v
	}
	if pmax.Valid {
		v := int(pmax.Int64)
		r.PortRangeMax = &v
	}
	r.CreatedAt, r.UpdatedAt = store.Time(created), store.Time(updated)
	return &r, nil
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func insertGroup(ctx context.Context, tx *sql.Tx, g *SecurityGroup) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO security_groups (id, project_id, name, description, stateful, tags,
		revision_number, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		g.ID, g.ProjectID, g.Name, g.Description, g.Stateful, toJSON(tagsOrEmpty(g.Tags)), g.Revision,
		g.CreatedAt.UnixMicro(), g.UpdatedAt.UnixMicro())
	return store.Map(err)
}

func updateGroupRow(ctx context.Context, tx *sql.Tx, g *SecurityGroup) error {
	_, err := tx.ExecContext(ctx, `UPDATE security_groups SET name = $2, description = $3, stateful = $4, tags = $5,
		revision_number = $6, updated_at = $7 WHERE id = $1`,
		g.ID, g.Name, g.Description, g.Stateful, toJSON(tagsOrEmpty(g.Tags)), g.Revision, g.UpdatedAt.UnixMicro())
	return store.Map(err)
}

func insertRule(ctx context.Context, tx *sql.Tx, r *SecurityGroupRule) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO security_group_rules (id, project_id, security_group_id, direction,
		ethertype, protocol, port_range_min, port_range_max, remote_ip_prefix, remote_group_id, description,
		revision_number, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		r.ID, r.ProjectID, r.SecurityGroupID, r.Direction, r.Ethertype, nullStr(r.Protocol), nullInt(r.PortRangeMin),
		nullInt(r.PortRangeMax), nullStr(r.RemoteIPPrefix), nullStr(r.RemoteGroupID), r.Description, r.Revision,
		r.CreatedAt.UnixMicro(), r.UpdatedAt.UnixMicro())
	return store.Map(err)
}

// groupVisible: a non-admin project ($1) sees its own groups.
const groupVisible = `g.project_id = $1`

func getGroup(ctx context.Context, q store.Querier, sc scope, id string) (*SecurityGroup, error) {
	var gs []*SecurityGroup
	var err error
	if sc.admin {
		gs, err = queryGroups(ctx, q, "SELECT "+sgCols+" FROM security_groups g WHERE g.id = $1", id)
	} else {
		gs, err = queryGroups(ctx, q, "SELECT "+sgCols+" FROM security_groups g WHERE g.id = $2 AND "+groupVisible, sc.project, id)
	}
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, store.ErrNotFound
	}
	return gs[0], nil
}

func listGroups(ctx context.Context, q store.Querier, sc scope) ([]*SecurityGroup, error) {
	if sc.admin {
		return queryGroups(ctx, q, "SELECT "+sgCols+" FROM security_groups g ORDER BY g.created_at, g.id")
	}
	return queryGroups(ctx, q, "SELECT "+sgCols+" FROM security_groups g WHERE "+groupVisible+" ORDER BY g.created_at, g.id", sc.project)
}

// queryGroups runs a group query and reads the groups' rules.
func queryGroups(ctx context.Context, q store.Querier, query string, args ...any) ([]*SecurityGroup, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []*SecurityGroup
	byID := map[string]*SecurityGroup{}
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, g)
		byID[g.ID] = g
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ids := make([]string, len(out))
	for i, g := range out {
		ids[i] = g.ID
	}
	err = inChunks(ids, func(ph string, args []any) error {
		rows, err := q.QueryContext(ctx, "SELECT "+ruleCols+" FROM security_group_rules r WHERE r.security_group_id IN ("+ph+") ORDER BY r.created_at, r.id", args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRule(rows)
			if err != nil {
				return err
			}
			if g := byID[r.SecurityGroupID]; g != nil {
				g.Rules = append(g.Rules, *r)
			}
		}
		return rows.Err()
	})
	return out, err
}

// ruleVisible: a non-admin project ($1) sees its own rules and every rule
// of its groups.
const ruleVisible = `(r.project_id = $1 OR g.project_id = $1)`

func getRule(ctx context.Context, q store.Querier, sc scope, id string) (*SecurityGroupRule, error) {
	var row *sql.Row
	if sc.admin {
		row = q.QueryRowContext(ctx, "SELECT "+ruleCols+" FROM security_group_rules r WHERE r.id = $1", id)
	} else {
		row = q.QueryRowContext(ctx, "SELECT "+ruleCols+` FROM security_group_rules r JOIN security_groups g
			ON g.id = r.security_group_id WHERE r.id = $2 AND `+ruleVisible, sc.project, id)
	}
	r, err := scanRule(row)
	return r, store.Map(err)
}

func listRules(ctx context.Context, q store.Querier, sc scope) ([]*SecurityGroupRule, error) {
	var rows *sql.Rows
	var err error
	if sc.admin {
		rows, err = q.QueryContext(ctx, "SELECT "+ruleCols+" FROM security_group_rules r ORDER BY r.created_at, r.id")
	} else {
		rows, err = q.QueryContext(ctx, "SELECT "+ruleCols+` FROM security_group_rules r JOIN security_groups g
			ON g.id = r.security_group_id WHERE `+ruleVisible+" ORDER BY r.created_at, r.id", sc.project)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*SecurityGroupRule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// defaultGroupID is the id of a project's default group, "" before it exists.
func defaultGroupID(ctx context.Context, q store.Querier, project string) (string, error) {
	var id string
	err := q.QueryRowContext(ctx, "SELECT security_group_id FROM default_security_groups WHERE project_id = $1", project).Scan(&id)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return id, err
}

func groupInUse(ctx context.Context, q store.Querier, id string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM port_security_groups WHERE security_group_id = $1", id).Scan(&n)
	return n > 0, err
}
