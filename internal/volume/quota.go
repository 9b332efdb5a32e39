package volume

import (
	"context"
	"database/sql"
	"errors"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// quotaResources are Cinder's quota keys (besides the per-type ones).
var quotaResources = []string{"volumes", "snapshots", "gigabytes", "backups", "backup_gigabytes", "groups", "per_volume_gigabytes"}

// quotaDefaults are Cinder's defaults (cinder.conf [DEFAULT] quota_*).
var quotaDefaults = map[string]int64{"volumes": 10, "snapshots": 10, "gigabytes": 1000, "backups": 10,
	"backup_gigabytes": 1000, "groups": 10, "per_volume_gigabytes": -1}

// perTypeResources get one key per volume type: volumes_<type>, ...
var perTypeResources = []string{"volumes", "gigabytes", "snapshots"}

// Usage is what a project uses.
type Usage map[string]int64

func quotaRows(ctx context.Context, q store.Querier, table, col, key string) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT resource, hard_limit FROM "+table+" WHERE "+col+" = $1", key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var r string
		var n int64
		if err := rows.Scan(&r, &n); err != nil {
			return nil, err
		}
		out[r] = n
	}
	return out, rows.Err()
}

// classLimits are the defaults overridden by quota class cls.
func classLimits(ctx context.Context, q store.Querier, cls string) (map[string]int64, error) {
	out := map[string]int64{}
	for k, v := range quotaDefaults {
		out[k] = v
	}
	types, err := listTypes(ctx, q)
	if err != nil {
		return nil, err
	}
	for _, t := range types {
		for _, r := range perTypeResources {
			out[r+"_"+t.Name] = -1
		}
	}
	set, err := quotaRows(ctx, q, "volume_quota_classes", "class_name", cls)
	if err != nil {
		return nil, err
	}
	for k, v := range set {
		out[k] = v
	}
	return out, nil
}

// projectLimits are the limits of project: its own, else the default class's.
func projectLimits(ctx context.Context, q store.Querier, project string) (map[string]int64, error) {
	out, err := classLimits(ctx, q, "default")
	if err != nil {
		return nil, err
	}
	set, err := quotaRows(ctx, q, "volume_quotas", "project_id", project)
	if err != nil {
		return nil, err
	}
	for k, v := range set {
		out[k] = v
	}
	return out, nil
}

// projectUsage counts what project's volumes and snapshots use; snapshots
// count toward gigabytes, as in Cinder.
func projectUsage(ctx context.Context, q store.Querier, project string) (Usage, error) {
	u := Usage{}
	rows, err := q.QueryContext(ctx, `SELECT COALESCE(t.name, ''), COUNT(*), COALESCE(SUM(v.size), 0) FROM volumes v
		LEFT JOIN volume_types t ON t.id = v.type_id WHERE v.project_id = $1 GROUP BY t.name`, project)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name string
		var n, gb int64
		if err := rows.Scan(&name, &n, &gb); err != nil {
			rows.Close()
			return nil, err
		}
		u["volumes"] += n
		u["gigabytes"] += gb
		if name != "" {
			u["volumes_"+name] += n
			u["gigabytes_"+name] += gb
		}
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT COALESCE(t.name, ''), COUNT(*), COALESCE(SUM(s.size), 0) FROM volume_snapshots s
		JOIN volumes v ON v.id = s.volume_id LEFT JOIN volume_types t ON t.id = v.type_id
		WHERE s.project_id = $1 GROUP BY t.name`, project)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n, gb int64
		if err := rows.Scan(&name, &n, &gb); err != nil {
			return nil, err
		}
		u["snapshots"] += n
		u["gigabytes"] += gb
		if name != "" {
			u["snapshots_"+name] += n
			u["gigabytes_"+name] += gb
		}
	}
	return u, rows.Err()
}

func quotaError(format string, args ...any) error {
	e := fault.OverLimitf(format, args...)
	e.Header = http.Header{"Retry-After": {"0"}}
	return e
}

// checkQuota refuses, in tx, a change of project's usage by the given
// deltas (a new volume of size GiB, a snapshot, an extension): Cinder's
// quota reservation, counted from the rows. It locks the project's quota
// row first so that concurrent checks of one project take turns.
func checkQuota(ctx context.Context, tx *sql.Tx, project, typeName string, volumes, snapshots, gigabytes, size int64) error {
	if err := lockProject(ctx, tx, project); err != nil {
		return err
	}
	lim, err := projectLimits(ctx, tx, project)
	if err != nil {
		return err
	}
	if size > 0 {
		if l := lim["per_volume_gigabytes"]; l >= 0 && size > l {
			return quotaError("Requested volume size %dG is larger than maximum allowed limit %dG.", size, l)
		}
	}
	u, err := projectUsage(ctx, tx, project)
	if err != nil {
		return err
	}
	over := func(key string, delta int64) bool {
		l, ok := lim[key]
		return delta > 0 && ok && l >= 0 && u[key]+delta > l
	}
	for _, k := range []string{"gigabytes", "gigabytes_" + typeName} {
		if over(k, gigabytes) {
			return quotaError("Requested volume or snapshot exceeds allowed %s quota. Requested %dG, quota is %dG and %dG has been consumed.",
				k, gigabytes, lim[k], u[k])
		}
	}
	for _, k := range []string{"volumes", "volumes_" + typeName} {
		if over(k, volumes) {
			return quotaError("Maximum number of volumes allowed (%d) exceeded for quota '%s'.", lim[k], k)
		}
	}
	for _, k := range []string{"snapshots", "snapshots_" + typeName} {
		if over(k, snapshots) {
			return quotaError("Maximum number of snapshots allowed (%d) exceeded", lim[k])
		}
	}
	return nil
}

// typeNameOf is the name of a volume's type ("" when it has none).
func typeNameOf(ctx context.Context, q store.Querier, typeID string) (string, error) {
	if typeID == "" {
		return "", nil
	}
	t, err := getType(ctx, q, typeID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return t.Name, nil
}

// QuotaSet returns project's limits, with usage when usage is set.
func (s *Service) QuotaSet(ctx context.Context, p *policy.Principal, project string, usage bool) (map[string]int64, Usage, error) {
	if !p.IsAdmin() && p.ProjectID != project {
		return nil, nil, fault.Forbiddenf("Policy doesn't allow volume_extension:quotas:show to be performed.")
	}
	lim, err := projectLimits(ctx, s.r, project)
	if err != nil || !usage {
		return lim, nil, err
	}
	u, err := projectUsage(ctx, s.r, project)
	return lim, u, err
}

// DefaultQuotas are the default limits, as project sees them.
func (s *Service) DefaultQuotas(ctx context.Context, p *policy.Principal, project string) (map[string]int64, error) {
	if !p.IsAdmin() && p.ProjectID != project {
		return nil, fault.Forbiddenf("Policy doesn't allow volume_extension:quotas:show to be performed.")
	}
	return classLimits(ctx, s.r, "default")
}

// QuotaClass is the limits of a quota class.
func (s *Service) QuotaClass(ctx context.Context, class string) (map[string]int64, error) {
	return classLimits(ctx, s.r, class)
}

// SetQuotas sets limits of a project (class "" ) or of a quota class, and
// returns its limits as they now are.
func (s *Service) SetQuotas(ctx context.Context, project, class string, set map[string]int64) (map[string]int64, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if project != "" {
			u, err := projectUsage(ctx, tx, project)
			if err != nil {
				return err
			}
			for k, v := range set {
				if k != "per_volume_gigabytes" && v != -1 && v < u[k] {
					return fault.Invalidf("Quota %s limit must be equal or greater than existing resources. Current usage is %d and the requested limit is %d.", k, u[k], v)
				}
			}
		}
		table, col, key := "volume_quotas", "project_id", project
		if class != "" {
			table, col, key = "volume_quota_classes", "class_name", class
		}
		for k, v := range set {
			_, err := tx.ExecContext(ctx, "INSERT INTO "+table+" ("+col+", resource, hard_limit) VALUES ($1, $2, $3) "+
				"ON CONFLICT ("+col+", resource) DO UPDATE SET hard_limit = $3", key, k, v)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if class != "" {
		return classLimits(ctx, s.r, class)
	}
	return projectLimits(ctx, s.r, project)
}

// ResetQuotas removes a project's own limits (the defaults apply again).
func (s *Service) ResetQuotas(ctx context.Context, project string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM volume_quotas WHERE project_id = $1", project)
		return err
	})
}
