package compute

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// quotaResources are Nova's quota resources in its order
// (nova/quota.py); the last four are network quotas, shown before 2.36.
var quotaResources = []string{
	"instances", "cores", "ram", "metadata_items", "injected_files",
	"injected_file_content_bytes", "injected_file_path_bytes", "key_pairs",
	"server_groups", "server_group_members",
	"fixed_ips", "floating_ips", "security_groups", "security_group_rules",
}

// QuotaDefaults are Nova's default limits ([quota] options); -1 is
// unlimited.
func QuotaDefaults() map[string]int64 {
	return map[string]int64{
		"instances": 10, "cores": 20, "ram": 51200, "metadata_items": 128, "injected_files": 5,
		"injected_file_content_bytes": 10240, "injected_file_path_bytes": 255, "key_pairs": 100,
		"server_groups": 10, "server_group_members": 10,
		"fixed_ips": -1, "floating_ips": 10, "security_groups": 10, "security_group_rules": 20,
	}
}

// filteredQuotas are the resources a microversion no longer shows.
func filteredQuotas(minor int) map[string]bool {
	f := map[string]bool{}
	if minor >= 36 {
		for _, k := range []string{"fixed_ips", "floating_ips", "security_groups", "security_group_rules"} {
			f[k] = true
		}
	}
	if minor >= 57 {
		for _, k := range []string{"injected_files", "injected_file_content_bytes", "injected_file_path_bytes"} {
			f[k] = true
		}
	}
	return f
}

// limitRows reads the limits set for project (and user, when not "").
func limitRows(ctx context.Context, q store.Querier, project, user string) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT user_id, resource, hard_limit FROM compute_quotas WHERE project_id = $1 AND (user_id = '' OR user_id = $2)`, project, user)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	proj, usr := map[string]int64{}, map[string]int64{}
	for rows.Next() {
		var u, res string
		var n int64
		if err := rows.Scan(&u, &res, &n); err != nil {
			return nil, err
		}
		if u == "" {
			proj[res] = n
		} else {
			usr[res] = n
		}
	}
	for k, v := range usr {
		proj[k] = v
	}
	return proj, rows.Err()
}

// Limits are the effective limits of a project (and user): the set ones
// over the defaults.
func (s *Service) Limits(ctx context.Context, project, user string) (map[string]int64, error) {
	set, err := limitRows(ctx, s.r, project, user)
	if err != nil {
		return nil, err
	}
	out, err := s.defaultQuotas(ctx, s.r)
	if err != nil {
		return nil, err
	}
	for k, v := range set {
		out[k] = v
	}
	return out, nil
}

// userLimit is one effective limit.
func (s *Service) userLimit(ctx context.Context, project, user, resource string) (int64, error) {
	l, err := s.Limits(ctx, project, user)
	if err != nil {
		return 0, err
	}
	return l[resource], nil
}

// Usage counts what a project (or one user in it) uses of the counted
// resources.
func (s *Service) Usage(ctx context.Context, q store.Querier, project, user string) (map[string]int64, error) {
	u := map[string]int64{}
	var n, cores, ram int64
	where, args := `project_id = $1 AND deleted_at = 0`, []any{project}
	if user != "" {
		where += ` AND user_id = $2`
		args = append(args, user)
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(vcpus), 0), COALESCE(SUM(memory_mb), 0) FROM compute_servers WHERE `+where, args...).Scan(&n, &cores, &ram); err != nil {
		return nil, err
	}
	u["instances"], u["cores"], u["ram"] = n, cores, ram
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM compute_server_groups WHERE `+strings.Replace(where, " AND deleted_at = 0", "", 1), args...).Scan(&n); err != nil {
		return nil, err
	}
	u["server_groups"] = n
	if user != "" {
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM compute_keypairs WHERE user_id = $1`, user).Scan(&n); err != nil {
			return nil, err
		}
		u["key_pairs"] = n
	}
	return u, nil
}

// checkServerQuota refuses count more servers of vcpus and ram each, as
// Nova's TooManyInstances (403 on create).
func (s *Service) checkServerQuota(ctx context.Context, tx *sql.Tx, project, user string, count, vcpus, ram int64) error {
	limits, err := s.Limits(ctx, project, user)
	if err != nil {
		return err
	}
	used, err := s.Usage(ctx, tx, project, "")
	if err != nil {
		return err
	}
	req := map[string]int64{"instances": count, "cores": vcpus * count, "ram": ram * count}
	var over []string
	for _, k := range []string{"instances", "cores", "ram"} {
		if l := limits[k]; l >= 0 && used[k]+req[k] > l {
			over = append(over, k)
		}
	}
	if len(over) == 0 {
		return nil
	}
	sort.Strings(over)
	o := strings.Join(over, ", ")
	var rq, us, al []string
	for _, k := range over {
		rq, us, al = append(rq, fmt.Sprint(req[k])), append(us, fmt.Sprint(used[k])), append(al, fmt.Sprint(limits[k]))
	}
	return fault.Forbiddenf("Quota exceeded for %s: Requested %s, but already used %s of %s %s",
		o, strings.Join(rq, ", "), strings.Join(us, ", "), strings.Join(al, ", "), o)
}

// checkMetadataQuota is Nova's _check_metadata_properties_quota count
// check: at most metadata_items items. The fault is OverLimit; callers
// word it as their API does (403 on v2.1, 413 on K5's v2).
func (s *Service) checkMetadataQuota(ctx context.Context, project string, n int) error {
	limit, err := s.userLimit(ctx, project, "", "metadata_items")
	if err != nil {
		return err
	}
	if limit >= 0 && int64(n) > limit {
		return fault.OverLimitf("Maximum number of metadata items exceeds %d", limit)
	}
	return nil
}

// SetQuotas sets limits of a project (user ""), or of a user in it.
func (s *Service) SetQuotas(ctx context.Context, project, user string, limits map[string]int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		for k, v := range limits {
			if _, err := tx.ExecContext(ctx, `INSERT INTO compute_quotas (project_id, user_id, resource, hard_limit) VALUES ($1, $2, $3, $4)
				ON CONFLICT (project_id, user_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit`, project, user, k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteQuotas reverts a project's (or user's) limits to the defaults.
func (s *Service) DeleteQuotas(ctx context.Context, project, user string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		q, args := `DELETE FROM compute_quotas WHERE project_id = $1`, []any{project}
		if user != "" {
			q += ` AND user_id = $2`
			args = append(args, user)
		}
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	})
}
