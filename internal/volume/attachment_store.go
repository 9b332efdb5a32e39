package volume

import (
	"context"
	"database/sql"
	"strings"

	"github.com/stratus-iaas/stratus/internal/store"
)

const attachmentCols = "id, volume_id, server_id, host_name, mountpoint, attach_mode, status, attached_at, created_at, delete_on_termination"

func scanAttachment(sc scanner) (*Attachment, error) {
	var a Attachment
	var server, host, mount sql.NullString
	var attached sql.NullInt64
	var created int64
	if err := sc.Scan(&a.ID, &a.VolumeID, &server, &host, &mount, &a.Mode, &a.Status, &attached, &created, &a.DeleteOnTermination); err != nil {
		return nil, err
	}
	a.ServerID, a.HostName, a.Mountpoint = server.String, host.String, mount.String
	if attached.Valid {
		a.AttachedAt = store.Time(attached.Int64)
	}
	a.CreatedAt = store.Time(created)
	return &a, nil
}

func insertAttachment(ctx context.Context, tx *sql.Tx, a *Attachment) error {
	var attached any
	if !a.AttachedAt.IsZero() {
		attached = a.AttachedAt.UnixMicro()
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO volume_attachments ("+attachmentCols+") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
		a.ID, a.VolumeID, nullStr(a.ServerID), nullStr(a.HostName), nullStr(a.Mountpoint), a.Mode, a.Status, attached,
		a.CreatedAt.UnixMicro(), a.DeleteOnTermination)
	return err
}

func setDeleteOnTermination(ctx context.Context, tx *sql.Tx, id string, v bool) error {
	res, err := tx.ExecContext(ctx, "UPDATE volume_attachments SET delete_on_termination = $2 WHERE id = $1", id, v)
	return affectedOne(res, err)
}

func setAttachmentStatus(ctx context.Context, tx *sql.Tx, id, status string) error {
	res, err := tx.ExecContext(ctx, "UPDATE volume_attachments SET status = $2 WHERE id = $1", id, status)
	return affectedOne(res, err)
}

func deleteAttachment(ctx context.Context, tx *sql.Tx, id string) error {
	res, err := tx.ExecContext(ctx, "DELETE FROM volume_attachments WHERE id = $1", id)
	return affectedOne(res, err)
}

func listAttachments(ctx context.Context, q store.Querier, volumeID string) ([]*Attachment, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+attachmentCols+" FROM volume_attachments WHERE volume_id = $1 ORDER BY created_at", volumeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Attachment
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// attachmentsOf maps the attachments of project's volumes ("" for all) by volume.
func attachmentsOf(ctx context.Context, q store.Querier, project string) (map[string][]*Attachment, error) {
	query := "SELECT a.id, a.volume_id, a.server_id, a.host_name, a.mountpoint, a.attach_mode, a.status, a.attached_at, a.created_at, a.delete_on_termination FROM volume_attachments a"
	var args []any
	if project != "" {
		query += " JOIN volumes v ON v.id = a.volume_id WHERE v.project_id = $1"
		args = append(args, project)
	}
	rows, err := q.QueryContext(ctx, query+" ORDER BY a.created_at", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]*Attachment{}
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return nil, err
		}
		out[a.VolumeID] = append(out[a.VolumeID], a)
	}
	return out, rows.Err()
}

// attachmentsOfServers lists the attachments of servers' volumes.
func attachmentsOfServers(ctx context.Context, q store.Querier, serverIDs []string) ([]*Attachment, error) {
	if len(serverIDs) == 0 {
		return nil, nil
	}
	var ph []string
	args := make([]any, len(serverIDs))
	for i, id := range serverIDs {
		args[i] = id
		ph = append(ph, "$"+itoa(i+1))
	}
	rows, err := q.QueryContext(ctx, "SELECT "+attachmentCols+" FROM volume_attachments WHERE server_id IN ("+
		strings.Join(ph, ",")+") ORDER BY created_at", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Attachment
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
