package compute

import (
	"context"
	"database/sql"
	"errors"

	"github.com/stratus-iaas/stratus/internal/store"
)

const flavorCols = `id, name, vcpus, memory_mb, root_gb, ephemeral_gb, swap, rxtx_factor, is_public, disabled, description, created_at, updated_at`

func scanFlavor(sc interface{ Scan(...any) error }) (*Flavor, error) {
	f := &Flavor{}
	var desc sql.NullString
	var created, updated int64
	if err := sc.Scan(&f.ID, &f.Name, &f.VCPUs, &f.MemoryMB, &f.RootGB, &f.EphemeralGB, &f.Swap, &f.RxtxFactor,
		&f.IsPublic, &f.Disabled, &desc, &created, &updated); err != nil {
		return nil, err
	}
	if desc.Valid {
		f.Description = &desc.String
	}
	f.CreatedAt, f.UpdatedAt = store.Time(created), store.Time(updated)
	return f, nil
}

func getFlavorRow(ctx context.Context, q store.Querier, id string) (*Flavor, error) {
	f, err := scanFlavor(q.QueryRowContext(ctx, `SELECT `+flavorCols+` FROM compute_flavors WHERE id = $1`, id))
	if err != nil {
		return nil, store.Map(err)
	}
	f.ExtraSpecs, err = flavorExtraSpecs(ctx, q, id)
	return f, err
}

// listFlavorRows returns every flavor p may list (all for admin), without
// extra specs.
func listFlavorRows(ctx context.Context, q store.Querier, project string, admin bool) ([]*Flavor, error) {
	query := `SELECT ` + flavorCols + ` FROM compute_flavors`
	args := []any{}
	if !admin {
		query += ` WHERE is_public OR id IN (SELECT flavor_id FROM compute_flavor_projects WHERE project_id = $1)`
		args = append(args, project)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Flavor
	for rows.Next() {
		f, err := scanFlavor(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// allExtraSpecs returns the extra specs of every flavor, keyed by flavor.
func allExtraSpecs(ctx context.Context, q store.Querier) (map[string]map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT flavor_id, key, value FROM compute_flavor_extra_specs`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]string{}
	for rows.Next() {
		var id, k, v string
		if err := rows.Scan(&id, &k, &v); err != nil {
			return nil, err
		}
		if out[id] == nil {
			out[id] = map[string]string{}
		}
		out[id][k] = v
	}
	return out, rows.Err()
}

func flavorExtraSpecs(ctx context.Context, q store.Querier, id string) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT key, value FROM compute_flavor_extra_specs WHERE flavor_id = $1`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// errFlavorName and errFlavorID tell which uniqueness a new flavor broke.
var (
	errFlavorName = errors.New("flavor name taken")
	errFlavorID   = errors.New("flavor id taken")
)

func insertFlavor(ctx context.Context, tx *sql.Tx, f *Flavor) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM compute_flavors WHERE id = $1`, f.ID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return errFlavorID
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM compute_flavors WHERE name = $1`, f.Name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return errFlavorName
	}
	now := store.Now()
	_, err := tx.ExecContext(ctx, `INSERT INTO compute_flavors (`+flavorCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
		f.ID, f.Name, f.VCPUs, f.MemoryMB, f.RootGB, f.EphemeralGB, f.Swap, f.RxtxFactor, f.IsPublic, f.Disabled, f.Description, now, now)
	f.CreatedAt, f.UpdatedAt = store.Time(now), store.Time(now)
	return err
}

func deleteFlavorRow(ctx context.Context, tx *sql.Tx, id string) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM compute_flavors WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func setFlavorDescription(ctx context.Context, tx *sql.Tx, id string, desc *string) error {
	res, err := tx.ExecContext(ctx, `UPDATE compute_flavors SET description = $1, updated_at = $2 WHERE id = $3`, desc, store.Now(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func upsertExtraSpecs(ctx context.Context, tx *sql.Tx, id string, specs map[string]string) error {
	for k, v := range specs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO compute_flavor_extra_specs (flavor_id, key, value) VALUES ($1, $2, $3)
			ON CONFLICT (flavor_id, key) DO UPDATE SET value = excluded.value`, id, k, v); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE compute_flavors SET updated_at = $1 WHERE id = $2`, store.Now(), id)
	return err
}

func deleteExtraSpec(ctx context.Context, tx *sql.Tx, id, key string) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM compute_flavor_extra_specs WHERE flavor_id = $1 AND key = $2`, id, key)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func flavorProjects(ctx context.Context, q store.Querier, id string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT project_id FROM compute_flavor_projects WHERE flavor_id = $1 ORDER BY project_id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func hasFlavorAccess(ctx context.Context, q store.Querier, id, project string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM compute_flavor_projects WHERE flavor_id = $1 AND project_id = $2`, id, project).Scan(&n)
	return n > 0, err
}

func addFlavorAccess(ctx context.Context, tx *sql.Tx, id, project string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO compute_flavor_projects (flavor_id, project_id) VALUES ($1, $2)`, id, project)
	return err
}

func removeFlavorAccess(ctx context.Context, tx *sql.Tx, id, project string) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM compute_flavor_projects WHERE flavor_id = $1 AND project_id = $2`, id, project)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}
