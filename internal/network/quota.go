package network

import (
	"context"
	"database/sql"
	"sort"

	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// defaultQuotas are Neutron's defaults (neutron/conf/quota.py).
var defaultQuotas = map[string]int64{
	"network":             100,
	"subnet":              100,
	"port":                500,
	"router":              10,
	"floatingip":          50,
	"security_group":      10,
	"security_group_rule": 100,
}

// quotaTables counts a project's use of each resource.
var quotaTables = map[string]string{
	"network":             "networks",
	"subnet":              "subnets",
	"port":                "ports",
	"router":              "routers",
	"floatingip":          "floatingips",
	"security_group":      "security_groups",
	"security_group_rule": "security_group_rules",
}

// QuotaResources are the resources with quotas, sorted.
func QuotaResources() []string {
	out := make([]string, 0, len(defaultQuotas))
	for k := range defaultQuotas {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func countUsed(ctx context.Context, q store.Querier, project, resource string) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quotaTables[resource]+" WHERE project_id = $1", project).Scan(&n)
	return n, err
}

// limits are a project's quotas: the defaults with its overrides.
func (s *Service) limits(ctx context.Context, q store.Querier, project string) (map[string]int64, error) {
	out := make(map[string]int64, len(s.quotas))
	for k, v := range s.quotas {
		out[k] = v
	}
	rows, err := q.QueryContext(ctx, "SELECT resource, hard_limit FROM network_quotas WHERE project_id = $1", project)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		var v int64
		if err := rows.Scan(&r, &v); err != nil {
			return nil, err
		}
		out[r] = v
	}
	return out, rows.Err()
}

// checkQuota fails with Neutron's OverQuota when project would exceed its
// quota of resource by making n more.
func (s *Service) checkQuota(ctx context.Context, tx *sql.Tx, project, resource string, n int64) error {
	if project == "" {
		return nil // resources Neutron makes for itself (floating IP ports)
	}
	var limit int64
	err := tx.QueryRowContext(ctx, "SELECT hard_limit FROM network_quotas WHERE project_id = $1 AND resource = $2", project, resource).Scan(&limit)
	if err == sql.ErrNoRows {
		limit, err = s.quotas[resource], nil
	}
	if err != nil {
		return err
	}
	if limit < 0 {
		return nil
	}
	used, err := countUsed(ctx, tx, project, resource)
	if err != nil {
		return err
	}
	if used+n > limit {
		return overQuota(resource)
	}
	return nil
}

// QuotaUsage is one resource's limit and use.
type QuotaUsage struct {
	Limit, Used, Reserved int64
}

// Quota returns a project's quotas. A non-admin may read only its own.
func (s *Service) Quota(ctx context.Context, p *policy.Principal, project string) (map[string]int64, error) {
	if !scopeOf(p).owns(project) {
		return nil, notAuthorized("rule:get_quota")
	}
	return s.limits(ctx, s.r, project)
}

// DefaultQuota returns the default quotas.
func (s *Service) DefaultQuota() map[string]int64 {
	out := make(map[string]int64, len(s.quotas))
	for k, v := range s.quotas {
		out[k] = v
	}
	return out
}

// QuotaDetails returns limits and current use of a project.
func (s *Service) QuotaDetails(ctx context.Context, p *policy.Principal, project string) (map[string]QuotaUsage, error) {
	lim, err := s.Quota(ctx, p, project)
	if err != nil {
		return nil, err
	}
	out := map[string]QuotaUsage{}
	for r, l := range lim {
		used, err := countUsed(ctx, s.r, project, r)
		if err != nil {
			return nil, err
		}
		out[r] = QuotaUsage{Limit: l, Used: used}
	}
	return out, nil
}

// ProjectsWithQuotas lists the projects that have quota overrides (admin).
func (s *Service) ProjectsWithQuotas(ctx context.Context) (map[string]map[string]int64, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT DISTINCT project_id FROM network_quotas ORDER BY project_id")
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := map[string]map[string]int64{}
	for _, id := range ids {
		l, err := s.limits(ctx, s.r, id)
		if err != nil {
			return nil, err
		}
		out[id] = l
	}
	return out, rows.Err()
}

// UpdateQuota sets a project's limits (admin).
func (s *Service) UpdateQuota(ctx context.Context, project string, set map[string]int64) (map[string]int64, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for r, v := range set {
			if _, err := tx.ExecContext(ctx, `INSERT INTO network_quotas (project_id, resource, hard_limit) VALUES ($1, $2, $3)
				ON CONFLICT (project_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit`, project, r, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.limits(ctx, s.r, project)
}

// ResetQuota returns a project to the default quotas (admin).
func (s *Service) ResetQuota(ctx context.Context, project string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM network_quotas WHERE project_id = $1", project)
		return err
	})
}
