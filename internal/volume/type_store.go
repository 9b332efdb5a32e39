package volume

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/stratus-iaas/stratus/internal/store"
)

// VolumeType is the domain record of a volume type.
type VolumeType struct {
	ID          string
	Name        string
	Description *string
	IsPublic    bool
	ExtraSpecs  map[string]string
	QoSSpecsID  string // the associated QoS spec, "" when none
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// DefaultTypeName is Cinder's default volume type, created at install.
const DefaultTypeName = "__DEFAULT__"

// seeded are the types every cloud starts with: Cinder's default, and
// K5's standard type M1 (the type K5's examples show, 2.1.6.17/.19).
var seeded = []struct{ id, name, desc string }{
	{"6d8e41ab-4e6a-4c3e-9d13-2b2b8a5f0001", DefaultTypeName, "Default Volume Type"},
	{"6d8e41ab-4e6a-4c3e-9d13-2b2b8a5f0002", "M1", "K5 standard volume type"},
}

func seedTypes(ctx context.Context, tx *sql.Tx) error {
	now := store.Now()
	for _, t := range seeded {
		_, err := tx.ExecContext(ctx, `INSERT INTO volume_types (id, name, description, is_public, extra_specs, created_at, updated_at)
			VALUES ($1, $2, $3, TRUE, '{}', $4, $4) ON CONFLICT DO NOTHING`, t.id, t.name, t.desc, now)
		if err != nil {
			return err
		}
	}
	return nil
}

const typeCols = "id, name, description, is_public, extra_specs, created_at, updated_at"

// typeSelect reads typeCols and the type's QoS association.
const typeSelect = "SELECT " + typeCols + ", (SELECT a.qos_id FROM volume_qos_associations a WHERE a.type_id = volume_types.id) FROM volume_types"

func scanType(sc scanner) (*VolumeType, error) {
	var t VolumeType
	var desc, qos sql.NullString
	var specs string
	var created, updated int64
	if err := sc.Scan(&t.ID, &t.Name, &desc, &t.IsPublic, &specs, &created, &updated, &qos); err != nil {
		return nil, err
	}
	t.QoSSpecsID = qos.String
	t.Description = strPtr(desc)
	t.ExtraSpecs = decodeMap(specs)
	t.CreatedAt, t.UpdatedAt = store.Time(created), store.Time(updated)
	return &t, nil
}

func getType(ctx context.Context, q store.Querier, id string) (*VolumeType, error) {
	t, err := scanType(q.QueryRowContext(ctx, typeSelect+" WHERE id = $1", id))
	return t, store.Map(err)
}

func getTypeByName(ctx context.Context, q store.Querier, name string) (*VolumeType, error) {
	t, err := scanType(q.QueryRowContext(ctx, typeSelect+" WHERE name = $1", name))
	return t, store.Map(err)
}

func listTypes(ctx context.Context, q store.Querier) ([]*VolumeType, error) {
	rows, err := q.QueryContext(ctx, typeSelect+" ORDER BY created_at, name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*VolumeType
	for rows.Next() {
		t, err := scanType(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func insertType(ctx context.Context, tx *sql.Tx, t *VolumeType) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO volume_types ("+typeCols+") VALUES ($1,$2,$3,$4,$5,$6,$7)",
		t.ID, t.Name, t.Description, t.IsPublic, encodeMap(t.ExtraSpecs), t.CreatedAt.UnixMicro(), t.UpdatedAt.UnixMicro())
	return err
}

func updateType(ctx context.Context, tx *sql.Tx, t *VolumeType) error {
	res, err := tx.ExecContext(ctx, "UPDATE volume_types SET name=$2, description=$3, is_public=$4, extra_specs=$5, updated_at=$6 WHERE id=$1",
		t.ID, t.Name, t.Description, t.IsPublic, encodeMap(t.ExtraSpecs), t.UpdatedAt.UnixMicro())
	return affectedOne(res, err)
}

func deleteType(ctx context.Context, tx *sql.Tx, id string) error {
	res, err := tx.ExecContext(ctx, "DELETE FROM volume_types WHERE id = $1", id)
	return affectedOne(res, err)
}

func typeInUse(ctx context.Context, q store.Querier, id string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM volumes WHERE type_id = $1", id).Scan(&n)
	return n > 0, err
}

func typeAccess(ctx context.Context, q store.Querier, typeID string) ([]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT project_id FROM volume_type_access WHERE type_id = $1 ORDER BY project_id", typeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func hasTypeAccess(ctx context.Context, q store.Querier, typeID, project string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM volume_type_access WHERE type_id = $1 AND project_id = $2", typeID, project).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func addTypeAccess(ctx context.Context, tx *sql.Tx, typeID, project string) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO volume_type_access (type_id, project_id) VALUES ($1, $2)", typeID, project)
	return err
}

func removeTypeAccess(ctx context.Context, tx *sql.Tx, typeID, project string) error {
	res, err := tx.ExecContext(ctx, "DELETE FROM volume_type_access WHERE type_id = $1 AND project_id = $2", typeID, project)
	return affectedOne(res, err)
}
