package image

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/store"
)

// SQL of the metadefs catalog. A namespace is read by name and its
// visibility decided by the service (as images); lists take the caller's
// project and return only what it may see.

const nsCols = `id, namespace, display_name, description, visibility, protected, owner, created_at, updated_at`

func scanNamespace(s scanner) (*Namespace, error) {
	var ns Namespace
	var disp, desc sql.NullString
	var created int64
	var updated sql.NullInt64
	if err := s.Scan(&ns.ID, &ns.Name, &disp, &desc, &ns.Visibility, &ns.Protected, &ns.Owner, &created, &updated); err != nil {
		return nil, store.Map(err)
	}
	ns.DisplayName, ns.Description = strPtr(disp), strPtr(desc)
	ns.CreatedAt, ns.UpdatedAt = store.Time(created), timePtr(updated)
	return &ns, nil
}

func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := store.Time(v.Int64)
	return &t
}

func nullStr(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func getNamespace(ctx context.Context, q store.Querier, name string) (*Namespace, error) {
	return scanNamespace(q.QueryRowContext(ctx, `SELECT `+nsCols+` FROM metadef_namespaces WHERE namespace = $1`, name))
}

// listNamespaces returns the namespaces project may see (all for an
// admin), optionally of one visibility and associated with one of rts.
func listNamespaces(ctx context.Context, q store.Querier, project string, admin bool, visibility string, rts []string) ([]*Namespace, error) {
	query := `SELECT ` + nsCols + ` FROM metadef_namespaces WHERE 1 = 1`
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if !admin {
		query += ` AND (visibility = 'public' OR owner = ` + arg(project) + `)`
	}
	if visibility != "" {
		query += ` AND visibility = ` + arg(visibility)
	}
	if len(rts) > 0 {
		ph := make([]string, len(rts))
		for i, rt := range rts {
			ph[i] = arg(rt)
		}
		query += ` AND id IN (SELECT namespace_id FROM metadef_namespace_resource_types WHERE resource_type IN (` +
			strings.Join(ph, ", ") + `))`
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Namespace
	for rows.Next() {
		ns, err := scanNamespace(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ns)
	}
	return out, rows.Err()
}

func insertNamespace(ctx context.Context, tx store.Querier, ns *Namespace) error {
	var upd any
	if ns.UpdatedAt != nil {
		upd = ns.UpdatedAt.UnixMicro()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO metadef_namespaces (`+nsCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		ns.ID, ns.Name, nullStr(ns.DisplayName), nullStr(ns.Description), ns.Visibility, ns.Protected, ns.Owner,
		ns.CreatedAt.UnixMicro(), upd)
	return store.Map(err)
}

func updateNamespace(ctx context.Context, tx store.Querier, ns *Namespace) error {
	_, err := tx.ExecContext(ctx, `UPDATE metadef_namespaces SET namespace = $2, display_name = $3, description = $4,
		visibility = $5, protected = $6, owner = $7, updated_at = $8 WHERE id = $1`,
		ns.ID, ns.Name, nullStr(ns.DisplayName), nullStr(ns.Description), ns.Visibility, ns.Protected, ns.Owner, store.Now())
	return store.Map(err)
}

// deleteNamespaceRow deletes a namespace and everything in it.
func deleteNamespaceRow(ctx context.Context, tx store.Querier, id string) error {
	for _, t := range []string{"metadef_tags", "metadef_objects", "metadef_properties", "metadef_namespace_resource_types"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE namespace_id = $1`, id); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM metadef_namespaces WHERE id = $1`, id)
	return err
}

// deleteContents deletes one kind of a namespace's contents (table is
// one of the metadef content tables, never client input).
func deleteContents(ctx context.Context, tx store.Querier, table, nsID string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE namespace_id = $1`, nsID)
	return err
}

// --- resource types ---

func listResourceTypes(ctx context.Context, q store.Querier) ([]*ResourceType, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, created_at, updated_at FROM metadef_resource_types ORDER BY seq, name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*ResourceType
	for rows.Next() {
		var rt ResourceType
		var created int64
		var updated sql.NullInt64
		if err := rows.Scan(&rt.Name, &created, &updated); err != nil {
			return nil, err
		}
		rt.CreatedAt, rt.UpdatedAt = store.Time(created), timePtr(updated)
		out = append(out, &rt)
	}
	return out, rows.Err()
}

// ensureResourceType creates a resource type unless it exists (Glance
// creates the type an association names).
func ensureResourceType(ctx context.Context, tx store.Querier, name string, protected bool, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO metadef_resource_types (name, protected, seq, created_at)
		SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3 FROM metadef_resource_types WHERE true
		ON CONFLICT (name) DO NOTHING`, name, protected, now)
	return err
}

const rtCols = `resource_type, prefix, properties_target, created_at, updated_at`

func scanAssociation(s scanner) (*RTAssociation, error) {
	var a RTAssociation
	var prefix, target sql.NullString
	var created int64
	var updated sql.NullInt64
	if err := s.Scan(&a.Name, &prefix, &target, &created, &updated); err != nil {
		return nil, store.Map(err)
	}
	a.Prefix, a.PropertiesTarget = strPtr(prefix), strPtr(target)
	a.CreatedAt, a.UpdatedAt = store.Time(created), timePtr(updated)
	return &a, nil
}

func listAssociations(ctx context.Context, q store.Querier, nsID string) ([]*RTAssociation, error) {
	rows, err := q.QueryContext(ctx, `SELECT a.resource_type, a.prefix, a.properties_target, a.created_at, a.updated_at
		FROM metadef_namespace_resource_types a
		JOIN metadef_resource_types t ON t.name = a.resource_type WHERE namespace_id = $1 ORDER BY t.seq, a.resource_type`, nsID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*RTAssociation
	for rows.Next() {
		a, err := scanAssociation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func insertAssociation(ctx context.Context, tx store.Querier, nsID string, a *RTAssociation) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO metadef_namespace_resource_types (namespace_id, `+rtCols+`)
		VALUES ($1, $2, $3, $4, $5, NULL)`, nsID, a.Name, nullStr(a.Prefix), nullStr(a.PropertiesTarget), a.CreatedAt.UnixMicro())
	return store.Map(err)
}

// deleteAssociation reports whether the association existed.
func deleteAssociation(ctx context.Context, tx store.Querier, nsID, rt string) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM metadef_namespace_resource_types WHERE namespace_id = $1 AND resource_type = $2`, nsID, rt)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// --- objects ---

const objCols = `id, name, description, required, json_schema, created_at, updated_at`

func scanObject(s store.Scanner) (*MetadefObject, error) {
	var o MetadefObject
	var desc sql.NullString
	var req, schema string
	var created int64
	var updated sql.NullInt64
	if err := s.Scan(&o.ID, &o.Name, &desc, &req, &schema, &created, &updated); err != nil {
		return nil, store.Map(err)
	}
	o.Description = strPtr(desc)
	o.CreatedAt, o.UpdatedAt = store.Time(created), timePtr(updated)
	if err := json.Unmarshal([]byte(req), &o.Required); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(schema), &o.Properties); err != nil {
		return nil, err
	}
	return &o, nil
}

func listObjects(ctx context.Context, q store.Querier, nsID string) ([]*MetadefObject, error) {
	return store.QueryAll(ctx, q, scanObject, `SELECT `+objCols+` FROM metadef_objects WHERE namespace_id = $1 ORDER BY created_at, name`, nsID)
}

func getObject(ctx context.Context, q store.Querier, nsID, name string) (*MetadefObject, error) {
	return scanObject(q.QueryRowContext(ctx, `SELECT `+objCols+` FROM metadef_objects WHERE namespace_id = $1 AND name = $2`, nsID, name))
}

func objectArgs(o *MetadefObject) (string, string) {
	req, _ := json.Marshal(o.Required)
	if o.Required == nil {
		req = []byte("[]")
	}
	props, _ := json.Marshal(o.Properties)
	if o.Properties == nil {
		props = []byte("{}")
	}
	return string(req), string(props)
}

func insertObject(ctx context.Context, tx store.Querier, nsID string, o *MetadefObject) error {
	req, props := objectArgs(o)
	_, err := tx.ExecContext(ctx, `INSERT INTO metadef_objects (namespace_id, `+objCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		nsID, o.ID, o.Name, nullStr(o.Description), req, props, o.CreatedAt.UnixMicro(), nil)
	return store.Map(err)
}

func updateObject(ctx context.Context, tx store.Querier, o *MetadefObject) error {
	req, props := objectArgs(o)
	_, err := tx.ExecContext(ctx, `UPDATE metadef_objects SET name = $2, description = $3, required = $4, json_schema = $5,
		updated_at = $6 WHERE id = $1`, o.ID, o.Name, nullStr(o.Description), req, props, o.UpdatedAt.UnixMicro())
	return store.Map(err)
}

func deleteRow(ctx context.Context, tx store.Querier, table, id string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE id = $1`, id)
	return err
}

// --- properties ---

func scanProperty(s store.Scanner) (*MetadefProperty, error) {
	var p MetadefProperty
	var schema string
	if err := s.Scan(&p.ID, &p.Name, &schema); err != nil {
		return nil, store.Map(err)
	}
	p.Schema = json.RawMessage(schema)
	return &p, nil
}

func listProperties(ctx context.Context, q store.Querier, nsID string) ([]*MetadefProperty, error) {
	return store.QueryAll(ctx, q, scanProperty, `SELECT id, name, json_schema FROM metadef_properties WHERE namespace_id = $1
		ORDER BY created_at, name`, nsID)
}

func getProperty(ctx context.Context, q store.Querier, nsID, name string) (*MetadefProperty, error) {
	return scanProperty(q.QueryRowContext(ctx, `SELECT id, name, json_schema FROM metadef_properties
		WHERE namespace_id = $1 AND name = $2`, nsID, name))
}

func insertProperty(ctx context.Context, tx store.Querier, nsID string, p *MetadefProperty, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO metadef_properties (id, namespace_id, name, json_schema, created_at)
		VALUES ($1, $2, $3, $4, $5)`, p.ID, nsID, p.Name, string(p.Schema), now)
	return store.Map(err)
}

func updateProperty(ctx context.Context, tx store.Querier, p *MetadefProperty) error {
	_, err := tx.ExecContext(ctx, `UPDATE metadef_properties SET name = $2, json_schema = $3, updated_at = $4 WHERE id = $1`,
		p.ID, p.Name, string(p.Schema), store.Now())
	return store.Map(err)
}

// --- tags ---

const tagCols = `id, name, created_at, updated_at`

func scanTag(s store.Scanner) (*MetadefTag, error) {
	var t MetadefTag
	var created int64
	var updated sql.NullInt64
	if err := s.Scan(&t.ID, &t.Name, &created, &updated); err != nil {
		return nil, store.Map(err)
	}
	t.CreatedAt, t.UpdatedAt = store.Time(created), timePtr(updated)
	return &t, nil
}

func listTags(ctx context.Context, q store.Querier, nsID string) ([]*MetadefTag, error) {
	return store.QueryAll(ctx, q, scanTag, `SELECT `+tagCols+` FROM metadef_tags WHERE namespace_id = $1 ORDER BY created_at, name`, nsID)
}

func getTag(ctx context.Context, q store.Querier, nsID, name string) (*MetadefTag, error) {
	return scanTag(q.QueryRowContext(ctx, `SELECT `+tagCols+` FROM metadef_tags WHERE namespace_id = $1 AND name = $2`, nsID, name))
}

// tagTaken reports whether a tag whose name equals name without regard
// to case exists in the namespace (other than the tag except).
func tagTaken(ctx context.Context, q store.Querier, nsID, name, except string) (bool, error) {
	var id string
	err := q.QueryRowContext(ctx, `SELECT id FROM metadef_tags WHERE namespace_id = $1 AND name_key = $2`, nsID, strings.ToLower(name)).Scan(&id)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil && id != except, err
}

func insertTag(ctx context.Context, tx store.Querier, nsID string, t *MetadefTag) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO metadef_tags (id, namespace_id, name, name_key, created_at) VALUES ($1, $2, $3, $4, $5)`,
		t.ID, nsID, t.Name, strings.ToLower(t.Name), t.CreatedAt.UnixMicro())
	return store.Map(err)
}

func updateTag(ctx context.Context, tx store.Querier, t *MetadefTag) error {
	_, err := tx.ExecContext(ctx, `UPDATE metadef_tags SET name = $2, name_key = $3, updated_at = $4 WHERE id = $1`,
		t.ID, t.Name, strings.ToLower(t.Name), t.UpdatedAt.UnixMicro())
	return store.Map(err)
}
