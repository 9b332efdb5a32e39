package image

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/store"
)

const imageCols = `id, name, status, visibility, protected, os_hidden, owner, disk_format, container_format,
	min_ram, min_disk, size, virtual_size, checksum, os_hash_algo, os_hash_value, blob_key, properties, tags,
	created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanImage(s scanner) (*Image, error) {
	var im Image
	var name, disk, cont, sum, algo, hash, key sql.NullString
	var size, vsize sql.NullInt64
	var props, tags string
	var created, updated int64
	var status string
	err := s.Scan(&im.ID, &name, &status, &im.Visibility, &im.Protected, &im.Hidden, &im.Owner, &disk, &cont,
		&im.MinRAM, &im.MinDisk, &size, &vsize, &sum, &algo, &hash, &key, &props, &tags, &created, &updated)
	if err != nil {
		return nil, err
	}
	im.Status = Status(status)
	im.Name, im.DiskFormat, im.ContainerFormat = strPtr(name), strPtr(disk), strPtr(cont)
	im.Checksum, im.HashAlgo, im.HashValue = strPtr(sum), strPtr(algo), strPtr(hash)
	im.BlobKey = key.String
	im.Size, im.VirtualSize = intPtr(size), intPtr(vsize)
	if props != "{}" {
		if err := json.Unmarshal([]byte(props), &im.Properties); err != nil {
			return nil, fmt.Errorf("image %s properties: %w", im.ID, err)
		}
	}
	if im.Properties == nil {
		im.Properties = map[string]string{}
	}
	im.Tags = []string{}
	if tags != "[]" {
		if err := json.Unmarshal([]byte(tags), &im.Tags); err != nil {
			return nil, fmt.Errorf("image %s tags: %w", im.ID, err)
		}
	}
	im.CreatedAt, im.UpdatedAt = store.Time(created), store.Time(updated)
	return &im, nil
}

func strPtr(v sql.NullString) *string {
	if !v.Valid {
		return nil
	}
	return &v.String
}

func intPtr(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	return &v.Int64
}

func nullKey(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func getImage(ctx context.Context, q store.Querier, id string) (*Image, error) {
	im, err := scanImage(q.QueryRowContext(ctx, "SELECT "+imageCols+" FROM images WHERE id = $1", id))
	return im, store.Map(err)
}

func imageArgs(im *Image) []any {
	props, _ := json.Marshal(im.Properties)
	if im.Properties == nil {
		props = []byte("{}")
	}
	tags, _ := json.Marshal(im.Tags)
	if im.Tags == nil {
		tags = []byte("[]")
	}
	return []any{im.ID, im.Name, string(im.Status), im.Visibility, im.Protected, im.Hidden, im.Owner, im.DiskFormat,
		im.ContainerFormat, im.MinRAM, im.MinDisk, im.Size, im.VirtualSize, im.Checksum, im.HashAlgo, im.HashValue,
		nullKey(im.BlobKey), string(props), string(tags), im.CreatedAt.UnixMicro(), im.UpdatedAt.UnixMicro()}
}

func insertImage(ctx context.Context, tx *sql.Tx, im *Image) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO images ("+imageCols+`) VALUES
		($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21)`, imageArgs(im)...)
	if err != nil {
		return err
	}
	return writeTags(ctx, tx, im.ID, im.Tags, false)
}

// updateImage writes every column of im; tagsChanged rewrites image_tags.
func updateImage(ctx context.Context, tx *sql.Tx, im *Image, tagsChanged bool) error {
	res, err := tx.ExecContext(ctx, `UPDATE images SET name=$2, status=$3, visibility=$4, protected=$5, os_hidden=$6,
		owner=$7, disk_format=$8, container_format=$9, min_ram=$10, min_disk=$11, size=$12, virtual_size=$13,
		checksum=$14, os_hash_algo=$15, os_hash_value=$16, blob_key=$17, properties=$18, tags=$19, created_at=$20,
		updated_at=$21 WHERE id=$1`, imageArgs(im)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	if tagsChanged {
		return writeTags(ctx, tx, im.ID, im.Tags, true)
	}
	return nil
}

func writeTags(ctx context.Context, tx *sql.Tx, id string, tags []string, clear bool) error {
	if clear {
		if _, err := tx.ExecContext(ctx, "DELETE FROM image_tags WHERE image_id = $1", id); err != nil {
			return err
		}
	}
	for _, t := range tags {
		if _, err := tx.ExecContext(ctx, "INSERT INTO image_tags (image_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING", id, t); err != nil {
			return err
		}
	}
	return nil
}

// setStatus moves an image from one status to another; ErrConflict when
// it was not in from.
func setStatus(ctx context.Context, tx *sql.Tx, id string, from, to Status) error {
	res, err := tx.ExecContext(ctx, "UPDATE images SET status=$1, updated_at=$2 WHERE id=$3 AND status=$4",
		string(to), store.Now(), id, string(from))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrConflict
	}
	return nil
}

func deleteImageRow(ctx context.Context, tx *sql.Tx, id string) error {
	for _, q := range []string{"DELETE FROM image_members WHERE image_id = $1", "DELETE FROM image_tags WHERE image_id = $1",
		"DELETE FROM images WHERE id = $1"} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return err
		}
	}
	return nil
}

// uploadLease is how long an image stays 'saving' for the node receiving
// its bytes without that node renewing it (every third of it).
const uploadLease = 60 * time.Second

// startSaving moves image id to saving, held by node until the given time
// (unix µs): from queued, or from saving whose lease has expired (the
// node that held it is gone). store.ErrConflict when neither holds.
func startSaving(ctx context.Context, tx *sql.Tx, id, node string, now, until int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE images SET status=$1, upload_node=$2, upload_lease=$3, updated_at=$4
		WHERE id=$5 AND (status=$6 OR (status=$1 AND upload_lease < $4))`,
		string(StatusSaving), node, until, now, id, string(StatusQueued))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrConflict
	}
	return nil
}

// renewLease extends node's lease on an upload that is still running.
func renewLease(ctx context.Context, tx *sql.Tx, id, node string, until int64) error {
	_, err := tx.ExecContext(ctx, "UPDATE images SET upload_lease=$1 WHERE id=$2 AND status IN ($3, $5) AND upload_node=$4",
		until, id, string(StatusSaving), node, string(StatusUploading))
	return err
}

// resetSaving puts images whose upload was cut by a crash back in queued:
// node's own (a node that starts has no upload running) and those whose
// lease has expired, never an upload another node is still receiving.
func resetSaving(ctx context.Context, tx *sql.Tx, node string, now int64) (int64, error) {
	res, err := tx.ExecContext(ctx, "UPDATE images SET status=$1, updated_at=$2 WHERE status=$3 AND (upload_node=$4 OR upload_lease < $2)",
		string(StatusQueued), now, string(StatusSaving), node)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// listQuery is a built SELECT with its arguments.
type listQuery struct {
	where []string
	args  []any
}

func (q *listQuery) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *listQuery) add(cond string) { q.where = append(q.where, cond) }

func (q *listQuery) sql(cols, orderBy string, limit int) string {
	var b strings.Builder
	b.WriteString("SELECT " + cols + " FROM images")
	if len(q.where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(q.where, " AND "))
	}
	b.WriteString(" ORDER BY " + orderBy)
	if limit > 0 {
		b.WriteString(" LIMIT " + strconv.Itoa(limit))
	}
	return b.String()
}

func queryImages(ctx context.Context, q store.Querier, query string, args []any) ([]*Image, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Image
	for rows.Next() {
		im, err := scanImage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, im)
	}
	return out, rows.Err()
}

// Members.

func getMember(ctx context.Context, q store.Querier, imageID, member string) (*Member, error) {
	var m Member
	var c, u int64
	err := q.QueryRowContext(ctx, "SELECT image_id, member, status, created_at, updated_at FROM image_members WHERE image_id=$1 AND member=$2",
		imageID, member).Scan(&m.ImageID, &m.Member, &m.Status, &c, &u)
	if err != nil {
		return nil, store.Map(err)
	}
	m.CreatedAt, m.UpdatedAt = store.Time(c), store.Time(u)
	return &m, nil
}

func listMembers(ctx context.Context, q store.Querier, imageID string) ([]*Member, error) {
	rows, err := q.QueryContext(ctx, "SELECT image_id, member, status, created_at, updated_at FROM image_members WHERE image_id=$1 ORDER BY created_at, member", imageID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Member{}
	for rows.Next() {
		var m Member
		var c, u int64
		if err := rows.Scan(&m.ImageID, &m.Member, &m.Status, &c, &u); err != nil {
			return nil, err
		}
		m.CreatedAt, m.UpdatedAt = store.Time(c), store.Time(u)
		out = append(out, &m)
	}
	return out, rows.Err()
}

func insertMember(ctx context.Context, tx *sql.Tx, m *Member) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO image_members (image_id, member, status, created_at, updated_at) VALUES ($1,$2,$3,$4,$5)",
		m.ImageID, m.Member, m.Status, m.CreatedAt.UnixMicro(), m.UpdatedAt.UnixMicro())
	return err
}

func updateMember(ctx context.Context, tx *sql.Tx, m *Member) error {
	_, err := tx.ExecContext(ctx, "UPDATE image_members SET status=$1, updated_at=$2 WHERE image_id=$3 AND member=$4",
		m.Status, m.UpdatedAt.UnixMicro(), m.ImageID, m.Member)
	return err
}

func deleteMember(ctx context.Context, tx *sql.Tx, imageID, member string) error {
	res, err := tx.ExecContext(ctx, "DELETE FROM image_members WHERE image_id=$1 AND member=$2", imageID, member)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}
