package volume

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/stratus-iaas/stratus/internal/store"
)

const volumeCols = `id, project_id, user_id, name, description, size, status, previous_status, attach_status,
	availability_zone, type_id, snapshot_id, source_volid, image_id, bootable, admin_metadata, metadata, image_metadata,
	host, node, store_key, migration_status, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanVolume(sc scanner) (*Volume, error) {
	var v Volume
	var name, desc, prev, typ, snap, src, img, imgMeta, mig sql.NullString
	var meta, adminMeta string
	var created, updated int64
	err := sc.Scan(&v.ID, &v.ProjectID, &v.UserID, &name, &desc, &v.Size, &v.Status, &prev, &v.AttachStatus,
		&v.AvailabilityZone, &typ, &snap, &src, &img, &v.Bootable, &adminMeta, &meta, &imgMeta,
		&v.Host, &v.Node, &v.StoreKey, &mig, &created, &updated)
	if err != nil {
		return nil, err
	}
	v.Name, v.Description = strPtr(name), strPtr(desc)
	v.PreviousStatus, v.TypeID, v.SnapshotID, v.SourceVolID = prev.String, typ.String, snap.String, src.String
	v.ImageID, v.MigrationStatus = img.String, mig.String
	v.Metadata = decodeMap(meta)
	v.AdminMetadata = decodeMap(adminMeta)
	if imgMeta.Valid {
		v.ImageMetadata = decodeMap(imgMeta.String)
	}
	v.CreatedAt, v.UpdatedAt = store.Time(created), store.Time(updated)
	return &v, nil
}

func strPtr(v sql.NullString) *string {
	if !v.Valid {
		return nil
	}
	return &v.String
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func decodeMap(s string) map[string]string {
	m := map[string]string{}
	if s != "" && s != "{}" {
		json.Unmarshal([]byte(s), &m)
	}
	return m
}

func encodeMap(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func volumeArgs(v *Volume) []any {
	var imgMeta any
	if v.ImageMetadata != nil {
		imgMeta = encodeMap(v.ImageMetadata)
	}
	return []any{v.ID, v.ProjectID, v.UserID, v.Name, v.Description, v.Size, v.Status, nullStr(v.PreviousStatus),
		v.AttachStatus, v.AvailabilityZone, nullStr(v.TypeID), nullStr(v.SnapshotID), nullStr(v.SourceVolID),
		nullStr(v.ImageID), v.Bootable, encodeMap(v.AdminMetadata), encodeMap(v.Metadata), imgMeta, v.Host, v.Node, v.StoreKey,
		nullStr(v.MigrationStatus), v.CreatedAt.UnixMicro(), v.UpdatedAt.UnixMicro()}
}

func insertVolume(ctx context.Context, tx *sql.Tx, v *Volume) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO volumes ("+volumeCols+`) VALUES
		($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24)`, volumeArgs(v)...)
	return err
}

// updateVolume writes every column of v.
func updateVolume(ctx context.Context, tx *sql.Tx, v *Volume) error {
	res, err := tx.ExecContext(ctx, `UPDATE volumes SET project_id=$2, user_id=$3, name=$4, description=$5, size=$6,
		status=$7, previous_status=$8, attach_status=$9, availability_zone=$10, type_id=$11, snapshot_id=$12,
		source_volid=$13, image_id=$14, bootable=$15, admin_metadata=$16, metadata=$17, image_metadata=$18, host=$19,
		node=$20, store_key=$21, migration_status=$22, created_at=$23, updated_at=$24 WHERE id=$1`, volumeArgs(v)...)
	return affectedOne(res, err)
}

func affectedOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// getVolume reads a volume of project ("" for any project: admin).
func getVolume(ctx context.Context, q store.Querier, project, id string) (*Volume, error) {
	query := "SELECT " + volumeCols + " FROM volumes WHERE id = $1"
	args := []any{id}
	if project != "" {
		query += " AND project_id = $2"
		args = append(args, project)
	}
	v, err := scanVolume(q.QueryRowContext(ctx, query, args...))
	if err != nil {
		return nil, store.Map(err)
	}
	v.Attachments, err = listAttachments(ctx, q, v.ID)
	return v, err
}

// setVolumeStatus moves a volume from one of from to status; ErrConflict
// when it is in none of them.
func setVolumeStatus(ctx context.Context, tx *sql.Tx, id string, from []string, status string) error {
	args := []any{id, status, store.Now()}
	var ph []string
	for _, f := range from {
		args = append(args, f)
		ph = append(ph, "$"+itoa(len(args)))
	}
	res, err := tx.ExecContext(ctx, "UPDATE volumes SET status=$2, updated_at=$3 WHERE id=$1 AND status IN ("+
		strings.Join(ph, ",")+")", args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrConflict
	}
	return nil
}

// listVolumes reads the volumes of project ("" for every project).
func listVolumes(ctx context.Context, q store.Querier, project string) ([]*Volume, error) {
	query := "SELECT " + volumeCols + " FROM volumes"
	var args []any
	if project != "" {
		query += " WHERE project_id = $1"
		args = append(args, project)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Volume
	for rows.Next() {
		v, err := scanVolume(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	atts, err := attachmentsOf(ctx, q, project)
	if err != nil {
		return nil, err
	}
	for _, v := range out {
		v.Attachments = atts[v.ID]
	}
	return out, nil
}

func deleteVolumeRow(ctx context.Context, tx *sql.Tx, id string) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM volumes WHERE id = $1", id)
	return err
}

// volumesByStatus lists this node's volumes in status (for recovery).
func volumesByStatus(ctx context.Context, q store.Querier, node, status string) ([]*Volume, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+volumeCols+" FROM volumes WHERE node = $1 AND status = $2", node, status)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Volume
	for rows.Next() {
		v, err := scanVolume(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// lockProject serialises the quota-checking transactions of one project
// (a no-op cost on SQLite, whose one writer already does).
func lockProject(ctx context.Context, tx *sql.Tx, project string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO volume_project_locks (project_id, n) VALUES ($1, 1)
		ON CONFLICT (project_id) DO UPDATE SET n = volume_project_locks.n + 1`, project)
	return err
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}
