package compute

import (
	"context"
	"database/sql"

	"github.com/stratus-iaas/stratus/internal/store"
)

// Quota classes (os-quota-class-sets): every class shows the default
// limits; only the 'default' class's stored limits change them. The wire
// shape is in quota_class_http.go.

// classFiltered are the resources a quota class set hides at a
// microversion (Nova's quota_classes: network ones from 2.50, injected
// files from 2.57; server groups before 2.50).
func classFiltered(minor int) map[string]bool {
	f := map[string]bool{}
	if minor < 50 {
		f["server_groups"], f["server_group_members"] = true, true
	} else {
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

// defaultQuotas are the configured defaults under the 'default' quota
// class's stored limits.
func (s *Service) defaultQuotas(ctx context.Context, q store.Querier) (map[string]int64, error) {
	out := make(map[string]int64, len(s.quotas))
	for k, v := range s.quotas {
		out[k] = v
	}
	rows, err := q.QueryContext(ctx, `SELECT resource, hard_limit FROM compute_quota_classes WHERE class_name = 'default'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var res string
		var n int64
		if err := rows.Scan(&res, &n); err != nil {
			return nil, err
		}
		out[res] = n
	}
	return out, rows.Err()
}

// QuotaClass is the limits of a quota class: the defaults, whatever its
// name.
func (s *Service) QuotaClass(ctx context.Context) (map[string]int64, error) {
	return s.defaultQuotas(ctx, s.r)
}

// UpdateQuotaClass stores set as class's limits and returns the class's
// limits as an update shows them: the defaults, with set over them for a
// class other than 'default'.
func (s *Service) UpdateQuotaClass(ctx context.Context, class string, set map[string]int64) (map[string]int64, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for k, n := range set {
			if _, err := tx.ExecContext(ctx, `INSERT INTO compute_quota_classes (class_name, resource, hard_limit) VALUES ($1, $2, $3)
				ON CONFLICT (class_name, resource) DO UPDATE SET hard_limit = excluded.hard_limit`, class, k, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	vals, err := s.defaultQuotas(ctx, s.r)
	if err != nil {
		return nil, err
	}
	if class != "default" {
		for k, n := range set {
			vals[k] = n
		}
	}
	return vals, nil
}
