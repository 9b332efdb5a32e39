package volume

import (
	"context"
	"database/sql"
	"strings"

	"github.com/stratus-iaas/stratus/internal/store"
)

// snapshotCols are read with the volume's zone joined in.
const snapshotCols = `s.id, s.project_id, s.user_id, s.volume_id, s.name, s.description, s.size, s.status, s.progress,
	s.metadata, s.store_key, s.created_at, s.updated_at, COALESCE(v.availability_zone, '')`

const snapshotFrom = " FROM volume_snapshots s LEFT JOIN volumes v ON v.id = s.volume_id"

func scanSnapshot(sc scanner) (*Snapshot, error) {
	var sn Snapshot
	var name, desc sql.NullString
	var meta string
	var created, updated int64
	err := sc.Scan(&sn.ID, &sn.ProjectID, &sn.UserID, &sn.VolumeID, &name, &desc, &sn.Size, &sn.Status, &sn.Progress,
		&meta, &sn.StoreKey, &created, &updated, &sn.AvailabilityZone)
	if err != nil {
		return nil, err
	}
	sn.Name, sn.Description = strPtr(name), strPtr(desc)
	sn.Metadata = decodeMap(meta)
	sn.CreatedAt, sn.UpdatedAt = store.Time(created), store.Time(updated)
	return &sn, nil
}

func insertSnapshot(ctx context.Context, tx *sql.Tx, sn *Snapshot) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO volume_snapshots (id, project_id, user_id, volume_id, name, description,
		size, status, progress, metadata, store_key, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
		sn.ID, sn.ProjectID, sn.UserID, sn.VolumeID, sn.Name, sn.Description, sn.Size, sn.Status, sn.Progress,
		encodeMap(sn.Metadata), sn.StoreKey, sn.CreatedAt.UnixMicro(), sn.UpdatedAt.UnixMicro())
	return err
}

func updateSnapshot(ctx context.Context, tx *sql.Tx, sn *Snapshot) error {
	res, err := tx.ExecContext(ctx, `UPDATE volume_snapshots SET name=$2, description=$3, status=$4, progress=$5,
		metadata=$6, updated_at=$7 WHERE id=$1`, sn.ID, sn.Name, sn.Description, sn.Status, sn.Progress,
		encodeMap(sn.Metadata), sn.UpdatedAt.UnixMicro())
	return affectedOne(res, err)
}

// getSnapshot reads a snapshot of project ("" for any project: admin).
func getSnapshot(ctx context.Context, q store.Querier, project, id string) (*Snapshot, error) {
	query := "SELECT " + snapshotCols + snapshotFrom + " WHERE s.id = $1"
	args := []any{id}
	if project != "" {
		query += " AND s.project_id = $2"
		args = append(args, project)
	}
	sn, err := scanSnapshot(q.QueryRowContext(ctx, query, args...))
	return sn, store.Map(err)
}

func querySnapshots(ctx context.Context, q store.Querier, where string, args ...any) ([]*Snapshot, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+snapshotCols+snapshotFrom+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Snapshot
	for rows.Next() {
		sn, err := scanSnapshot(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sn)
	}
	return out, rows.Err()
}

// listSnapshots reads the snapshots of project ("" for every project).
func listSnapshots(ctx context.Context, q store.Querier, project string) ([]*Snapshot, error) {
	if project == "" {
		return querySnapshots(ctx, q, "")
	}
	return querySnapshots(ctx, q, " WHERE s.project_id = $1", project)
}

func snapshotsOfVolume(ctx context.Context, q store.Querier, volumeID string) ([]*Snapshot, error) {
	return querySnapshots(ctx, q, " WHERE s.volume_id = $1", volumeID)
}

// setSnapshotStatus moves a snapshot from one of from (any when nil) to status.
func setSnapshotStatus(ctx context.Context, tx *sql.Tx, id string, from []string, status string) error {
	args := []any{id, status, store.Now()}
	query := "UPDATE volume_snapshots SET status=$2, updated_at=$3 WHERE id=$1"
	if len(from) > 0 {
		var ph []string
		for _, f := range from {
			args = append(args, f)
			ph = append(ph, "$"+itoa(len(args)))
		}
		query += " AND status IN (" + strings.Join(ph, ",") + ")"
	}
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrConflict
	}
	return nil
}

func setSnapshotProgress(ctx context.Context, tx *sql.Tx, id string, progress int) error {
	_, err := tx.ExecContext(ctx, "UPDATE volume_snapshots SET progress=$2 WHERE id=$1", id, progress)
	return err
}

func deleteSnapshotRow(ctx context.Context, tx *sql.Tx, id string) error {
	_, err := tx.ExecContext(ctx, "DELETE FROM volume_snapshots WHERE id = $1", id)
	return err
}

func snapshotsByStatus(ctx context.Context, q store.Querier, node, status string) ([]*Snapshot, error) {
	return querySnapshots(ctx, q, " WHERE v.node = $1 AND s.status = $2", node, status)
}
